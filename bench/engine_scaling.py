"""Seconds per round and image encodes per round: engine vs the reference's way of working.

    .venv/bin/python bench/engine_scaling.py [--frames 4 16 64] [--profile sdxl] [--steps 4]

Runs on preview models (built into a temp folder); both sides run in this one process, one
after the other, on the same models and settings. Times are a figure, never a pass/fail.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.baseline import BaselineCounter, baseline_round
from engine.api import (
    FrameJob,
    GenerationSettings,
    PassRequest,
    ReferenceSet,
    RuntimeSettings,
    scale_for_round,
)
from engine.preview_models import make_preview_models
from engine.story_iter import StoryIterEngine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, nargs="+", default=[4, 16, 64])
    ap.add_argument("--profile", default="sdxl", choices=("micro", "sdxl"))
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths = make_preview_models(Path(tmp) / "models", args.profile)
        engine = StoryIterEngine(paths, RuntimeSettings(device=args.device, batch_size=args.batch))
        settings = GenerationSettings(steps=args.steps, width=args.size, height=args.size)
        seed = 7
        print(
            f"profile={args.profile} size={args.size} steps={args.steps} batch={args.batch} "
            f"device={engine.models.device}"
        )
        print(
            f"{'N':>4} | {'engine s/round':>14} | {'encodes':>7} | "
            f"{'baseline s/round':>16} | {'encodes':>7} | {'speed-up':>8}"
        )
        print("-" * 72)
        warm = [FrameJob(str(i), f"warm-up {i}", seed) for i in range(2)]
        warm0 = list(engine.run_pass(PassRequest(tuple(warm), settings)))
        warm_refs = ReferenceSet(("0", "1"), np.stack([r.embedding for r in warm0]))
        warm1 = tuple(FrameJob(j.frame_id, j.prompt, seed, 1, 0.3) for j in warm)
        list(engine.run_pass(PassRequest(warm1, settings, warm_refs)))
        baseline_round(
            engine, [j.prompt for j in warm], [r.image for r in warm0], settings, 0.3, seed,
            BaselineCounter(),
        )  # fmt: skip
        for n in args.frames:
            prompts = [f"frame {i}: a lighthouse keeper and a fox, scene {i}" for i in range(n)]
            # round 0 gives both sides the same previous round
            round0 = list(
                engine.run_pass(
                    PassRequest(
                        tuple(FrameJob(str(i), p, seed) for i, p in enumerate(prompts)), settings
                    )
                )
            )
            refs = ReferenceSet(
                tuple(r.frame_id for r in round0), np.stack([r.embedding for r in round0])
            )
            scale = scale_for_round(1, 10)
            jobs = tuple(FrameJob(str(i), p, seed, 1, scale) for i, p in enumerate(prompts))

            engine.encode_count = 0
            t0 = time.perf_counter()
            list(engine.run_pass(PassRequest(jobs, settings, refs)))
            t_engine = time.perf_counter() - t0
            enc_engine = engine.encode_count

            counter = BaselineCounter()
            t0 = time.perf_counter()
            baseline_round(
                engine, prompts, [r.image for r in round0], settings, scale, seed, counter
            )
            t_base = time.perf_counter() - t0
            print(
                f"{n:>4} | {t_engine:>14.2f} | {enc_engine:>7} | {t_base:>16.2f} | "
                f"{counter.encodes:>7} | {t_base / t_engine:>7.1f}x"
            )


if __name__ == "__main__":
    main()
