"""Speed and memory at full scale: the engine against the reference's way of working.

On a GPU (full-size random-weight SDXL built from the published configs; no download):

    .venv/bin/python bench/full_scale.py --device cuda --dtype fp16

runs (1) fast mode: N frames × round 0 + R rounds at 1024² with the LCM UNet, images and
embeddings produced, PNG encoding timed separately; (2) standard mode (DDIM 50, guidance 5):
seconds per image for the engine and for the baseline (one frame per call, every reference
re-encoded for every frame, bench/baseline.py) in this one process, and their ratio;
(3) peak memory with ControlNet at default settings and in a low-memory setting.

On a CPU, a smoke run on preview models (figures are not meaningful for GPUs):

    .venv/bin/python bench/full_scale.py --preview --frames 8 --rounds 2 --size 64

Prints a table; never asserts on time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import BaselineCounter, baseline_round
from engine.api import (
    GenerationSettings,
    Offload,
    Precision,
    RuntimeSettings,
    scale_for_round,
)
from engine.story_iter import StoryFrame, StoryIterEngine, run_story


@dataclass
class Row:
    mode: str
    frames: int
    rounds: int
    batch: str
    images: int
    seconds: float
    peak_gb: float
    encodes: int
    ratio: str = ""

    @property
    def per_image(self) -> float:
        return self.seconds / max(1, self.images)


def _peak_reset(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def _peak_gb(device: torch.device) -> float:
    if device.type != "cuda":
        return float("nan")
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) / 2**30


def _frames(n: int, posed: bool = False) -> list[StoryFrame]:
    pose = None
    if posed:
        from engine.pose import load_pose_presets

        pose = next(iter(load_pose_presets().values()))
    return [
        StoryFrame(f"{i:03d}", f"a lighthouse keeper and a small fox, panel {i}", pose)
        for i in range(n)
    ]


def make_engine(args: argparse.Namespace, runtime: RuntimeSettings) -> StoryIterEngine:
    if args.preview:
        from engine.preview_models import make_preview_models

        tmp = tempfile.mkdtemp()
        return StoryIterEngine(make_preview_models(Path(tmp) / "m", "sdxl"), runtime)
    from bench.sdxl_full import build_full_models

    t0 = time.perf_counter()
    engine = build_full_models(runtime)
    print(f"built full-size random-weight models in {time.perf_counter() - t0:.1f} s")
    return engine


def run_fast(engine: StoryIterEngine, args: argparse.Namespace) -> tuple[Row, float]:
    settings = GenerationSettings(width=args.size, height=args.size, fast=True, steps=4)
    frames = _frames(args.frames)
    device = engine.models.device
    if args.warmup:  # compile / kernel selection outside the timed run
        run_story(engine, frames[: engine.runtime.batch_size or 4], settings, rounds=1, seed=1)
    _peak_reset(device)
    engine.encode_count = 0
    kept: list = []
    t0 = time.perf_counter()
    history = run_story(
        engine,
        frames,
        settings,
        rounds=args.rounds,
        seed=1,
        on_round=lambda r, res: kept.extend(res),
    )
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - t0
    row = Row(
        "fast (LCM 4 steps)",
        args.frames,
        len(history) - 1,
        str(engine.runtime.batch_size or "auto"),
        sum(len(h) for h in history),
        seconds,
        _peak_gb(device),
        engine.encode_count,
    )
    # saving, reported separately: PNG encoding of every image on worker threads
    from engine.images import encode_result
    from storyboard_app.project.runner import ENCODE_THREADS

    t0 = time.perf_counter()
    with ThreadPoolExecutor(ENCODE_THREADS) as pool:
        list(pool.map(encode_result, kept))
    return row, time.perf_counter() - t0


def run_standard(engine: StoryIterEngine, args: argparse.Namespace) -> list[Row]:
    settings = GenerationSettings(
        width=args.size, height=args.size, steps=args.standard_steps, guidance=5.0
    )
    n = args.standard_frames
    frames = _frames(n)
    device = engine.models.device
    prompts = [f.prompt for f in frames]
    # round 0 once, shared by both sides; then one referenced round each, timed
    history = run_story(engine, frames, settings, rounds=0, seed=1)
    previous = [r.image for r in history[0]]
    from engine.api import FrameJob, PassRequest, ReferenceSet

    refs = ReferenceSet(
        tuple(r.frame_id for r in history[0]), np.stack([r.embedding for r in history[0]])
    )
    scale = scale_for_round(1, 10)
    jobs = tuple(FrameJob(f.frame_id, f.prompt, 1, 1, scale) for f in frames)
    _peak_reset(device)
    engine.encode_count = 0
    t0 = time.perf_counter()
    list(engine.run_pass(PassRequest(jobs, settings, refs)))
    ours = Row("standard: engine", n, 1, str(engine.runtime.batch_size or "auto"), n,
               time.perf_counter() - t0, _peak_gb(device), engine.encode_count)  # fmt: skip
    _peak_reset(device)
    counter = BaselineCounter()
    t0 = time.perf_counter()
    baseline_round(engine, prompts, previous, settings, scale, 1, counter)
    theirs = Row("standard: reference way", n, 1, "1", n, time.perf_counter() - t0,
                 _peak_gb(device), counter.encodes)  # fmt: skip
    ours.ratio = f"{theirs.per_image / ours.per_image:.2f}x faster"
    return [ours, theirs]


def run_memory(engine: StoryIterEngine, args: argparse.Namespace) -> list[Row]:
    """Peak memory with ControlNet: default settings, then the low-memory setting."""
    rows = []
    settings = GenerationSettings(
        width=args.size, height=args.size, steps=args.memory_steps, controlnet=True
    )
    frames = _frames(args.memory_frames, posed=True)
    for label, runtime in (
        ("memory: ControlNet default", engine.runtime),
        (
            "memory: ControlNet low-memory",
            replace(engine.runtime, batch_size=1, vae_tiling=True, offload=Offload.MODEL),
        ),
    ):
        if runtime is not engine.runtime:
            if engine.models.device.type != "cuda":
                continue
            engine = _rebuilt(engine, runtime, args)
        device = engine.models.device
        _peak_reset(device)
        t0 = time.perf_counter()
        history = run_story(engine, frames, settings, rounds=1, seed=1)
        rows.append(Row(label, len(frames), 1, str(runtime.batch_size or "auto"),
                        sum(len(h) for h in history), time.perf_counter() - t0,
                        _peak_gb(device), engine.encode_count))  # fmt: skip
    return rows


def _rebuilt(
    engine: StoryIterEngine, runtime: RuntimeSettings, args: argparse.Namespace
) -> StoryIterEngine:
    del engine
    torch.cuda.empty_cache()
    return make_engine(args, runtime)


def print_table(rows: list[Row]) -> None:
    head = f"{'mode':30} {'frames':>6} {'rounds':>6} {'batch':>5} {'s/image':>8} {'total s':>8} "
    head += f"{'peak GB':>8} {'encodes':>8}  ratio"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r.mode:30} {r.frames:>6} {r.rounds:>6} {r.batch:>5} {r.per_image:>8.3f} "
              f"{r.seconds:>8.1f} {r.peak_gb:>8.2f} {r.encodes:>8}  {r.ratio}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--preview", action="store_true", help="preview models (CPU smoke run)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--dtype", default="fp16", choices=("fp32", "fp16", "bf16"))
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--batch", type=int, default=0, help="0 = sized from free memory")
    ap.add_argument("--standard-frames", type=int, default=8)
    ap.add_argument("--standard-steps", type=int, default=50)
    ap.add_argument("--memory-frames", type=int, default=100)
    ap.add_argument("--memory-steps", type=int, default=4)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--compile", action="store_true", help="torch.compile the UNet")
    ap.add_argument("--warmup", action="store_true")
    ap.add_argument("--skip", nargs="*", default=[], choices=("fast", "standard", "memory"))
    args = ap.parse_args()
    if args.preview and args.dtype == "fp16":
        args.dtype = "fp32"
    runtime = RuntimeSettings(
        device=args.device,
        precision=Precision(args.dtype),
        batch_size=args.batch,
        channels_last=args.channels_last,
        compile_unet=args.compile,
    )
    engine = make_engine(args, runtime)
    device = engine.models.device
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device: {name}; dtype {args.dtype}; size {args.size}²; torch {torch.__version__}")
    rows: list[Row] = []
    if "fast" not in args.skip:
        row, save_s = run_fast(engine, args)
        rows.append(row)
        print(f"fast mode: {row.seconds:.1f} s for {row.images} images; PNG encoding "
              f"(separate, threaded) {save_s:.1f} s")  # fmt: skip
    if "standard" not in args.skip:
        rows += run_standard(engine, args)
    if "memory" not in args.skip:
        rows += run_memory(engine, args)
    print_table(rows)


if __name__ == "__main__":
    main()
