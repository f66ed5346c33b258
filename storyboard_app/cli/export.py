"""``storyboard export``: PDF, PNG sheet, GIF, poses, ZIP, MP4, timeline and CSV from a project.

Every file goes through the safe writer (``project.safe_write``): a target that is a project,
or whose suffix contradicts its format, is refused; a failed or cancelled export leaves the
previous file as it was. Ctrl-C and SIGTERM cancel cleanly (exit 130 / 143, no temp files).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from storyboard_app.cli import export_scripts
from storyboard_app.cli.export_editorial import add_editorial_flags, export_editorial
from storyboard_app.cli.export_options import add_layout_flags, options_from, with_panel_fits
from storyboard_app.project.cancel import WriteCancelled, request_cancel, reset_cancel
from storyboard_app.project.errors import ProjectError

if TYPE_CHECKING:
    from storyboard_app.export.board import ExportBoard


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``storyboard`` parser."""
    e = sub.add_parser(
        "export", help="PDF (comic / film), PNG sheet, GIF, poses, ZIP, MP4, timeline, CSV"
    )
    e.add_argument("path", type=Path)
    e.add_argument("--pdf", type=Path)
    e.add_argument("--images", default="chosen", help="chosen | latest | round:N")
    add_layout_flags(e)
    e.add_argument("--png", type=Path, help="contact sheet PNG")
    e.add_argument("--gif", type=Path, help="animatic GIF")
    e.add_argument("--poses", type=Path, help="folder for OpenPose JSON")
    e.add_argument("--zip", type=Path, help="ZIP of PNGs named by shot")
    add_editorial_flags(e)
    export_scripts.add_arguments(e)
    e.set_defaults(run=cmd_export)


CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def cmd_export(args: argparse.Namespace) -> int:
    """Run the export; SIGINT and SIGTERM cancel it at the next safe point.

    The handler only records the request (``project.cancel``): raising from a signal handler
    into the middle of a Qt or FFmpeg call can corrupt the binding. The writers stop between
    pages, frames and files, and the safe writer before it replaces anything, removing its
    temp file. Once the export is over the process only exits, so signals stay handled.
    """
    reset_cancel()
    for number in CANCEL_SIGNALS:
        signal.signal(number, lambda signum, _frame: request_cancel(signum))
    try:
        return _export(args)
    except WriteCancelled as stop:
        print(
            f"Export cancelled ({stop}); files not finished were not written and existing "
            "files are unchanged.",
            file=sys.stderr,
        )
        return 128 + stop.signum


def _export(args: argparse.Namespace) -> int:
    from storyboard_app.export import (
        ensure_gui_app,
        export_animatic_gif,
        export_contact_sheet_png,
        export_png_zip,
        export_poses,
    )
    from storyboard_app.export.from_project import board_from_project
    from storyboard_app.project.store import ProjectStore

    outputs = (args.pdf, args.png, args.gif, args.poses, args.zip, args.video, args.timeline)
    if not any((*outputs, args.csv)):
        if export_scripts.requested(args):
            export_scripts.run(args)
            return 0
        raise ProjectError(
            "Say what to export: --pdf, --png, --gif, --poses, --zip, --video, --timeline, "
            "--csv, --fountain or --storyboarder."
        )
    if export_scripts.requested(args):
        export_scripts.run(args)
    ensure_gui_app()
    with ProjectStore.open_reader(args.path) as store:
        board = with_panel_fits(board_from_project(store, args.images), args)
    if args.pdf:
        _export_pdf(board, args)
    if args.gif:
        export_animatic_gif(
            board,
            args.gif,
            size=args.video_size,
            captions=not args.no_captions,
            shot_numbering=args.shot_numbering,
        )
        print(f"Wrote {args.gif}.", flush=True)
    for out, write in (
        (args.png, export_contact_sheet_png),
        (args.poses, export_poses),
        (args.zip, export_png_zip),
    ):
        if out:
            write(board, out, shot_numbering=args.shot_numbering)
            print(f"Wrote {out}.", flush=True)
    export_editorial(board, args)
    return 0


def _export_pdf(board: ExportBoard, args: argparse.Namespace) -> None:
    from storyboard_app.export import export_pdf, layout_board, layout_warnings

    options = options_from(args)
    pages = layout_board(board, options)
    for warning in layout_warnings(board, pages):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Exporting {args.pdf}: {len(pages)} pages...", file=sys.stderr, flush=True)
    report = export_pdf(board, options, args.pdf, pages=pages)
    print(f"Wrote {report.path} ({report.pages} pages).", flush=True)
