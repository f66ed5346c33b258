"""A process that writes to a project until it is killed (crash-safety and lock tests).

    python tests/project/crash_writer.py write PATH   # commit images (and edits) in a loop
    python tests/project/crash_writer.py hold PATH    # open the project and wait

Both print ``ready`` once the project is open. ``write`` then prints one line per committed
image, ``<image id> <sha256 of its PNG>``, only after ``commit_image`` returned, and flushes,
so every id the test reads was committed. Also the shared helpers of the store tests.
"""

from __future__ import annotations

import hashlib
import io
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

EMBEDDING_DIM = 64


def small_png(rng: random.Random, size: tuple[int, int] = (24, 16)) -> bytes:
    """A small PNG of random pixels."""
    data = np.frombuffer(rng.randbytes(size[0] * size[1] * 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(data.reshape(size[1], size[0], 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def embedding_for(png: bytes, dim: int = EMBEDDING_DIM) -> np.ndarray:
    """A deterministic embedding for a PNG (so a reader can check it matches the image)."""
    seed = int.from_bytes(hashlib.sha256(png).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def commit_test_image(store, pass_id: int, frame_id: int, rng: random.Random, rnd: int = 0) -> int:
    """Commit a random image with a record that lets a reader verify it completely."""
    png = small_png(rng)
    return store.commit_image(
        pass_id=pass_id,
        frame_id=frame_id,
        round=rnd,
        png=png,
        embedding=embedding_for(png),
        record={"png_sha256": hashlib.sha256(png).hexdigest(), "round": rnd},
        source_hash=store.source_hash(frame_id),
        seed=rng.randrange(2**32),
        ip_scale=0.3 if rnd else 0.0,
        width=24,
        height=16,
    )


def _write(path: Path) -> None:
    from storyboard_app.project.store import ProjectStore

    rng = random.Random()
    store = ProjectStore.open(path)
    frames = [f.id for f in store.frames()]
    pass_id = store.begin_pass("crash-test", frames, [], {"steps": 1})
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        frame_id = rng.choice(frames)
        image_id = commit_test_image(store, pass_id, frame_id, rng, rnd=n % 5)
        png_sha = hashlib.sha256(store.image_png(image_id)).hexdigest()
        print(image_id, png_sha, flush=True)
        if n % 4 == 0:  # edits between images: positions must stay dense through a crash
            store.move_frame(rng.choice(frames), rng.randrange(len(frames)))
            store.update_frame(rng.choice(frames), notes=f"edit {n}")


def _hold(path: Path) -> None:
    from storyboard_app.project.store import ProjectStore

    store = ProjectStore.open(path)
    print("ready", flush=True)
    while not store.closed:
        time.sleep(1)


if __name__ == "__main__":
    mode, target = sys.argv[1], Path(sys.argv[2])
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    {"write": _write, "hold": _hold}[mode](target)
