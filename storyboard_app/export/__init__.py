"""Export: comic pages and film storyboard sheets to PDF, PNG sheets, animatic GIF, poses.

The input is plain frozen values (:class:`ExportBoard` of :class:`ExportPanel`, and
:class:`ExportOptions`); one painter draws the pages for both the preview and the PDF.
"""

from storyboard_app.export.board import ExportBoard, ExportError, ExportOptions, ExportPanel
from storyboard_app.export.layout import PageLayout, layout_board
from storyboard_app.export.painter import paint_page
from storyboard_app.export.pdf import export_pdf
from storyboard_app.export.preview import page_count, render_page_image
from storyboard_app.export.qt import ensure_gui_app
from storyboard_app.export.report import ExportReport, ExportWarning, WarningKind, layout_warnings
from storyboard_app.export.sheets import (
    export_animatic_gif,
    export_contact_sheet_png,
    export_png_zip,
    export_poses,
)

__all__ = [
    "ExportBoard",
    "ExportError",
    "ExportOptions",
    "ExportPanel",
    "ExportReport",
    "ExportWarning",
    "PageLayout",
    "WarningKind",
    "ensure_gui_app",
    "export_animatic_gif",
    "export_contact_sheet_png",
    "export_pdf",
    "export_png_zip",
    "export_poses",
    "layout_board",
    "layout_warnings",
    "page_count",
    "paint_page",
    "render_page_image",
]
