"""``storyboard export``: PDF, PNG sheet, GIF, poses and ZIP from a project."""

from __future__ import annotations

import argparse
from pathlib import Path

from storyboard_app.project.errors import ProjectError


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``storyboard`` parser."""
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
    e.set_defaults(run=cmd_export)


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
