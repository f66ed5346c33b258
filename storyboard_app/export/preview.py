"""Page previews for the export dialog, painted by the same code that writes the PDF."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from storyboard_app.export.board import ExportBoard, ExportError, ExportOptions
from storyboard_app.export.layout import PageLayout, layout_board
from storyboard_app.export.painter import PAPER, paint_page
from storyboard_app.export.qt import ensure_gui_app


def page_count(board: ExportBoard, options: ExportOptions) -> int:
    """How many pages the PDF of ``board`` with ``options`` has."""
    ensure_gui_app()
    return len(layout_board(board, options))


def render_page_image(
    board: ExportBoard,
    options: ExportOptions,
    page_number: int,
    width_px: int,
    *,
    pages: Sequence[PageLayout] | None = None,
    show_crop: bool = False,
) -> QImage:
    """Page ``page_number`` (1-based) as an image ``width_px`` wide.

    Pass ``pages`` (from :func:`layout_board`) to reuse one layout across page turns;
    ``show_crop`` outlines the whole image of each panel that crops its image to fill.
    """
    ensure_gui_app()
    pages = pages if pages is not None else layout_board(board, options)
    if not 1 <= page_number <= len(pages):
        raise ExportError(f"There is no page {page_number}; the export has {len(pages)} pages.")
    if width_px < 1 or width_px > 20000:
        raise ExportError(f"A preview must be 1 to 20000 pixels wide (got {width_px}).")
    page = pages[page_number - 1]
    height_px = max(1, round(width_px * page.height / page.width))
    image = QImage(width_px, height_px, QImage.Format.Format_RGB32)
    image.fill(PAPER)
    painter = QPainter(image)
    try:
        target = QRectF(0, 0, width_px, height_px)
        paint_page(painter, page, board, options, target, show_crop=show_crop)
    finally:
        painter.end()
    return image
