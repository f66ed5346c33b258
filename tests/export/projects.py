"""Real project files for export tests, and running the ``storyboard`` command on them."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from storyboard_app.project.store import ProjectStore

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def make_project(
    path: Path,
    frames: int = 4,
    size: tuple[int, int] = (96, 54),
    rounds: int = 1,
    **fields: object,
) -> Path:
    """A project whose frames each have ``rounds`` images (rounds 0..rounds-1) of noise."""
    rng = np.random.default_rng(7)
    with ProjectStore.create(path, title="Kites over the harbour") as store:
        ids = [
            store.add_frame(
                character=f"a red kite {i + 1}",
                interaction="climbing",
                scene="over the harbour",
                caption=f"Caption {i + 1}: the wind picks up.",
                **fields,
            ).id
            for i in range(frames)
        ]
        for rnd in range(rounds):
            pass_id = store.begin_pass(f"round{rnd}", ids, [], {})
            for frame_id in ids:
                pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
                buffer = io.BytesIO()
                Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
                store.commit_image(
                    pass_id=pass_id,
                    frame_id=frame_id,
                    round=rnd,
                    png=buffer.getvalue(),
                    embedding=np.zeros(8, np.float32),
                    record={},
                    source_hash=store.source_hash(frame_id),
                    seed=1,
                    ip_scale=0.3 if rnd else 0.0,
                    width=size[0],
                    height=size[1],
                )
            store.finish_pass(pass_id, "complete")
    return path


def storyboard_command() -> list[str]:
    script = shutil.which("storyboard", path=str(BIN))
    assert script, "the storyboard console script is installed with the project"
    return [script]


def command_env() -> dict[str, str]:
    return os.environ | {"QT_QPA_PLATFORM": "offscreen"}


def storyboard(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``storyboard ARGS`` as a user would; the caller checks the exit code."""
    return subprocess.run(
        [*storyboard_command(), *(str(a) for a in args)],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
