"""Export: comic pages and film storyboard sheets to PDF, PNG sheets, animatic GIF, poses,
and the editorial hand-off (MP4, timelines, shot list) in the submodules.

The input is plain frozen values (:class:`ExportBoard` of :class:`ExportPanel`, and
:class:`ExportOptions`); one painter draws the pages for both the preview and the PDF.

The names below are loaded on first use (PEP 562), so importing the package or its Qt-free
``board`` module (the command line does, for every command) does not load Qt, pikepdf or FFmpeg.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ExportBoard": "board",
    "ExportError": "board",
    "ExportOptions": "board",
    "ExportPanel": "board",
    "ExportReport": "report",
    "ExportWarning": "report",
    "WarningKind": "report",
    "layout_warnings": "report",
    "PageLayout": "layout",
    "layout_board": "layout",
    "paint_page": "painter",
    "export_pdf": "pdf",
    "page_count": "preview",
    "render_page_image": "preview",
    "ensure_gui_app": "qt",
    "export_animatic_gif": "sheets",
    "export_contact_sheet_png": "sheets",
    "export_png_zip": "sheets",
    "export_poses": "sheets",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
