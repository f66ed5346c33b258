"""The print and layout flags of ``storyboard export``, and turning them into ExportOptions."""

from __future__ import annotations

import argparse
from dataclasses import replace

from storyboard_app.cli.common import frame_ranges
from storyboard_app.export.board import (
    FILM_FIELDS,
    FRAME_ASPECTS,
    IMAGE_FITS,
    PRINT_DPIS,
    ExportBoard,
    ExportOptions,
)


def fit_choice(text: str) -> tuple[str, list[int] | None]:
    """``fill`` / ``fit`` (every frame) or ``fit:3,5-7`` (those frames) -> (fit, frames)."""
    fit, _, frames = text.partition(":")
    if fit not in IMAGE_FITS:
        raise argparse.ArgumentTypeError(
            f"--fit takes fill or fit (optionally :FRAMES), not {text!r}"
        )
    return fit, frame_ranges(frames) if frames else None


def field_list(text: str) -> tuple[str, ...]:
    """``action,dialogue`` -> the film fields to print (``none`` for the frames alone)."""
    if text.strip() == "none":
        return ()
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in FILM_FIELDS]
    if unknown:
        choices = ", ".join(FILM_FIELDS)
        raise argparse.ArgumentTypeError(f"unknown field {unknown[0]!r}; choose from {choices}")
    return names


def add_layout_flags(e: argparse.ArgumentParser) -> None:
    """Flags for the PDF's layout, its print set-up and the film sheet's contents."""
    e.add_argument("--layout", choices=("comic", "film"), default="comic")
    e.add_argument("--page-size", default="A4", choices=("A4", "Letter", "comic"))
    e.add_argument("--landscape", action="store_true")
    e.add_argument("--rtl", action="store_true", help="right-to-left reading order")
    e.add_argument("--rows", type=int, default=0)
    e.add_argument("--columns", type=int, default=0)
    e.add_argument("--panels-per-page", type=int, default=3, help="film: shots per sheet")
    e.add_argument("--title-page", action="store_true")
    e.add_argument("--shot-numbering", choices=("1", "1A", "1-1"), default="1")
    e.add_argument("--captions", choices=("inside", "below"), default="inside")
    e.add_argument("--margin-mm", type=float, default=12.0)
    e.add_argument("--gutter-mm", type=float, default=4.0)
    e.add_argument(
        "--fit",
        type=fit_choice,
        action="append",
        metavar="fill|fit[:FRAMES]",
        help="fill panels (cropping) or fit whole images; repeat with :FRAMES for some frames",
    )
    e.add_argument("--frame-aspect", choices=tuple(FRAME_ASPECTS), default="image")
    e.add_argument(
        "--fields",
        type=field_list,
        default=FILM_FIELDS,
        help="film: action,dialogue,notes,duration (or none)",
    )
    e.add_argument("--revision", default="", help="film: version / revision for the header")
    p = e.add_argument_group("print")
    p.add_argument("--dpi", type=int, choices=PRINT_DPIS, default=300)
    p.add_argument("--bleed-mm", type=float, default=0.0, help="comic: bleed around the trim")
    p.add_argument(
        "--crop-marks", action="store_true", help="trim marks in a slug outside the bleed"
    )
    p.add_argument("--safe-area-mm", type=float, default=0.0, help="a guide inside the trim")


def options_from(args: argparse.Namespace) -> ExportOptions:
    """The ExportOptions the flags describe (a fit for some frames only is per panel)."""
    fits = args.fit or []
    overall = next((fit for fit, frames in fits if frames is None), "fill")
    return ExportOptions(
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
        dpi=args.dpi,
        image_fit=overall,
        frame_aspect=args.frame_aspect,
        film_fields=args.fields,
        revision=args.revision,
        crop_marks=args.crop_marks,
        safe_area_mm=args.safe_area_mm,
    )


def with_panel_fits(board: ExportBoard, args: argparse.Namespace) -> ExportBoard:
    """The board with ``--fit MODE:FRAMES`` applied to those frames."""
    chosen = {n: fit for fit, frames in args.fit or [] if frames for n in frames}
    panels = tuple(
        replace(panel, image_fit=chosen[panel.index]) if panel.index in chosen else panel
        for panel in board.panels
    )
    return replace(board, panels=panels)
