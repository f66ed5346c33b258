"""Scale-out on Ray: one device vs a local Ray instance with 1 and 2 actors, and two nodes.

    unshare -n sh -c 'ip link set lo up && .venv/bin/python bench/scaleout.py'   # CPU actors
    .venv/bin/python bench/scaleout.py --profile sdxl --write-docs               # SDXL layout
    .venv/bin/python bench/scaleout.py --device cuda --models ~/models/storyiter \\
        --size 1024 --steps 30 --dtype fp16 --frames 16 --actors 1 2 4          # GPUs

Rows: "1 device" is the in-process engine; "ray N" is ``RayEngine`` on a local Ray instance
with N actors (``--devices N``); "2 nodes" is a two-node cluster simulated on this machine
(``ray.cluster_utils.Cluster``, one actor per node, joined with ``--cluster``). Every node
is pinned to 127.0.0.1 (run it in a network namespace that has only ``lo`` to be sure).
"start" is starting Ray and the actors and loading the models; "s/round" is run_story's
time per round after that; the last column compares every image and embedding with the
one-device run, bit for bit. Times are figures, never a pass/fail.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.docs import write_section
from engine.api import Devices, GenerationSettings, ModelPaths, Precision, RuntimeSettings
from engine.cluster import RayEngine
from engine.engines import make_engine
from engine.story_iter import StoryFrame, run_story

HEADING = "## Scale-out on Ray"


def _frames(n: int) -> list[StoryFrame]:
    return [
        StoryFrame(f"{i:03d}", f"a lighthouse keeper and her fox, scene {i}, stormy coast")
        for i in range(n)
    ]


def _run(
    label: str, devices: Devices, paths: ModelPaths, runtime: RuntimeSettings, args: Any
) -> tuple[dict[str, Any], list[list[Any]]]:
    settings = GenerationSettings(steps=args.steps, width=args.size, height=args.size)
    started = time.perf_counter()
    # "ray 1" is one Ray actor (make_engine would give the in-process engine for one device)
    engine = (
        make_engine(paths, runtime, devices)
        if label == "1 device"
        else RayEngine(paths, runtime, devices)
    )
    try:
        engine.start()
        start = time.perf_counter() - started
        t0 = time.perf_counter()
        history = run_story(engine, _frames(args.frames), settings, rounds=args.rounds, seed=7)
        story = time.perf_counter() - t0
        device = engine.device
    finally:
        engine.close()
    row = {"label": label, "device": device, "start": start, "per_round": story / len(history)}
    return row, history


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


def _two_nodes() -> tuple[Any, str]:
    """A head and a worker node on this machine, one CPU each, both on 127.0.0.1."""
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False}
    cluster = Cluster(initialize_head=True, head_node_args=node)
    cluster.add_node(**node)
    cluster.wait_for_nodes()
    return cluster, cluster.address


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2, help="iterations after round 0")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--profile", default="micro", choices=("micro", "sdxl"))
    ap.add_argument("--models", type=Path, help="a model folder in the standard layout")
    ap.add_argument("--device", default="cpu", help="cpu | cuda | auto")
    ap.add_argument("--dtype", default="fp32", choices=("fp32", "fp16", "bf16"))
    ap.add_argument("--actors", type=int, nargs="+", default=[1, 2], help="local Ray actors")
    ap.add_argument("--no-nodes", action="store_true", help="skip the two-node simulation")
    ap.add_argument("--write-docs", action="store_true", help="update docs/BENCHMARKS.md")
    args = ap.parse_args()

    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths are long
    os.environ.setdefault("RAY_TMPDIR", temp)
    # Token authentication on, with a token of this run (Ray reads these once, on import):
    # nothing is read from or written to ~/.ray.
    os.environ.setdefault("RAY_AUTH_MODE", "token")
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(16))
    lines: list[str] = []

    def out(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        if args.models:
            paths = ModelPaths.from_models_dir(args.models)
        else:
            from engine.preview_models import make_preview_models

            paths = make_preview_models(Path(temp) / "models", args.profile)
        runtime = RuntimeSettings(
            device=args.device, precision=Precision(args.dtype), batch_size=args.batch
        )
        out(
            f"models={'preview ' + args.profile if paths.preview else paths.base} "
            f"frames={args.frames} rounds=0..{args.rounds} steps={args.steps} "
            f"size={args.size} batch={args.batch} dtype={args.dtype} cores={os.cpu_count()} "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}"
        )
        header = "| run | devices | start s | s/round | images vs 1 device |"
        out(header)
        out("|---|---|---:|---:|---|")
        runs = [("1 device", Devices(1))] + [(f"ray {n}", Devices(n)) for n in args.actors]
        base = None
        cluster = None
        if not args.no_nodes:
            runs.append(("2 nodes", None))
        for label, devices in runs:
            if devices is None:
                cluster, address = _two_nodes()
                devices = Devices(2, cluster=address)
            row, history = _run(label, devices, paths, runtime, args)
            base = base or history
            out(
                f"| {label} | {row['device']} | {row['start']:.1f} | {row['per_round']:.2f} | "
                f"{_difference(history, base)} |"
            )
        if cluster is not None:
            cluster.shutdown()
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    if args.write_docs:
        command = " ".join(["bench/scaleout.py", *sys.argv[1:]])
        write_section(
            HEADING,
            f"{HEADING}\n\n`{command}` (in a network namespace with only `lo`). "
            "One device in-process vs Ray (start = Ray + actors + models; s/round after "
            "that).\n\n" + "\n".join(lines),
        )


if __name__ == "__main__":
    main()
