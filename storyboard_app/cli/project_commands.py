"""``storyboard new / info / settings / history / choose``: a project file's story and history."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from storyboard_app.cli.common import frame_by_number
from storyboard_app.project.errors import ProjectError


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``storyboard`` parser."""
    new = sub.add_parser("new", help="create a project file")
    new.add_argument("path", type=Path)
    source = new.add_mutually_exclusive_group()
    source.add_argument("--from-text", type=Path, help="story text: one frame per line")
    source.add_argument("--from-fountain", type=Path, help="a Fountain screenplay")
    source.add_argument("--from-fdx", type=Path, help="a Final Draft (.fdx) screenplay")
    new.add_argument("--prose", action="store_true", help="with --from-text: paragraphs are frames")
    new.add_argument(
        "--per-sentence", action="store_true", help="a frame per sentence, not per paragraph"
    )
    new.add_argument("--title")
    new.set_defaults(run=cmd_new)
    info = sub.add_parser("info", help="frames, images and passes of a project")
    info.add_argument("path", type=Path)
    info.add_argument("--json", action="store_true")
    info.set_defaults(run=cmd_info)
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
    st.set_defaults(run=cmd_settings)
    h = sub.add_parser("history", help="every image of one frame")
    h.add_argument("path", type=Path)
    h.add_argument("--frame", type=int, required=True)
    h.add_argument("--json", action="store_true")
    h.set_defaults(run=cmd_history)
    c = sub.add_parser("choose", help="make an image the frame's current image")
    c.add_argument("path", type=Path)
    c.add_argument("--frame", type=int, required=True)
    c.add_argument("--image", type=int, required=True)
    c.set_defaults(run=cmd_choose)


def _info_data(store: Any) -> dict[str, Any]:
    from engine.prompts import apply_style, get_style

    data = store.to_json()
    style = get_style(store.settings().style)
    for frame in data["frames"]:
        frame["card_prompt"] = frame["prompt"]
        frame["prompt"] = apply_style(frame["prompt"], style)  # as sent
    return data


def cmd_new(args: argparse.Namespace) -> int:
    from storyboard_app.project.script_files import read_script
    from storyboard_app.project.store import ProjectStore

    text = script = None
    if args.from_text is not None and not args.prose:
        if args.per_sentence:
            raise ProjectError("--per-sentence reads paragraphs: add --prose.")
        try:
            text = args.from_text.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProjectError(f"Cannot read story text {args.from_text}: {exc}") from None
    elif args.prose and args.from_text is None:
        raise ProjectError("--prose says how to read --from-text; give the text file.")
    source = args.from_fountain or args.from_fdx or (args.from_text if args.prose else None)
    if source is not None:
        kind = "fountain" if args.from_fountain else "fdx" if args.from_fdx else "prose"
        script = read_script(source, kind, per_sentence=args.per_sentence)
    elif args.per_sentence and text is None:
        raise ProjectError("--per-sentence applies to a script or prose import.")
    named = args.from_text or args.from_fountain or args.from_fdx
    title = args.title or (script.title if script else None) or (named or args.path).stem
    with ProjectStore.create(args.path, title=title) as store:
        if text is not None:
            store.import_story_text(text)
        if script is not None:
            store.import_script(script)
        n, cast, scenes = len(store.frames()), len(store.cast()), len(store.scenes())
    print(f"Created {args.path}: {scenes} scene(s), {n} frame(s), {cast} cast member(s).")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from storyboard_app.project.migrations import older_format_note
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open_reader(args.path) as store:
        data = _info_data(store)
        data["read_only"] = store.storage_note
        data["older_format"] = store.older_format
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    s = data["settings"]
    print(f"{data['title']} — {len(data['frames'])} frames, style {s['style']}, seed {s['seed']}")
    if data["read_only"]:
        print(f"Read-only here: {data['read_only']}. It can be read and exported, not changed.")
    if data["older_format"] is not None:
        print(older_format_note(data["older_format"], writable=not data["read_only"]))
    scenes = {scene["id"]: scene for scene in data["scenes"]}
    shown_scene = None
    for f in data["frames"]:
        scene = scenes[f["scene_id"]]
        if scene["id"] != shown_scene and (len(scenes) > 1 or scene["heading"]):
            number = scene["number"] or scene["index"]
            print(f"Scene {number}: {scene['heading'] or '(no heading)'}")
        shown_scene = scene["id"]
        flags = "".join([" [locked]" if f["locked"] else "", " [stale]" if f["stale"] else ""])
        rounds = sorted({i["round"] for i in f["images"]})
        shown = f"rounds {rounds[0]}-{rounds[-1]}" if rounds else "no images"
        print(
            f"{f['index']:>3}. {f['card_prompt'][:70]:70}  {shown}, "
            f"current {f['current_image']}{flags}"
        )
    for p in data["passes"]:
        state = p["status"]
        if p["superseded_by"] is not None:
            state += f", superseded by pass {p['superseded_by']}"
        elif p["resumable"]:
            state += f", {p['frames_left']} frame(s) left to draw"
        elif p["status"] in ("interrupted", "cancelled", "failed") and p["frames_left"]:
            state += ", cannot be resumed (its reference images were deleted)"
        print(f"pass {p['id']}: {p['kind']} {state} ({len(p['frames'])} frames)")
    resumable = [p["id"] for p in data["passes"] if p["resumable"]]
    if resumable:
        print(f"`storyboard render {args.path} --resume` finishes pass {resumable[-1]}.")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from storyboard_app.project.store import ProjectStore
    from storyboard_app.project.story_settings import checked_settings, parse_size

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
        changes["width"], changes["height"] = parse_size(args.size)
    changes = {k: v for k, v in changes.items() if v is not None}
    with ProjectStore.open(args.path) as store:
        if changes or args.title:
            settings = checked_settings(store.settings(), changes)
            store.update_story(title=args.title or store.story().title, settings=settings)
        story = store.story()
    print(story.title)
    for key, value in story.settings.to_dict().items():
        print(f"  {key:12} {value}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open_reader(args.path) as store:
        frame = frame_by_number(store, args.frame)
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
        frame = frame_by_number(store, args.frame)
        store.choose_image(frame.id, args.image)
    print(f"Frame {args.frame} now uses image {args.image}.")
    return 0
