"""``storyboard export --fountain / --storyboarder``: the story back to a script, and the
board to a Storyboarder project (the options of ``export`` that need no page layout)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--fountain OUT`` and ``--storyboarder DIR`` to the export parser."""
    parser.add_argument("--fountain", type=Path, help="the story as a Fountain screenplay")
    parser.add_argument("--storyboarder", type=Path, help="a new folder for a Storyboarder project")


def requested(args: argparse.Namespace) -> bool:
    """Whether any of these outputs was asked for."""
    return bool(args.fountain or args.storyboarder)


def run(args: argparse.Namespace) -> None:
    """Write the requested outputs and say where they went."""
    from storyboard_app.export.fountain_out import export_fountain
    from storyboard_app.export.storyboarder import export_storyboarder
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open_reader(args.path) as store:
        if args.fountain:
            export_fountain(store, args.fountain)
            print(f"Wrote {args.fountain}.")
        if args.storyboarder:
            written = export_storyboarder(store, args.storyboarder)
            print(f"Wrote {written} and its images.")
