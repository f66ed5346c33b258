"""The ``storyboard`` command: create, inspect, render and export project files."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any

from storyboard_app.project.errors import ProjectError


def _frame_ranges(text: str) -> list[int]:
    """``1,3-5`` -> [1, 3, 4, 5] (1-based frame numbers)."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a:
                    raise ValueError
                out.extend(range(a, b + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"frames must look like 1,3-5, not {text!r}") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"frames are numbered from 1: {text!r}")
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="storyboard", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    new = sub.add_parser("new", help="create a project file")
    new.add_argument("path", type=Path)
    new.add_argument("--from-text", type=Path, help="story text: one frame per line")
    new.add_argument("--title")

    info = sub.add_parser("info", help="frames, images and passes of a project")
    info.add_argument("path", type=Path)
    info.add_argument("--json", action="store_true")

    r = sub.add_parser("render", help="draw frames with the Story-Iter engine")
    r.add_argument("path", type=Path)
    r.add_argument("--rounds", type=int, help="iterations to run (default: finish the schedule)")
    r.add_argument("--frames", type=_frame_ranges, help="frame numbers, e.g. 1,3-5")
    r.add_argument("--stale", action="store_true", help="re-draw only stale frames")
    r.add_argument("--fast", action="store_true", help="LCM UNet, 4 steps")
    r.add_argument("--style")
    r.add_argument("--resume", action="store_true", help="finish an interrupted pass")
    r.add_argument("--preview-models", action="store_true")
    r.add_argument("--quiet", action="store_true")
    r.add_argument("--devices", type=int, default=1, help="split passes over N GPUs/processes")

    st = sub.add_parser("settings", help="show or change the story's generation settings")
    st.add_argument("path", type=Path)
    st.add_argument("--rounds", type=int, help="length L of the scale schedule")
    st.add_argument("--steps", type=int)
    st.add_argument("--guidance", type=float)
    st.add_argument("--size", help="WxH, e.g. 1024x1024")
    st.add_argument("--style")
    st.add_argument("--seed", type=int)
    st.add_argument("--seed-policy", choices=("shared", "per_frame"))
    st.add_argument("--batch", type=int)
    st.add_argument("--fast", action=argparse.BooleanOptionalAction)
    st.add_argument("--controlnet", action=argparse.BooleanOptionalAction)
    st.add_argument("--title")

    h = sub.add_parser("history", help="every image of one frame")
    h.add_argument("path", type=Path)
    h.add_argument("--frame", type=int, required=True)
    h.add_argument("--json", action="store_true")

    c = sub.add_parser("choose", help="make an image the frame's current image")
    c.add_argument("path", type=Path)
    c.add_argument("--frame", type=int, required=True)
    c.add_argument("--image", type=int, required=True)

    e = sub.add_parser("export", help="PDF (comic / film), PNG sheet, GIF, poses, ZIP")
    e.add_argument("path", type=Path)
    e.add_argument("--pdf", type=Path)
    e.add_argument("--layout", choices=("comic", "film"), default="comic")
    e.add_argument("--images", default="chosen", help="chosen | latest | round:N")
    e.add_argument("--page-size", default="A4", choices=("A4", "Letter", "comic"))
    e.add_argument("--landscape", action="store_true")
    e.add_argument("--rtl", action="store_true")
    e.add_argument("--rows", type=int, default=0)
    e.add_argument("--columns", type=int, default=0)
    e.add_argument("--panels-per-page", type=int, default=3)
    e.add_argument("--title-page", action="store_true")
    e.add_argument("--shot-numbering", choices=("1", "1A", "1-1"), default="1")
    e.add_argument("--captions", choices=("inside", "below"), default="inside")
    e.add_argument("--bleed-mm", type=float, default=0.0)
    e.add_argument("--margin-mm", type=float, default=12.0)
    e.add_argument("--gutter-mm", type=float, default=4.0)
    e.add_argument("--png", type=Path, help="contact sheet PNG")
    e.add_argument("--gif", type=Path, help="animatic GIF")
    e.add_argument("--poses", type=Path, help="folder for OpenPose JSON")
    e.add_argument("--zip", type=Path, help="ZIP of PNGs named by shot")

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
    return p


# ---------------------------------------------------------------------- commands


def cmd_new(args: argparse.Namespace) -> int:
    from storyboard_app.project.store import ProjectStore

    text = None
    if args.from_text is not None:
        try:
            text = args.from_text.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProjectError(f"Cannot read story text {args.from_text}: {exc}") from None
    title = args.title or (args.from_text.stem if args.from_text else args.path.stem)
    with ProjectStore.create(args.path, title=title) as store:
        if text is not None:
            store.import_story_text(text)
        n, cast = len(store.frames()), len(store.cast())
    print(f"Created {args.path}: {n} frame(s), {cast} cast member(s).")
    return 0


def _info_data(store: Any) -> dict[str, Any]:
    from engine.prompts import apply_style, get_style

    data = store.to_json()
    style = get_style(store.settings().style)
    for frame in data["frames"]:
        frame["card_prompt"] = frame["prompt"]
        frame["prompt"] = apply_style(frame["prompt"], style)  # as sent
    return data


def cmd_info(args: argparse.Namespace) -> int:
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open_reader(args.path) as store:
        data = _info_data(store)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    s = data["settings"]
    print(f"{data['title']} — {len(data['frames'])} frames, style {s['style']}, seed {s['seed']}")
    for f in data["frames"]:
        flags = "".join([" [locked]" if f["locked"] else "", " [stale]" if f["stale"] else ""])
        rounds = sorted({i["round"] for i in f["images"]})
        shown = f"rounds {rounds[0]}-{rounds[-1]}" if rounds else "no images"
        print(
            f"{f['index']:>3}. {f['card_prompt'][:70]:70}  {shown}, "
            f"current {f['current_image']}{flags}"
        )
    for p in data["passes"]:
        print(f"pass {p['id']}: {p['kind']} {p['status']} ({len(p['frames'])} frames)")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from engine.api import CancelToken
    from engine.distributed import make_engine
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
        from dataclasses import replace

        runtime = replace(runtime, batch_size=store.settings().batch_size or runtime.batch_size)
        engine = make_engine(paths, runtime, args.devices)
        if paths.preview and not args.quiet:
            print("Using preview models: random weights, the images are noise.", file=sys.stderr)
        cancel = CancelToken()
        previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
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
            )
        finally:
            bar.close()
            signal.signal(signal.SIGINT, previous)
            if hasattr(engine, "close"):  # worker processes of --devices N
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


def cmd_settings(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from engine.prompts import get_style
    from storyboard_app.project.store import ProjectStore

    changes: dict[str, Any] = {
        "rounds": args.rounds,
        "steps": args.steps,
        "guidance": args.guidance,
        "style": args.style,
        "seed": args.seed,
        "seed_policy": args.seed_policy,
        "batch_size": args.batch,
        "fast": args.fast,
        "controlnet": args.controlnet,
    }
    if args.size:
        try:
            changes["width"], changes["height"] = (int(x) for x in args.size.lower().split("x"))
        except ValueError:
            raise ProjectError(f"--size must look like 1024x1024, not {args.size!r}.") from None
    if args.style:
        get_style(args.style)
    changes = {k: v for k, v in changes.items() if v is not None}
    with ProjectStore.open(args.path) as store:
        if changes or args.title:
            settings = replace(store.settings(), **changes)
            store.update_story(title=args.title or store.story().title, settings=settings)
        story = store.story()
    print(story.title)
    for key, value in story.settings.to_dict().items():
        print(f"  {key:12} {value}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open_reader(args.path) as store:
        frame = _frame_by_number(store, args.frame)
        current = store.current_image_id(frame.id)
        rows = [
            {
                "id": i.id,
                "pass": i.pass_id,
                "round": i.round,
                "seed": i.seed,
                "scale": round(i.ip_scale, 4),
                "current": i.id == current,
                "chosen": i.id == frame.chosen_image_id,
                "created": i.created.isoformat(),
                "prompt_sent": i.record.get("prompt_sent", ""),
            }
            for i in store.images_of_frame(frame.id)
        ]
    if args.json:
        print(json.dumps({"frame": args.frame, "frame_id": frame.id, "images": rows}, indent=2))
        return 0
    print(f"Frame {args.frame}: {len(rows)} image(s)")
    for r in rows:
        mark = "*" if r["current"] else " "
        print(
            f" {mark} image {r['id']:>5}  round {r['round']:>2}  pass {r['pass']:>3}  "
            f"seed {r['seed']}  scale {r['scale']:.3f}"
        )
    return 0


def cmd_choose(args: argparse.Namespace) -> int:
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open(args.path) as store:
        frame = _frame_by_number(store, args.frame)
        store.choose_image(frame.id, args.image)
    print(f"Frame {args.frame} now uses image {args.image}.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from storyboard_app.export import (
        ExportOptions,
        ensure_gui_app,
        export_animatic_gif,
        export_contact_sheet_png,
        export_pdf,
        export_png_zip,
        export_poses,
    )
    from storyboard_app.export.from_project import board_from_project
    from storyboard_app.project.store import ProjectStore

    if not any((args.pdf, args.png, args.gif, args.poses, args.zip)):
        raise ProjectError("Say what to export: --pdf, --png, --gif, --poses or --zip.")
    ensure_gui_app()
    with ProjectStore.open_reader(args.path) as store:
        board = board_from_project(store, args.images)
    options = ExportOptions(
        layout=args.layout,
        page_size=args.page_size,
        orientation="landscape" if args.landscape else "portrait",
        rtl=args.rtl,
        rows=args.rows,
        columns=args.columns,
        panels_per_page=args.panels_per_page,
        title_page=args.title_page,
        shot_numbering=args.shot_numbering,
        caption_placement=args.captions,
        bleed_mm=args.bleed_mm,
        margin_mm=args.margin_mm,
        gutter_mm=args.gutter_mm,
    )
    if args.pdf:
        report = export_pdf(board, options, args.pdf)
        print(f"Wrote {args.pdf} ({getattr(report, 'pages', '?')} pages).")
    for out, write in (
        (args.png, export_contact_sheet_png),
        (args.gif, export_animatic_gif),
        (args.poses, export_poses),
        (args.zip, export_png_zip),
    ):
        if out:
            write(board, out, shot_numbering=args.shot_numbering)
            print(f"Wrote {out}.")
    return 0


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


def _frame_by_number(store: Any, number: int) -> Any:
    frames = store.frames()
    if not 1 <= number <= len(frames):
        raise ProjectError(f"Frame {number} does not exist (the story has {len(frames)} frames).")
    return frames[number - 1]


COMMANDS = {
    "new": cmd_new,
    "info": cmd_info,
    "render": cmd_render,
    "settings": cmd_settings,
    "history": cmd_history,
    "choose": cmd_choose,
    "export": cmd_export,
    "models": cmd_models,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``storyboard`` console script."""
    from engine.errors import EngineError
    from storyboard_app.export.board import ExportError

    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ProjectError, EngineError, ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
