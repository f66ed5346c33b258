"""The board as a PDF: comic pages or film storyboard sheets, written atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter

from storyboard_app.export.atomic import atomic_output
from storyboard_app.export.board import ExportBoard, ExportError, ExportOptions
from storyboard_app.export.images import image_size
from storyboard_app.export.layout import PageLayout, describe_frame, layout_board
from storyboard_app.export.painter import paint_page
from storyboard_app.export.qt import ensure_gui_app

LOW_DPI = 150  # below this an image looks soft in print


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote, and anything the writer should know about it."""

    path: Path
    pages: int
    panels: int
    images: int
    continued: tuple[int, ...] = ()  # frame numbers whose text continues on a later page
    warnings: tuple[str, ...] = ()


def export_pdf(board: ExportBoard, options: ExportOptions, out_path: Path | str) -> ExportReport:
    """Write ``board`` as a PDF at ``out_path``; an existing file is replaced only on success."""
    ensure_gui_app()
    pages = layout_board(board, options)
    report = _report(Path(out_path), board, options, pages)
    with atomic_output(out_path, "the PDF") as temp:
        writer = QPdfWriter(str(temp))
        writer.setResolution(options.dpi)
        writer.setTitle(board.title)
        writer.setCreator("StoryIter Studio")
        size = QPageSize(
            QSizeF(pages[0].width, pages[0].height),
            QPageSize.Unit.Point,
            f"{options.page_size} {options.orientation}",
            QPageSize.SizeMatchPolicy.ExactMatch,
        )
        layout = QPageLayout(
            size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Point
        )
        if not writer.setPageLayout(layout):
            raise ExportError(f"The PDF writer refused the page size {options.page_size}.")
        painter = QPainter()
        if not painter.begin(writer):
            raise ExportError(f"Could not start writing the PDF at {temp}.")
        try:
            for page in pages:
                if page.page_number > 1 and not writer.newPage():
                    raise ExportError(f"Could not start page {page.page_number} of the PDF.")
                target = QRectF(0, 0, page.width * options.dpi / 72, page.height * options.dpi / 72)
                paint_page(painter, page, board, options, target)
        finally:
            finished = painter.end()
            del writer
        if not finished or temp.stat().st_size == 0:
            raise ExportError(f"The PDF for {out_path} could not be completed.")
    return report


def _report(
    path: Path, board: ExportBoard, options: ExportOptions, pages: tuple[PageLayout, ...]
) -> ExportReport:
    images = 0
    continued: list[int] = []
    warnings: list[str] = []
    for page in pages:
        for slot in page.slots:
            panel = board.panels[slot.position]
            name = describe_frame(panel, slot.shot_label)
            if any(block.role == "marker" for block in slot.texts):
                continued.append(panel.index)
                warnings.append(f"The text of {name} is long; it continues on a later page.")
            if panel.image_png is None:
                warnings.append(f"{name.capitalize()} has no image; a placeholder is printed.")
                continue
            images += 1
            width, height = image_size(panel.image_png, name)
            rect = slot.image_rect
            shown = min(width, height * rect.w / rect.h) if slot.fit == "cover" else width
            dpi = shown / (rect.w / 72)
            if dpi < LOW_DPI:
                warnings.append(
                    f"The image of {name} prints at {dpi:.0f} dpi ({width}×{height} pixels); "
                    "it may look soft."
                )
    return ExportReport(
        path=path.expanduser().absolute(),
        pages=len(pages),
        panels=len(board.panels),
        images=images,
        continued=tuple(continued),
        warnings=tuple(warnings),
    )
