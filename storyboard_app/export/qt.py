"""The Qt pieces export needs outside a widget application: a GUI app object and fonts.

QPdfWriter, QFont and QImage text drawing need a QGuiApplication. The desktop app has
one already; the command line calls :func:`ensure_gui_app` to make an offscreen one.
All export text is set in DejaVu Sans, shipped in ``resources/fonts`` and registered
here, so a page looks the same on every machine and its fonts are embedded in the PDF.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from storyboard_app.export.board import ExportError

FONT_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "fonts"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
FONT_FAMILY = "DejaVu Sans"

_lock = threading.Lock()
_registered: str | None = None


def ensure_gui_app() -> QGuiApplication:
    """Return the running QGuiApplication (creating an offscreen one if there is none)
    with the export fonts registered. Call it once from the main thread before exporting
    from other threads."""
    app = _gui_app()
    export_font_family()
    return app


def _gui_app() -> QGuiApplication:
    app = QCoreApplication.instance()
    if app is None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(sys.argv[:1] or ["storyboard"])
    if not isinstance(app, QGuiApplication):
        raise ExportError(
            "Export needs a Qt GUI application, but a console-only QCoreApplication is running."
        )
    return app


def export_font_family() -> str:
    """Register the shipped export fonts (once) and return their family name."""
    global _registered
    with _lock:
        if _registered is None:
            _gui_app()
            families: set[str] = set()
            for name in FONT_FILES:
                path = FONT_DIR / name
                font_id = QFontDatabase.addApplicationFont(str(path))
                if font_id < 0:
                    raise ExportError(f"The export font {path} is missing or unreadable.")
                families.update(QFontDatabase.applicationFontFamilies(font_id))
            if FONT_FAMILY not in families:
                raise ExportError(f"The export fonts in {FONT_DIR} are not {FONT_FAMILY}.")
            _registered = FONT_FAMILY
        return _registered


def export_font(bold: bool = False) -> QFont:
    """The export font, unhinted so that text scales exactly with the page."""
    font = QFont(export_font_family())
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    font.setKerning(True)
    font.setStyleStrategy(QFont.StyleStrategy.PreferOutline)
    return font
