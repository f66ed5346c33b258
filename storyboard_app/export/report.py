"""What a writer should know about an export before and after it is written.

:func:`layout_warnings` looks at a laid-out board (the same pages the PDF and the preview
use) and groups what it finds by kind, each warning naming the frames it affects: images
printing below 150 dpi, images cropped to fill their panels, text continued on a later page,
frames without an image. The command line prints them; the export dialog shows them before
anything is written.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from storyboard_app.export.board import ExportBoard
from storyboard_app.export.images import image_size
from storyboard_app.export.layout import PageLayout, describe_frame

LOW_DPI = 150  # below this an image looks soft in print
CROP_WARNING = 0.10  # a fill that cuts more than this share of an image is worth a word


class WarningKind(enum.StrEnum):
    LOW_RESOLUTION = "low resolution"
    CROPPED = "cropped"
    CONTINUED = "continued"
    NO_IMAGE = "no image"


@dataclass(frozen=True)
class ExportWarning:
    """One kind of problem and the frames (1-based numbers) it affects."""

    kind: WarningKind
    frames: tuple[int, ...]
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote, and anything the writer should know about it."""

    path: Path
    pages: int
    panels: int
    images: int
    continued: tuple[int, ...] = ()  # frame numbers whose text continues on a later page
    warnings: tuple[ExportWarning, ...] = ()


def frame_list(numbers: Sequence[int]) -> str:
    """[1, 2, 3, 7] -> "frames 1-3, 7"; [4] -> "frame 4"."""
    ordered = sorted(set(numbers))
    runs: list[str] = []
    start = prev = ordered[0]
    for n in [*ordered[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ("frame " if len(ordered) == 1 else "frames ") + ", ".join(runs)


def _verb(numbers: Sequence[int], singular: str, plural: str) -> str:
    return singular if len(set(numbers)) == 1 else plural


def crop_share(image: tuple[int, int], box: tuple[float, float]) -> float:
    """The share of an image's area cut away when it fills a box of another shape."""
    image_aspect, box_aspect = image[0] / image[1], box[0] / box[1]
    return 1 - min(image_aspect, box_aspect) / max(image_aspect, box_aspect)


def layout_warnings(board: ExportBoard, pages: Sequence[PageLayout]) -> tuple[ExportWarning, ...]:
    """The warnings for ``board`` laid out as ``pages``, grouped by kind, in page order."""
    low: dict[int, float] = {}
    cropped: dict[int, float] = {}
    continued: dict[int, int] = {}
    missing: list[int] = []
    for page in pages:
        for slot in page.slots:
            panel = board.panels[slot.position]
            if any(block.role == "marker" for block in slot.texts):
                continued[panel.index] = page.page_number
            if panel.image_png is None:
                missing.append(panel.index)
                continue
            size = image_size(panel.image_png, describe_frame(panel, slot.shot_label))
            box = (slot.frame_rect.w, slot.frame_rect.h)
            shown = size[0]
            if slot.fit == "fill":
                share = crop_share(size, box)
                shown = min(size[0], size[1] * box[0] / box[1])
                if share > CROP_WARNING:
                    cropped[panel.index] = share
            dpi = shown / (slot.image_rect.w / 72)
            if dpi < LOW_DPI:
                low[panel.index] = dpi
    warnings = []
    if low:
        warnings.append(
            ExportWarning(
                WarningKind.LOW_RESOLUTION,
                tuple(low),
                f"{frame_list(list(low)).capitalize()} {_verb(low, 'prints', 'print')} "
                f"below {LOW_DPI} dpi "
                f"({min(low.values()):.0f} dpi at the lowest) and may look soft.",
            )
        )
    if cropped:
        warnings.append(
            ExportWarning(
                WarningKind.CROPPED,
                tuple(cropped),
                f"{frame_list(list(cropped)).capitalize()} {_verb(cropped, 'is', 'are')} "
                f"cropped to fill {_verb(cropped, 'its panel', 'their panels')} (up to "
                f"{max(cropped.values()):.0%} of the image cut); choose fit to show the "
                "whole image.",
            )
        )
    if continued:
        pages_named = ", ".join(str(p) for p in sorted(set(continued.values())))
        after = _verb(list(continued.values()), "page", "pages")
        warnings.append(
            ExportWarning(
                WarningKind.CONTINUED,
                tuple(continued),
                f"The text of {frame_list(list(continued))} is too long for its box and "
                f"continues on a continuation page after {after} {pages_named}.",
            )
        )
    if missing:
        warnings.append(
            ExportWarning(
                WarningKind.NO_IMAGE,
                tuple(missing),
                f"{frame_list(missing).capitalize()} {_verb(missing, 'has', 'have')} no "
                "image; a placeholder is printed.",
            )
        )
    return tuple(warnings)


def make_report(path: Path, board: ExportBoard, pages: Sequence[PageLayout]) -> ExportReport:
    """The report of a PDF of ``board`` laid out as ``pages``, written to ``path``."""
    warnings = layout_warnings(board, pages)
    continued = next((w.frames for w in warnings if w.kind == WarningKind.CONTINUED), ())
    images = sum(
        1 for page in pages for slot in page.slots if board.panels[slot.position].image_png
    )
    return ExportReport(
        path=path.expanduser().absolute(),
        pages=len(pages),
        panels=len(board.panels),
        images=images,
        continued=continued,
        warnings=warnings,
    )
