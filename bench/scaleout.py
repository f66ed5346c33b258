"""Scale-out: a story's passes split over 1 vs N processes (CPU) or GPUs; same images.

    .venv/bin/python bench/scaleout.py                  # CPU: 1 vs 2 processes, preview models
    .venv/bin/python bench/scaleout.py --profile sdxl   # SDXL's block layout, still tiny
    .venv/bin/python bench/scaleout.py --device cuda --models ~/models/storyiter \\
        --size 1024 --steps 30 --dtype fp16 --frames 16   # GPUs: 1, 2, 4 ... all visible

One device is the in-process engine (StoryIterEngine), N is DistributedEngine with N worker
processes. "start" is loading the models (N: launching the workers, which load in parallel);
"story" is run_story over every round after that; "1-frame pass" is the median time of a
one-frame, one-step pass (the fixed cost of a pass: on N it includes sending the request and
the result between processes). The last column compares every image and embedding with the
one-device run, bit for bit. Times are figures, never a pass/fail.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.api import (
    FrameJob,
    GenerationSettings,
    ModelPaths,
    PassRequest,
    Precision,
    RuntimeSettings,
)
from engine.distributed import DistributedEngine
from engine.story_iter import StoryFrame, StoryIterEngine, run_story


def _frames(n: int) -> list[StoryFrame]:
    return [
        StoryFrame(f"{i:03d}", f"a lighthouse keeper and her fox, scene {i}, stormy coast")
        for i in range(n)
    ]


def _device_counts(args: argparse.Namespace) -> list[int]:
    if args.devices:
        return sorted(set(args.devices) | {1})
    import torch

    if args.device != "cpu" and torch.cuda.is_available() and torch.cuda.device_count() > 1:
        count = torch.cuda.device_count()
        return sorted({1, *(2**k for k in range(1, count.bit_length()) if 2**k <= count), count})
    return [1, 2]


def _run(
    devices: int, paths: ModelPaths, runtime: RuntimeSettings, args: argparse.Namespace
) -> tuple[dict[str, Any], list[list[Any]]]:
    settings = GenerationSettings(steps=args.steps, width=args.size, height=args.size)
    started = time.perf_counter()
    if devices == 1:
        engine: Any = StoryIterEngine(paths, runtime)
        device = str(engine.models.device)
    else:
        engine = DistributedEngine(paths, runtime, devices=devices)
        engine.start()
        device = engine.models.device
    start = time.perf_counter() - started
    try:
        t0 = time.perf_counter()
        history = run_story(engine, _frames(args.frames), settings, rounds=args.rounds, seed=7)
        story = time.perf_counter() - t0
        encodes = engine.encode_count
        latency = _one_frame_pass(engine, settings)
    finally:
        if devices > 1:
            engine.close()
    images = sum(len(r) for r in history)
    row = {
        "devices": devices,
        "device": device,
        "start": start,
        "story": story,
        "per_round": story / len(history),
        "images_per_s": images / story,
        "encodes": encodes,
        "latency": latency,
    }
    return row, history


def _one_frame_pass(engine: Any, settings: GenerationSettings, repeats: int = 9) -> float:
    """Median seconds of a one-frame, one-step pass: what a pass costs beyond drawing."""
    request = PassRequest((FrameJob("probe", "a fox", 1),), settings.with_(steps=1))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        list(engine.run_pass(request))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _difference(a: list[list[Any]], b: list[list[Any]]) -> str:
    """ "identical", or the largest pixel difference in uint8 levels."""
    worst, embeddings_equal = 0, True
    for ra, rb in zip(a, b, strict=True):
        for x, y in zip(ra, rb, strict=True):
            pa, pb = np.asarray(x.image, np.int16), np.asarray(y.image, np.int16)
            worst = max(worst, int(np.abs(pa - pb).max()))
            embeddings_equal &= bool(np.array_equal(x.embedding, y.embedding))
    if worst == 0 and embeddings_equal:
        return "identical"
    return f"<= {worst} level(s)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=1, help="iterations after round 0")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--profile", default="micro", choices=("micro", "sdxl"))
    ap.add_argument("--models", type=Path, help="a model folder in the standard layout")
    ap.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    ap.add_argument("--dtype", default="fp32", choices=("fp32", "fp16", "bf16"))
    ap.add_argument("--devices", type=int, nargs="+", help="device counts to compare")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.models:
            paths = ModelPaths.from_models_dir(args.models)
        else:
            from engine.preview_models import make_preview_models

            paths = make_preview_models(Path(tmp) / "models", args.profile)
        runtime = RuntimeSettings(
            device=args.device, precision=Precision(args.dtype), batch_size=args.batch
        )
        counts = _device_counts(args)
        print(
            f"models={'preview ' + args.profile if paths.preview else paths.base} "
            f"frames={args.frames} rounds=0..{args.rounds} steps={args.steps} "
            f"size={args.size} batch={args.batch} dtype={args.dtype} cores={os.cpu_count()} "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}"
        )
        header = (
            f"{'N':>3} | {'device':>18} | {'start s':>7} | {'story s':>7} | {'s/round':>7} | "
            f"{'img/s':>6} | {'speed-up':>8} | {'encodes':>7} | {'1-frame pass':>12} | "
            "images vs N=1"
        )
        print(header)
        print("-" * len(header))
        base_row, base = None, None
        for n in counts:
            row, history = _run(n, paths, runtime, args)
            if base is None:
                base_row, base = row, history
            same = _difference(history, base)
            speedup = base_row["story"] / row["story"]
            print(
                f"{n:>3} | {row['device']:>18} | {row['start']:7.2f} | {row['story']:7.2f} | "
                f"{row['per_round']:7.3f} | {row['images_per_s']:6.2f} | {speedup:7.2f}x | "
                f"{row['encodes']:>7} | {row['latency'] * 1000:9.1f} ms | {same}",
                flush=True,
            )


if __name__ == "__main__":
    main()
