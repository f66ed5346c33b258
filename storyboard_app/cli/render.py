"""``storyboard render``: draw frames of a project with the Story-Iter engine."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from engine.engines import add_devices_arguments
from storyboard_app.cli.common import frame_ranges
from storyboard_app.project.errors import ProjectError

_CANCEL_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``storyboard`` parser."""
    r = sub.add_parser("render", help="draw frames with the Story-Iter engine")
    r.add_argument("path", type=Path)
    r.add_argument("--rounds", type=int, help="iterations to run (default: finish the schedule)")
    r.add_argument("--frames", type=frame_ranges, help="frame numbers, e.g. 1,3-5")
    r.add_argument("--stale", action="store_true", help="re-draw only stale frames")
    r.add_argument(
        "--drifting", action="store_true", help="re-iterate the frames `report` flags as drifting"
    )
    r.add_argument("--fast", action="store_true", help="LCM UNet, 4 steps")
    r.add_argument("--style")
    r.add_argument("--resume", action="store_true", help="finish an interrupted pass")
    r.add_argument("--preview-models", action="store_true")
    r.add_argument("--quiet", action="store_true")
    add_devices_arguments(r)
    r.set_defaults(run=cmd_render)


def cmd_render(args: argparse.Namespace) -> int:
    from engine.api import CancelToken
    from engine.engines import devices_from_args, make_engine
    from engine.terminal import ProgressBar
    from storyboard_app.project import runner
    from storyboard_app.project.model_config import resolve_models
    from storyboard_app.project.store import ProjectStore

    paths, runtime = resolve_models(preview=args.preview_models)
    with ProjectStore.open(args.path) as store:
        frame_ids = None
        if args.frames:
            frames = store.frames()
            bad = [n for n in args.frames if n > len(frames)]
            if bad:
                raise ProjectError(f"Frame {bad[0]} does not exist (the story has {len(frames)}).")
            frame_ids = [frames[n - 1].id for n in args.frames]
        if args.drifting:
            from storyboard_app.project.report import story_report

            drifting = story_report(store).drifting_frame_ids()
            if not drifting:
                print(f"{args.path}: no frame drifts; nothing to re-iterate.")
                return 0
            frame_ids = [f for f in (frame_ids or drifting) if f in drifting]
            if not frame_ids:
                print(f"{args.path}: none of the chosen frames drifts; nothing to re-iterate.")
                return 0
        from dataclasses import replace

        runtime = replace(runtime, batch_size=store.settings().batch_size or runtime.batch_size)
        devices = devices_from_args(args)
        engine = make_engine(paths, runtime, devices)
        if paths.preview and not args.quiet:
            from storyboard_app.project.preview_sizing import describe_preview_sizing

            print("Using preview models: random weights, the images are noise.", file=sys.stderr)
            sizing = describe_preview_sizing(store)
            if sizing:
                print(f"Preview models: {sizing}.", file=sys.stderr)
        if not devices.in_process:
            # Ray, the token and every node's model files are checked before a pass begins.
            try:
                engine.start()
            except BaseException:
                engine.close()
                raise
        cancel = CancelToken()
        # Ctrl-C, a terminal closing (SIGHUP) and a polite kill (SIGTERM) all cancel: the
        # frame in flight is finished and committed, the pass ends "cancelled", the lock goes.
        previous = {
            number: signal.signal(number, lambda *_: cancel.cancel()) for number in _CANCEL_SIGNALS
        }
        bar = ProgressBar(enabled=not args.quiet)

        def on_pass(plan: Any) -> None:
            rounds = sorted({j.round for j in plan.jobs})
            label = f"round {rounds[0]}" if len(rounds) == 1 else f"rounds {rounds[0]}-{rounds[-1]}"
            if not args.quiet:
                from tqdm import tqdm

                tqdm.write(f"{plan.kind}: {len(plan.jobs)} frame(s), {label}", file=sys.stderr)

        try:
            outcomes = runner.render(
                store,
                engine,
                rounds=args.rounds,
                frame_ids=frame_ids,
                stale=args.stale,
                resume=args.resume,
                fast=True if args.fast else None,
                style=args.style,
                cancel=cancel,
                on_progress=bar.update,
                on_pass=on_pass,
                preview_sized=paths.preview,
            )
        finally:
            bar.close()
            for number, handler in previous.items():
                signal.signal(number, handler)
            engine.close()
        images = sum(len(o.image_ids) for o in outcomes)
        print(f"{args.path}: {len(outcomes)} pass(es), {images} image(s) committed.")
        for o in outcomes:
            if o.status == "cancelled":
                print(
                    f"Pass {o.pass_id} cancelled; "
                    f"`storyboard render {args.path} --resume` finishes it."
                )
                return 130
            if o.status == "failed":
                print(f"error: pass {o.pass_id} failed: {o.error}", file=sys.stderr)
                return 1
    return 0
