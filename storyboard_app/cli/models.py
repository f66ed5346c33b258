"""``storyboard models``: find, configure and check the model files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

_ROLE_FLAGS = ("base", "image-encoder", "ip-adapter", "controlnet", "lcm")
_MISSING = {
    "base": "no SDXL base checkpoint found; give --base FILE_OR_FOLDER",
    "image_encoder": (
        "no CLIP-vision model found (A1111 trees have none): give --image-encoder with "
        "h94/IP-Adapter's sdxl_models/image_encoder folder, ComfyUI's "
        "clip_vision/CLIP-ViT-bigG-14-laion2B-39B-b160k.safetensors, or the repo id "
        "h94/IP-Adapter once it is in the Hugging Face cache"
    ),
    "ip_adapter": "no ip-adapter_sdxl file found; give --ip-adapter FILE",
    "controlnet": "optional; needed for posed frames (an OpenPose SDXL ControlNet)",
    "lcm": "optional; needed for fast mode (an LCM UNet or an LCM-LoRA)",
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``storyboard`` parser."""
    m = sub.add_parser("models", help="model configuration")
    msub = m.add_subparsers(dest="models_command", required=True)
    mc = msub.add_parser("check", help="check the configured model paths (reads headers only)")
    mc.add_argument("--preview-models", action="store_true")
    sc = msub.add_parser(
        "scan", help="find model files under a ComfyUI/A1111 models folder or the hub cache"
    )
    sc.add_argument("dir", nargs="?", type=Path, help="default: the Hugging Face cache")
    sc.add_argument("--json", action="store_true", help="print the candidates as JSON")
    ms = msub.add_parser("set", help="configure model paths (stored as absolute paths)")
    ms.add_argument("--scan", type=Path, metavar="DIR", help="use the best files found in DIR")
    for name in _ROLE_FLAGS:
        ms.add_argument(f"--{name}", help="a file or folder, or a repo id of the hub cache")
    ms.add_argument("--device")
    ms.add_argument("--precision", choices=("fp32", "fp16", "bf16"))
    ms.add_argument("--offload", choices=("none", "model", "sequential"))
    ms.add_argument("--batch-size", type=int)
    m.set_defaults(run=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    if args.models_command == "scan":
        return _scan(args)
    if args.models_command == "set":
        return _set(args)
    return _check(args)


def _scan(args: argparse.Namespace) -> int:
    from engine.model_scan import best, scan
    from engine.model_sources import Role, hub_cache_dir

    where = args.dir or hub_cache_dir()
    candidates, rejected = scan(args.dir)
    if args.json:
        print(
            json.dumps(
                {
                    "scanned": str(where),
                    "candidates": [
                        {"role": c.role.value, "source": c.source, "layout": c.layout}
                        for c in candidates
                    ],
                    "skipped": [{"path": str(r.path), "reason": r.reason} for r in rejected],
                },
                indent=2,
            )
        )
        return 0 if candidates else 1
    print(f"Scanned {where}")
    chosen = best(candidates)
    for role in Role:
        mine = [c for c in candidates if c.role is role]
        print(f"{role.title}:")
        if not mine:
            print("  (none found)")
        for c in mine:
            mark = "*" if chosen.get(role) is c else " "
            print(f"  {mark} {c.source}  [{c.layout}]")
    for r in rejected:
        print(f"skipped {r.path}\n    {r.reason}")
    print("* = what `storyboard models set --scan` would choose")
    return 0 if candidates else 1


def _set(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from storyboard_app.project.model_config import (
        load_model_config,
        save_model_config,
        stored_location,
    )

    config = load_model_config()
    changes: dict[str, object] = {}
    if args.scan is not None:
        changes |= _choose_from_scan(args.scan)
    explicit = {
        "base": args.base,
        "image_encoder": args.image_encoder,
        "ip_adapter": args.ip_adapter,
        "controlnet": args.controlnet,
        "lcm": args.lcm,
    }
    changes |= {k: stored_location(v) for k, v in explicit.items() if v is not None}
    runtime = {
        "device": args.device,
        "precision": args.precision,
        "offload": args.offload,
        "batch_size": args.batch_size,
    }
    changes |= {k: v for k, v in runtime.items() if v is not None}
    config = replace(config, **changes)
    print(f"Saved {save_model_config(config)}.")
    if args.scan is not None:
        print("Run `storyboard models check` to check the set together.")
    return 0


def _choose_from_scan(root: Path) -> dict[str, object]:
    """The best candidate per role under ``root``; the hub cache fills an image encoder gap."""
    from engine.model_scan import best, scan
    from engine.model_sources import Role, default_image_encoder

    candidates, rejected = scan(root)
    chosen = best(candidates)
    print(f"Scanned {root.expanduser().absolute()}:")
    encoder_note = ""
    if Role.IMAGE_ENCODER not in chosen and Role.IP_ADAPTER in chosen:
        beside = default_image_encoder(chosen[Role.IP_ADAPTER].path)
        hub = best(scan(None)[0]).get(Role.IMAGE_ENCODER)
        if beside is None and hub is not None:
            chosen[Role.IMAGE_ENCODER] = hub
            encoder_note = (
                f"    (no CLIP-vision model under {root}; this one is from the Hugging Face cache)"
            )
    changes: dict[str, object] = {}
    for role in Role:
        c = chosen.get(role)
        if c is None:
            print(f"  missing  {role.title}: {_MISSING[role]}")
            continue
        changes[role.value] = c.source
        print(f"  chose    {role.title}: {c.source}  [{c.layout}]")
        if role is Role.IMAGE_ENCODER and encoder_note:
            print(encoder_note)
    for r in rejected:
        print(f"  skipped  {r.path}: {r.reason}")
    return changes


def _check(args: argparse.Namespace) -> int:
    from engine.checkpoints import check_models
    from engine.model_sources import describe_layout
    from storyboard_app.project.model_config import config_path, load_model_config, resolve_models

    config = load_model_config()
    if not config.configured and not args.preview_models:
        print(f"No models configured in {config_path()}; the preview models will be used.")
    paths, runtime = resolve_models(config, preview=args.preview_models)
    print(paths.describe())
    bad = 0
    for name, path, status in check_models(paths):
        if status == "ok" and path is not None:
            lora = name.startswith("LCM") and path.is_file()
            print(f"  ok  {name:22} {path}  [{describe_layout(path, lora=lora)}]")
        elif status == "not configured":
            print(f"  --  {name:22} not configured")
        else:
            bad += 1
            print(f"  !!  {name:22} {path}\n      {status}")
    print(f"device {runtime.device}, precision {runtime.precision}, offload {runtime.offload}")
    return 1 if bad else 0
