"""Projects whose images carry constructed embeddings and read-outs (preview models' figures
mean nothing, so the read-out tests build the figures they need)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from storyboard_app.project.editing import card_source_hash
from storyboard_app.project.readouts import Readout
from storyboard_app.project.store import ProjectStore

DIM = 32  # the micro preview image encoder's width: renders can attend to these embeddings


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "gray").save(buf, format="PNG")
    return buf.getvalue()


def commit_round(
    store: ProjectStore,
    round_number: int,
    embeddings: dict[int, np.ndarray],
    readouts: dict[int, Readout] | None = None,
) -> list[int]:
    """One complete pass drawing ``embeddings``' frames at ``round_number``; read-outs come
    from ``readouts`` when given, else from the tracker as the runner computes them."""
    tracker = store.readout_tracker()
    cards = {c.frame.id: c for c in store.board()}
    pass_id = store.begin_pass(
        "round0" if round_number == 0 else "iterate", list(embeddings), [], {}
    )
    ids = []
    for frame_id, embedding in embeddings.items():
        card = cards[frame_id]
        readout = (readouts or {}).get(frame_id) or tracker.readout(frame_id, embedding, None)
        ids.append(
            store.commit_image(
                pass_id=pass_id,
                frame_id=frame_id,
                round=round_number,
                png=_png(),
                embedding=embedding.astype(np.float32),
                record={},
                source_hash=card_source_hash(card.compiled_prompt, card.frame.pose_json, None),
                seed=1,
                ip_scale=0.0,
                width=64,
                height=64,
                readout=readout,
            )
        )
        tracker.committed(frame_id, embedding)
    store.finish_pass(pass_id, "complete")
    return ids


def drifting_story(path: Path, odd: int, frames: int = 6) -> list[int]:
    """``frames`` cards featuring @Mara, drawn once (round 0); frame ``odd`` (0-based) shows
    an orthogonal look (someone else), the others one look with a little noise. Returns the
    frame ids."""
    text = "@Mara: a keeper\n" + "".join(f"@Mara | step {k} | room\n" for k in range(frames))
    with ProjectStore.create(path, title="Crafted") as store:
        store.import_story_text(text)
        store.update_story(
            settings=replace(store.settings(), width=64, height=64, steps=2, rounds=3, seed=5)
        )
        rng = np.random.default_rng(1)
        mara = rng.normal(size=DIM)
        other = rng.normal(size=DIM)
        other -= other @ mara / (mara @ mara) * mara
        ids = [f.id for f in store.frames()]
        looks = {
            f: (other if k == odd else mara) + 0.05 * rng.normal(size=DIM)
            for k, f in enumerate(ids)
        }
        commit_round(store, 0, looks)
    return ids
