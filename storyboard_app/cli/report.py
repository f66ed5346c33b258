"""``storyboard report``: which frames drift, which have converged, which round is best."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``storyboard`` parser."""
    rep = sub.add_parser(
        "report", help="consistency read-outs: drifting frames, suggested rounds, cast"
    )
    rep.add_argument("path", type=Path)
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--round", type=int, help="judge round N instead of the current images")
    rep.add_argument(
        "--fill-alignment",
        action="store_true",
        help="load the models and measure the alignment of images made before read-outs",
    )
    rep.add_argument("--preview-models", action="store_true")
    rep.set_defaults(run=cmd_report)


def _figure(value: float | None) -> str:
    return "   —  " if value is None else f"{value:6.3f}"


def cmd_report(args: argparse.Namespace) -> int:
    from storyboard_app.project.report import story_report
    from storyboard_app.project.store import ProjectStore

    if args.fill_alignment:
        fill_alignment(args.path, args.preview_models)
    with ProjectStore.open_reader(args.path) as store:
        report = story_report(store, args.round)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return 0
    s = report.summary
    print(f"{report.title} — {s['frames']} frames, judged on the {report.selection} images")
    print(
        f"  text alignment {_figure(s['text_alignment']).strip()}, "
        f"character consistency {_figure(s['character_consistency']).strip()}, "
        f"{s['drifting']} drifting, {s['converged']} converged"
    )
    print("  frame  align  consist change  state      suggested")
    for f in report.frames:
        picked = (
            f.figures_of(f.current_image_id)
            if args.round is None
            else next((r for r in f.rounds if r.round == args.round), None)
        )
        a, c, d = (
            (None, None, None)
            if picked is None
            else (picked.alignment, picked.consistency, picked.change)
        )
        hint = "" if f.suggested_round is None else f"round {f.suggested_round}"
        print(f"  {f.index:>5} {_figure(a)} {_figure(c)} {_figure(d)}  {f.state.value:10} {hint}")
        for reason in f.reasons:
            print(f"         {reason}")
    for member in report.cast:
        rounds = ", ".join(f"r{k} {_figure(v).strip()}" for k, v in sorted(member.by_round.items()))
        print(f"  @{member.name} (frames {', '.join(map(str, member.frames))}): {rounds or '—'}")
    if report.alignment is None and report.consistency is None:
        print("  (too few figures to judge drift: at least three frames with images are needed)")
    return 0


def fill_alignment(path: Path, preview: bool) -> None:
    """Measure alignment for the images that have none (made before read-outs existed)."""
    import sys

    from engine.embeddings import alignment
    from engine.story_iter import StoryIterEngine
    from storyboard_app.project.model_config import resolve_models
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open(path) as store:
        todo = store.images_without_alignment()
        if not todo:
            print("Every image already has its alignment.", file=sys.stderr)
            return
        paths, runtime = resolve_models(preview=preview)
        engine = StoryIterEngine(paths, runtime)  # the text encoder of the models configured
        vectors = store.image_embeddings([i for i, _ in todo])
        found = {}
        for (image_id, prompt), vector in zip(todo, vectors, strict=True):
            value = alignment(vector, engine.card_text_embedding(prompt))
            if value is not None:
                found[image_id] = value
        store.set_alignments(found)
    missing = len(todo) - len(found)
    note = (
        f"; {missing} could not be measured: these models' text and image embeddings do not "
        "share a space (their widths differ)"
        if missing
        else ""
    )
    print(f"Measured the alignment of {len(found)} image(s){note}.", file=sys.stderr)
