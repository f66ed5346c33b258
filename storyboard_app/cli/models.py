"""``storyboard models``: the model configuration and its check."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``storyboard`` parser."""
    m = sub.add_parser("models", help="model configuration")
    msub = m.add_subparsers(dest="models_command", required=True)
    mc = msub.add_parser("check", help="check the configured model paths")
    mc.add_argument("--preview-models", action="store_true")
    ms = msub.add_parser("set", help="configure model paths")
    for name in ("base", "image-encoder", "ip-adapter", "controlnet", "lcm"):
        ms.add_argument(f"--{name}")
    ms.add_argument("--device")
    ms.add_argument("--precision", choices=("fp32", "fp16", "bf16"))
    ms.add_argument("--offload", choices=("none", "model", "sequential"))
    ms.add_argument("--batch-size", type=int)
    m.set_defaults(run=cmd_models)


def cmd_models(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from engine.checkpoints import check_models
    from storyboard_app.project.model_config import (
        config_path,
        load_model_config,
        resolve_models,
        save_model_config,
    )

    config = load_model_config()
    if args.models_command == "set":
        changes = {
            "base": args.base,
            "image_encoder": args.image_encoder,
            "ip_adapter": args.ip_adapter,
            "controlnet": args.controlnet,
            "lcm": args.lcm,
            "device": args.device,
            "precision": args.precision,
            "offload": args.offload,
            "batch_size": args.batch_size,
        }
        config = replace(config, **{k: v for k, v in changes.items() if v is not None})
        print(f"Saved {save_model_config(config)}.")
        return 0
    if not config.configured and not args.preview_models:
        print(f"No models configured in {config_path()}; the preview models will be used.")
    paths, runtime = resolve_models(config, preview=args.preview_models)
    print(paths.describe())
    bad = 0
    for name, path, status in check_models(paths):
        if status == "ok":
            print(f"  ok  {name:22} {path}")
        elif status == "not configured":
            print(f"  --  {name:22} not configured")
        else:
            bad += 1
            print(f"  !!  {name:22} {path}\n      {status}")
    print(f"device {runtime.device}, precision {runtime.precision}, offload {runtime.offload}")
    return 1 if bad else 0
