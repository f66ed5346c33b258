"""``python -m engine``: make preview models, check model paths, render a story headless."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from engine.api import MAX_FRAMES, MAX_TEXT_LENGTH
from engine.engines import add_devices_arguments
from engine.errors import EngineError
from engine.json_limits import load_json

MAX_STORY_BYTES = 20 << 20


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1024x1024, not {text!r}") from None
    return w, h


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engine", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    mk = sub.add_parser("make-preview-models", help="write tiny random-weight models")
    mk.add_argument("dir", type=Path)
    mk.add_argument("--profile", choices=("micro", "sdxl"), default="micro")
    mk.add_argument("--overwrite", action="store_true")

    ck = sub.add_parser("check", help="check model paths without loading them")
    _model_args(ck)
    ck.add_argument("--json", action="store_true", help="the rows as one JSON line")

    r = sub.add_parser("render", help="render a STORY.json round by round")
    r.add_argument("--story", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    _model_args(r)
    r.add_argument("--rounds", type=int, default=10)
    r.add_argument("--steps", type=int, default=None, help="default 50 (4 in fast mode)")
    r.add_argument("--guidance", type=float, default=5.0)
    r.add_argument("--size", type=_size, default=(1024, 1024), help="WxH, default 1024x1024")
    r.add_argument("--seed", type=int, default=None, help="default: a random seed, recorded")
    r.add_argument("--style", default="comic")
    r.add_argument("--batch", type=int, default=4)
    r.add_argument("--device", default="auto")
    r.add_argument("--dtype", default="fp32", choices=("fp32", "fp16", "bf16"))
    r.add_argument("--fast", action="store_true", help="LCM UNet, 4 steps")
    r.add_argument("--quiet", action="store_true")
    add_devices_arguments(r)
    return p


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--models", type=Path, help="a folder in the standard layout")
    where = "a folder, a .safetensors file, or a repo id of the local Hugging Face cache"
    p.add_argument("--base-model", type=Path, help=f"SDXL base: {where}")
    p.add_argument("--image-encoder", type=Path, help=f"CLIP image encoder: {where}")
    p.add_argument("--ip-adapter", type=Path, help="ip-adapter_sdxl file, or h94/IP-Adapter")
    p.add_argument("--controlnet", type=Path, help=f"OpenPose SDXL ControlNet: {where}")
    p.add_argument("--lcm-unet", type=Path, help="LCM UNet folder or LCM-LoRA file")


def model_paths_from_args(args: argparse.Namespace) -> Any:
    """ModelPaths from ``--models DIR`` and/or the explicit paths (explicit ones win)."""
    from dataclasses import replace

    from engine.api import ModelPaths

    if args.models is None and not (args.base_model and args.image_encoder and args.ip_adapter):
        raise EngineError(
            "Say which models to use: --models DIR, or --base-model, --image-encoder and "
            "--ip-adapter (python -m engine make-preview-models DIR writes preview models)."
        )
    if args.models is not None:
        if not args.models.is_dir():
            raise EngineError(f"--models {args.models}: no such folder.")
        paths = ModelPaths.from_models_dir(args.models)
    else:
        paths = ModelPaths(args.base_model, args.image_encoder, args.ip_adapter)
    overrides = {
        "base": args.base_model,
        "image_encoder": args.image_encoder,
        "ip_adapter": args.ip_adapter,
        "controlnet": args.controlnet,
        "lcm": args.lcm_unet,
    }
    return replace(paths, **{k: v for k, v in overrides.items() if v is not None})


def _story_text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise EngineError(f"{what} must be text, not {type(value).__name__}.")
    if len(value) > MAX_TEXT_LENGTH:
        raise EngineError(f"{what} is {len(value):,} characters; the limit is {MAX_TEXT_LENGTH:,}.")
    return value


def load_story(path: Path) -> tuple[list[Any], bool]:
    """STORY.json -> StoryFrames (and whether any frame is posed).

    The same bounds as a project: at most ``MAX_FRAMES`` frames, text fields of at most
    ``MAX_TEXT_LENGTH`` characters, JSON nested at most ``MAX_JSON_DEPTH`` deep.
    """
    from engine.pose import parse_openpose
    from engine.prompts import compile_card
    from engine.story_iter import StoryFrame

    try:
        if path.stat().st_size > MAX_STORY_BYTES:
            raise EngineError(f"{path} is larger than 20 MB; not a story file.")
        data = load_json(
            path.read_bytes(), f"Story file {path}", max_bytes=MAX_STORY_BYTES, kind=dict
        )
    except FileNotFoundError:
        raise EngineError(f"Story file {path} does not exist.") from None
    except OSError as exc:
        raise EngineError(f"Story file {path} cannot be read ({exc.strerror or exc}).") from None
    frames = data.get("frames")
    if not isinstance(frames, list) or not frames:
        raise EngineError(f'Story file {path} needs a non-empty "frames" list.')
    if len(frames) > MAX_FRAMES:
        raise EngineError(
            f"Story file {path} has {len(frames):,} frames; a story holds at most {MAX_FRAMES:,}."
        )
    cast = data.get("cast") or {}
    if not isinstance(cast, dict):
        raise EngineError(f'Story file {path}: "cast" must map names to descriptions.')
    for name, description in cast.items():
        _story_text(description, f"Story file {path}: the description of cast member {name!r}")
    out = []
    for i, entry in enumerate(frames, 1):
        if not isinstance(entry, dict):
            raise EngineError(f"Story file {path}: frame {i} is not an object.")
        if "prompt" in entry:
            prompt = _story_text(entry["prompt"], f"Story file {path}: frame {i}'s prompt")
            prompt = compile_card(prompt, "", "", cast)
        elif any(k in entry for k in ("character", "interaction", "scene")):
            parts = [
                _story_text(entry.get(k, ""), f"Story file {path}: frame {i}'s {k}")
                for k in ("character", "interaction", "scene")
            ]
            prompt = compile_card(*parts, cast)
        else:
            raise EngineError(
                f'Story file {path}: frame {i} needs "prompt" or character/interaction/scene.'
            )
        pose = None
        if entry.get("pose") is not None:
            try:
                pose = parse_openpose(entry["pose"])
            except EngineError as exc:
                raise EngineError(f"Story file {path}: frame {i} pose: {exc}") from None
        out.append(StoryFrame(f"{i:03d}", prompt, pose))
    return out, any(f.pose is not None for f in out)


def _cmd_render(args: argparse.Namespace) -> int:
    import numpy as np

    from engine.api import (
        FAST_STEPS,
        CancelToken,
        GenerationSettings,
        RuntimeSettings,
        ip_scale_schedule,
    )
    from engine.engines import devices_from_args, make_engine
    from engine.prompts import get_style
    from engine.story_iter import run_story
    from engine.terminal import ProgressBar

    frames, posed = load_story(args.story)
    get_style(args.style)
    paths = model_paths_from_args(args)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    steps = args.steps or (FAST_STEPS if args.fast else 50)
    width, height = args.size
    settings = GenerationSettings(
        steps=steps,
        guidance=args.guidance,
        width=width,
        height=height,
        style=args.style,
        fast=args.fast,
        controlnet=posed and paths.controlnet is not None,
    )
    runtime = RuntimeSettings(device=args.device, precision=args.dtype, batch_size=args.batch)
    devices = devices_from_args(args)
    engine = make_engine(paths, runtime, devices)
    cancel = CancelToken()
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):  # Ctrl-C, a closed terminal, a polite kill
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), lambda *_: cancel.cancel())
    bar = ProgressBar(enabled=not args.quiet)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def save_round(r: int, results: list[Any]) -> None:
        folder = args.out / f"round-{r:02d}"
        folder.mkdir(exist_ok=True)
        for i, res in enumerate(results):
            res.image.save(folder / f"frame-{i:03d}.png")
        np.save(folder / "embeddings.npy", np.stack([res.embedding for res in results]))

    try:
        history = run_story(
            engine,
            frames,
            settings,
            rounds=args.rounds,
            seed=seed,
            cancel=cancel,
            on_progress=bar.update,
            on_round=save_round,
        )
        described, fingerprints = engine.device, engine.fingerprints()
        encodes = engine.encode_count
    finally:
        bar.close()
        engine.close()
    manifest = {
        "story": str(args.story),
        "frames": [
            {"id": f.frame_id, "prompt": f.prompt, "posed": f.pose is not None} for f in frames
        ],
        "settings": settings.__dict__,
        "runtime": {
            "device": described,
            "precision": args.dtype,
            "batch": args.batch,
            "devices": devices.describe(),
        },
        "seed": seed,
        "rounds": args.rounds,
        "rounds_completed": len(history),
        "ip_scales": [0.0, *ip_scale_schedule(args.rounds)],
        "model_paths": {k: str(v) for k, v in paths.__dict__.items()},
        "model_fingerprints": fingerprints,
        "image_encodes": encodes,
        "seconds": round(time.perf_counter() - started, 3),
        "cancelled": cancel.cancelled,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    print(f"{len(history)} round(s) of {len(frames)} frame(s) written to {args.out}")
    return 130 if cancel.cancelled else 0


def _cmd_check(args: argparse.Namespace) -> int:
    from engine.checkpoints import check_models

    rows = check_models(model_paths_from_args(args))
    if args.json:
        print(json.dumps([[name, str(path or ""), status] for name, path, status in rows]))
        return 0
    bad = 0
    for name, path, status in rows:
        mark = "ok " if status == "ok" else ("-- " if status == "not configured" else "!! ")
        bad += mark == "!! "
        print(
            f"{mark}{name:22} {path or ''}\n   {status}"
            if mark == "!! "
            else f"{mark}{name:22} {path or status}"
        )
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "make-preview-models":
            from engine.preview_models import make_preview_models

            paths = make_preview_models(args.dir, args.profile, overwrite=args.overwrite)
            print(f"Preview models ({args.profile}) written to {paths.base.parent}")
            return 0
        if args.command == "check":
            return _cmd_check(args)
        return _cmd_render(args)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
