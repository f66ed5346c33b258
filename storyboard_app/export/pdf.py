"""The board as a PDF: comic pages or film storyboard sheets, written safely."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QMarginsF, QRectF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPainter, QPdfWriter

from storyboard_app.export import checks
from storyboard_app.export.board import ExportBoard, ExportError, ExportOptions
from storyboard_app.export.layout import PageLayout, layout_board
from storyboard_app.export.painter import paint_page
from storyboard_app.export.print_boxes import with_print_boxes
from storyboard_app.export.qt import ensure_gui_app
from storyboard_app.export.report import ExportReport, make_report
from storyboard_app.project.cancel import check_cancel
from storyboard_app.project.safe_write import check_target, write_bytes

PDF_SUFFIXES = (".pdf",)


def export_pdf(
    board: ExportBoard,
    options: ExportOptions,
    out_path: Path | str,
    *,
    pages: Sequence[PageLayout] | None = None,
) -> ExportReport:
    """Write ``board`` as a PDF at ``out_path``; an existing file is replaced only on success.

    The PDF is made in memory, written beside ``out_path``, re-opened and its pages counted
    before it takes the name (see ``project.safe_write``): a full disk or a cancelled export
    leaves the previous file untouched. Pass ``pages`` (from :func:`layout_board`) to reuse
    a layout already made, e.g. for a preview or its warnings.
    """
    ensure_gui_app()
    check_target(out_path, "the PDF", suffixes=PDF_SUFFIXES)
    pages = tuple(pages) if pages is not None else layout_board(board, options)
    report = make_report(Path(out_path), board, pages)
    data = with_print_boxes(pdf_bytes(board, options, pages), pages)
    write_bytes(
        out_path, data, "the PDF", suffixes=PDF_SUFFIXES, verify=checks.pdf_pages(len(pages))
    )
    return report


def pdf_bytes(board: ExportBoard, options: ExportOptions, pages: Sequence[PageLayout]) -> bytes:
    """The laid-out pages as the bytes of a PDF file."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
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
        raise ExportError("Could not start writing the PDF.")
    try:
        for page in pages:
            check_cancel()
            if page.page_number > 1 and not writer.newPage():
                raise ExportError(f"Could not start page {page.page_number} of the PDF.")
            target = QRectF(0, 0, page.width * options.dpi / 72, page.height * options.dpi / 72)
            paint_page(painter, page, board, options, target)
    finally:
        finished = painter.end()
        del writer
    buffer.close()
    if not finished:
        raise ExportError("The PDF could not be completed.")
    return bytes(buffer.data())
