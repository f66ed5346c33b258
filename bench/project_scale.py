"""Project file at scale: 100 frames × 11 rounds of 1024×1024 PNGs in one project file.

    .venv/bin/python bench/project_scale.py [--frames 100] [--rounds 10] [--write-docs]

Measures the file size, opening it (with the integrity check) and reading the board with
thumbnails, committing one more image, the reference set of every frame, one frame's
history, and Save As. Figures only, no pass/fail. ``--write-docs`` replaces the "Project file
at scale" section of docs/BENCHMARKS.md with the table.

Synthetic images: a smooth random colour field plus Gaussian noise (sigma 3), which PNG
compresses to about 1.65 MB at 1024×1024: in the range of generated art at that size
(1.3-2 MB; pure random noise would be ~3 MB). A pool of 12 distinct images is encoded once
and reused: SQLite stores every copy in full, so size and I/O are those of 1,100 images.
Embeddings are 1280-d (ViT-bigG projection) random vectors.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs import write_section  # noqa: E402
from storyboard_app.project.store import ProjectStore, make_thumbnail  # noqa: E402

POOL = 12
SIDE = 1024
EMBEDDING_DIM = 1280
SECTION = "## Project file at scale"


def synthetic_png(rng: np.random.Generator) -> bytes:
    """A 1024² PNG that compresses like a generated image (~1.65 MB)."""
    low = rng.integers(0, 256, (9, 9, 3), dtype=np.uint8)
    field = Image.fromarray(low).resize((SIDE, SIDE), Image.Resampling.BICUBIC)
    noisy = np.asarray(field, dtype=np.float32) + rng.normal(0, 3, (SIDE, SIDE, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Median seconds of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def build(path: Path, frames: int, rounds: int, pool: list[tuple[bytes, bytes]]) -> float:
    """Fill a project round by round, as passes would; returns seconds per committed image."""
    rng = np.random.default_rng(1)
    with ProjectStore.create(path, title="Scale benchmark") as store:
        store.add_cast_member("Mira", "a young inventor with brass goggles and a red scarf")
        ids = [
            f.id
            for f in store.add_frames(
                {"character": "@Mira", "interaction": f"beat {i}", "scene": "in the workshop"}
                for i in range(frames)
            )
        ]
        hashes = {fid: store.source_hash(fid) for fid in ids}
        start, count = time.perf_counter(), 0
        for rnd in range(rounds + 1):
            refs, _ = store.current_embeddings() if rnd else ([], None)
            pass_id = store.begin_pass("iterate" if rnd else "round0", ids, refs, {"round": rnd})
            for fid in ids:
                png, thumb = pool[count % len(pool)]
                store.commit_image(
                    pass_id=pass_id,
                    frame_id=fid,
                    round=rnd,
                    png=png,
                    thumbnail_png=thumb,
                    embedding=rng.standard_normal(EMBEDDING_DIM).astype(np.float32),
                    record={"prompt": "benchmark", "round": rnd, "reference_ids": refs},
                    source_hash=hashes[fid],
                    seed=1234,
                    ip_scale=0.3 + 0.2 * rnd / max(rounds, 1) if rnd else 0.0,
                    width=SIDE,
                    height=SIDE,
                )
                count += 1
            store.finish_pass(pass_id, "complete")
        return (time.perf_counter() - start) / count


def run(frames: int, rounds: int, folder: Path) -> list[tuple[str, str]]:
    rng = np.random.default_rng(0)
    t_pool = time.perf_counter()
    pngs = [synthetic_png(rng) for _ in range(POOL)]
    pool = [(png, make_thumbnail(png)) for png in pngs]
    print(f"image pool: {POOL} PNGs in {time.perf_counter() - t_pool:.1f} s", file=sys.stderr)
    path = folder / "scale.storyiter"
    images = frames * (rounds + 1)
    per_image = build(path, frames, rounds, pool)
    size = path.stat().st_size

    def open_and_board(check: bool) -> float:
        seconds, store = timed(lambda: ProjectStore.open(path, check_integrity=check))
        assert isinstance(store, ProjectStore)
        board_seconds, cards = timed(store.board)
        assert isinstance(cards, list) and len(cards) == frames and cards[0].thumbnail_png
        store.close()
        return seconds + board_seconds

    cold = drop_caches()
    t_cold = open_and_board(True) if cold else float("nan")
    cold = cold and drop_caches()
    t_cold_fast = open_and_board(False) if cold else float("nan")
    open_and_board(True)  # reads the whole file: from here on the cache is warm
    t_warm = open_and_board(True)
    t_warm_fast = open_and_board(False)
    t_reader, reader = timed(lambda: ProjectStore.open_reader(path))
    assert isinstance(reader, ProjectStore)
    t_reader_board, _ = timed(reader.board)
    reader.close()
    conn = sqlite3.connect(path)
    t_quick, _ = timed(lambda: conn.execute("PRAGMA quick_check").fetchall())
    conn.close()

    store = ProjectStore.open(path)
    cards = store.board()
    t_board_warm, _ = timed(store.board, repeat=5)
    t_thumb, _ = timed(lambda: make_thumbnail(pngs[0]), repeat=5)
    commit_times = []
    emb = np.random.default_rng(2).standard_normal(EMBEDDING_DIM).astype(np.float32)
    extra = store.begin_pass("iterate", [cards[0].frame.id], [], {})
    for i in range(20):
        png, thumb = pool[i % POOL]
        start = time.perf_counter()
        store.commit_image(
            pass_id=extra, frame_id=cards[0].frame.id, round=rounds + 1, png=png,
            thumbnail_png=thumb, embedding=emb, record={}, source_hash="x", seed=1,
            ip_scale=0.5, width=SIDE, height=SIDE,
        )  # fmt: skip
        commit_times.append(time.perf_counter() - start)
    store.finish_pass(extra, "complete")
    t_refs, (ref_ids, refs) = timed(store.current_embeddings, repeat=5)
    assert len(ref_ids) == frames and refs.shape == (frames, EMBEDDING_DIM)
    t_history, history = timed(lambda: store.images_of_frame(cards[0].frame.id), repeat=5)
    t_full, _ = timed(lambda: store.image_png(cards[0].current_image_id), repeat=5)
    os.sync()  # measure the copy, not the write-back of the commits above
    t_save, _ = timed(lambda: store.save_as(folder / "copy.storyiter"))
    store.close()
    copy_size = (folder / "copy.storyiter").stat().st_size

    mb = 1024 * 1024
    cold_note = "" if cold else " (cache could not be dropped: not measured)"
    return [
        ("project", f"{frames} frames × {rounds + 1} rounds = {images} images of {SIDE}×{SIDE}"),
        ("average PNG", f"{sum(len(p) for p in pngs) / POOL / mb:.2f} MiB"),
        ("file size", f"{size / mb / 1024:.2f} GiB ({size / images / mb:.2f} MiB per image)"),
        ("fill: commit every image, pass by pass", f"{per_image * 1000:.1f} ms per image"),
        ("open + board(), cold cache" + cold_note, f"{t_cold:.2f} s"),
        ("open(check_integrity=False) + board(), cold cache", f"{t_cold_fast:.2f} s"),
        ("open + board(), warm cache", f"{t_warm:.2f} s"),
        ("open(check_integrity=False) + board(), warm cache", f"{t_warm_fast:.3f} s"),
        ("PRAGMA quick_check alone, warm cache", f"{t_quick:.2f} s"),
        ("open_reader() + board(), warm", f"{t_reader + t_reader_board:.3f} s"),
        (f"board() on an open store ({frames} thumbnails)", f"{t_board_warm * 1000:.1f} ms"),
        ("commit one image (median of 20)", f"{statistics.median(commit_times) * 1000:.1f} ms"),
        ("make_thumbnail() of one 1024² PNG", f"{t_thumb * 1000:.0f} ms"),
        ("current_embeddings() of all frames", f"{t_refs * 1000:.1f} ms"),
        (f"images_of_frame() ({len(history)} images)", f"{t_history * 1000:.1f} ms"),
        ("image_png() of one full image", f"{t_full * 1000:.1f} ms"),
        ("save_as() (backup, fsync, rename)", f"{t_save:.2f} s ({copy_size / mb / 1024:.2f} GiB)"),
    ]  # fmt: skip


def drop_caches() -> bool:
    """Flush and drop the OS page cache (Linux, root) so the next read comes from disk."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError:
        return False
    return True


def table(rows: list[tuple[str, str]]) -> str:
    lines = ["| measure | result |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def write_docs(text: str) -> None:
    """Replace (or append) this benchmark's section of docs/BENCHMARKS.md only."""
    write_section(SECTION, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10, help="rounds after round 0")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="project-scale-", dir=args.dir))
    started = time.perf_counter()
    try:
        rows = run(args.frames, args.rounds, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    total = time.perf_counter() - started
    result = table(rows)
    print(result)
    print(f"\n{machine()}; whole run {total:.0f} s")
    if args.write_docs:
        command = "python bench/project_scale.py"
        if (args.frames, args.rounds) != (100, 10):
            command += f" --frames {args.frames} --rounds {args.rounds}"
        write_docs(
            f"{SECTION}\n\n"
            f"`{command} --write-docs` ({machine()}; whole run {total:.0f} s). Synthetic "
            "1024×1024 PNGs (smooth colour field + noise, ~1.65 MB each, like generated art), "
            "1280-d embeddings. Cold cache = OS page cache dropped before opening.\n\n"
            f"{result}\n\n"
            "Reading the figures: opening with the default integrity check (`quick_check`) "
            "reads every page of the file, so a cold open costs about one sequential read of "
            "the file; identity, version and schema checks alone take milliseconds, and the "
            "board never touches a full-size PNG. Commits and Save As are bound by the disk "
            "(fsync) and vary between runs on this virtual machine: Save As of the 1.8 GiB "
            "file took 2.5-3 s once the disk had flushed, and up to 30 s in an earlier "
            "version of this script that timed it while the disk was still writing back the "
            "freshly filled project.\n"
        )


if __name__ == "__main__":
    main()
