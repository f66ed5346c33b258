"""Consistency read-outs stored with each image: computed at commit, read by the board.

An image's read-out holds its text alignment, its cast consistency (overall and per cast
member) and its change from the frame's previous current image (engine/embeddings.py defines
the figures). The runner keeps a :class:`ReadoutTracker` for a pass: it starts from the
current images when the pass begins and follows every commit, so computing a read-out costs a
few dot products and no extra query.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine import embeddings as figures
from engine.prompts import mentions
from storyboard_app.project.model import BoardCard

READOUT_TABLE_SQL = """
CREATE TABLE image_readout (
    image_id INTEGER PRIMARY KEY REFERENCES image (id) ON DELETE CASCADE,
    alignment REAL CHECK (alignment IS NULL OR alignment BETWEEN -1.001 AND 1.001),
    consistency REAL CHECK (consistency IS NULL OR consistency BETWEEN -1.001 AND 1.001),
    change REAL CHECK (change IS NULL OR change BETWEEN -0.001 AND 2.001),
    cast_json TEXT NOT NULL DEFAULT '{}' CHECK (cast_json LIKE '{%}')
) STRICT
"""


@dataclass(frozen=True)
class Readout:
    """One image's figures; None where a figure does not apply (see engine/embeddings.py)."""

    alignment: float | None = None
    consistency: float | None = None
    change: float | None = None
    cast: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "alignment": self.alignment,
            "consistency": self.consistency,
            "change": self.change,
            "cast": dict(self.cast),
        }


@dataclass(frozen=True)
class ReadoutFrame:
    """What the read-outs need of a frame: its id, its card's text and its current image."""

    frame_id: int
    text: str  # Character, Interaction and Scene as written (mentions unexpanded)
    current_image_id: int | None

    @classmethod
    def of(cls, card: BoardCard) -> ReadoutFrame:
        f = card.frame
        return cls(f.id, " ".join((f.character, f.interaction, f.scene)), card.current_image_id)


def frame_cast(texts: Mapping[int, str], cast_names: Iterable[str]) -> dict[int, tuple[str, ...]]:
    """Which cast members each frame features: its ``@Name`` mentions of known members."""
    by_key = {name.casefold(): name for name in cast_names}
    return {
        frame_id: tuple(
            dict.fromkeys(by_key[m.casefold()] for m in mentions(text) if m.casefold() in by_key)
        )
        for frame_id, text in texts.items()
    }


@dataclass
class ReadoutTracker:
    """The story as a pass sees it while committing: cast per frame and current embeddings."""

    cast_of: dict[int, tuple[str, ...]]
    current: dict[int, np.ndarray]
    chosen: set[int] = field(default_factory=set)  # frames whose current image is pinned

    def readout(
        self, frame_id: int, embedding: np.ndarray, text_embedding: np.ndarray | None
    ) -> Readout:
        """The figures of a new image of ``frame_id``, against the story right now."""
        per_member = figures.cast_consistency(embedding, frame_id, self.cast_of, self.current)
        return Readout(
            alignment=figures.alignment(embedding, text_embedding),
            consistency=figures.mean_or_none(per_member),
            change=figures.change(embedding, self.current.get(frame_id)),
            cast=per_member,
        )

    def committed(self, frame_id: int, embedding: np.ndarray) -> None:
        """Follow a commit: the new image is current unless the writer pinned another."""
        if frame_id not in self.chosen:
            self.current[frame_id] = np.asarray(embedding, dtype=np.float32)


def insert_readout(conn: sqlite3.Connection, image_id: int, readout: Readout) -> None:
    """Store an image's read-out (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO image_readout (image_id, alignment, consistency, change, cast_json) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            image_id,
            _clip(readout.alignment),
            _clip(readout.consistency),
            None if readout.change is None else min(max(readout.change, 0.0), 2.0),
            json.dumps({k: _clip(v) for k, v in readout.cast.items()}, sort_keys=True),
        ),
    )


def read_readouts(conn: sqlite3.Connection, image_ids: Sequence[int]) -> dict[int, Readout]:
    """The stored read-outs of ``image_ids`` (images without one are left out)."""
    rows = conn.execute(
        "SELECT image_id, alignment, consistency, change, cast_json FROM image_readout "
        "WHERE image_id IN (SELECT value FROM json_each(?))",
        (json.dumps([int(i) for i in image_ids]),),
    )
    return {int(row[0]): readout_from_row(row[1:]) for row in rows}


def readout_from_row(row: Sequence[object]) -> Readout:
    """A read-out from its stored (alignment, consistency, change, cast_json)."""
    align, consistency, delta, cast_json = row
    cast = json.loads(str(cast_json)) if cast_json and cast_json != "{}" else {}
    return Readout(
        None if align is None else float(align),  # type: ignore[arg-type]
        None if consistency is None else float(consistency),  # type: ignore[arg-type]
        None if delta is None else float(delta),  # type: ignore[arg-type]
        {str(k): float(v) for k, v in cast.items()},
    )


def _clip(value: float | None) -> float | None:
    # float16 storage and rounding can put a cosine a hair past ±1.
    return None if value is None else min(max(float(value), -1.0), 1.0)


def backfill(conn: sqlite3.Connection) -> None:
    """Read-outs for every stored image, replaying the commits in order (used by the migration).

    Alignment needs the text encoder and stays empty; consistency and change come from the
    stored embeddings, each image measured against the images that were latest when it was
    committed, with today's cast mentions.
    """
    from storyboard_app.project.imaging import decode_embedding

    cast_names = [name for (name,) in conn.execute("SELECT name FROM cast_member")]
    texts = {
        int(fid): " ".join((c, i, s))
        for fid, c, i, s in conn.execute("SELECT id, character, interaction, scene FROM frame")
    }
    tracker = ReadoutTracker(frame_cast(texts, cast_names), {})
    rows = conn.execute(
        "SELECT i.id, i.frame_id, e.dim, e.data FROM image i "
        "JOIN image_embedding e ON e.image_id = i.id ORDER BY i.id"
    ).fetchall()
    for image_id, frame_id, dim, data in rows:
        try:
            embedding = decode_embedding(dim, data)
        except Exception:  # a damaged blob gets no read-out rather than a failed migration
            continue
        insert_readout(conn, int(image_id), tracker.readout(int(frame_id), embedding, None))
        tracker.committed(int(frame_id), embedding)
