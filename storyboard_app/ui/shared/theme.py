"""A calm, light look: Fusion with a soft palette, and the few colours the board paints with."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

WINDOW = QColor("#f3f4f6")
PANEL = QColor("#ffffff")
BORDER = QColor("#d7dbe0")
TEXT = QColor("#1f2329")
MUTED = QColor("#6b7280")
ACCENT = QColor("#3b6fb6")
ACCENT_SOFT = QColor("#e4ecf7")
PLACEHOLDER = QColor("#e8eaee")
WARNING = QColor("#a15c07")
ERROR = QColor("#b42318")

# badge name -> (text colour, background)
BADGES = {
    "damaged": (QColor("#b42318"), QColor("#fde8e7")),
    "stale": (QColor("#8a5a00"), QColor("#fbefd5")),
    "locked": (QColor("#374151"), QColor("#e7e9ed")),
    "posed": (QColor("#245b87"), QColor("#e1edf7")),
    "drawing": (QColor("#1f6f43"), QColor("#dcf2e4")),
    "queued": (QColor("#4b5563"), QColor("#eef0f3")),
    "preview": (QColor("#8a5a00"), QColor("#fbefd5")),
    "drifting": (QColor("#9a3412"), QColor("#fde8dc")),
    "converged": (QColor("#3f6212"), QColor("#ecf5dc")),
}

STYLE_SHEET = """
QMainWindow, QDialog { background: #f3f4f6; }
QDockWidget { font-weight: 600; }
QDockWidget::title { background: #eceef1; padding: 5px 8px; border-bottom: 1px solid #d7dbe0; }
QToolBar { background: #f3f4f6; border: none; spacing: 4px; padding: 3px; }
QStatusBar { background: #eceef1; border-top: 1px solid #d7dbe0; }
QStatusBar QLabel { padding: 0 6px; }
QLabel#ModelsBadge { border-radius: 4px; padding: 1px 8px; }
QLabel#ModelsBadge[preview="true"] { background: #fbefd5; color: #8a5a00; }
QLabel#ModelsBadge[preview="false"] { background: #e1edf7; color: #245b87; }
QLabel#SectionTitle { color: #6b7280; font-weight: 600; }
QLabel#Hint { color: #6b7280; }
QFrame#MessageBar { border-radius: 6px; }
QFrame#MessageBar[level="error"] { background: #fdecea; border: 1px solid #f5c2bd; }
QFrame#MessageBar[level="warning"] { background: #fdf3e1; border: 1px solid #f1d7a6; }
QFrame#MessageBar[level="info"] { background: #e4ecf7; border: 1px solid #c2d4ee; }
QLabel#ReadOnlyBanner { background: #fdf3e1; border: 1px solid #f1d7a6; border-radius: 6px;
    padding: 6px 10px; color: #8a5a00; }
QListView#Board { background: #f3f4f6; border: none; }
QListWidget#HistoryStrip { background: #ffffff; border: 1px solid #d7dbe0; border-radius: 6px; }
QPushButton#Primary { background: #3b6fb6; color: white; border: 1px solid #335f9c;
    border-radius: 4px; padding: 5px 12px; font-weight: 600; }
QPushButton#Primary:disabled { background: #a9bcd8; border-color: #a9bcd8; }
QPushButton#Primary:hover { background: #345f9c; }
QTextBrowser#PromptPreview { background: #f8f9fb; border: 1px solid #d7dbe0; border-radius: 4px; }
QFrame#Welcome { background: #ffffff; border: 1px solid #d7dbe0; border-radius: 10px; }
QLineEdit[readOnly="true"], QPlainTextEdit[readOnly="true"], QAbstractSpinBox[readOnly="true"] {
    background: #eef0f3; color: #5b626c; border: 1px dashed #c3c8cf; border-radius: 3px; }
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style, a light palette and the app's style sheet."""
    app.setStyle("Fusion")
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, WINDOW)
    palette.setColor(QPalette.ColorRole.Base, PANEL)
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f7f8fa"))
    palette.setColor(QPalette.ColorRole.Button, QColor("#f7f8fa"))
    palette.setColor(QPalette.ColorRole.Text, TEXT)
    palette.setColor(QPalette.ColorRole.WindowText, TEXT)
    palette.setColor(QPalette.ColorRole.ButtonText, TEXT)
    palette.setColor(QPalette.ColorRole.Highlight, ACCENT)
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#9aa1ab"))
    palette.setColor(QPalette.ColorRole.ToolTipBase, PANEL)
    palette.setColor(QPalette.ColorRole.ToolTipText, TEXT)
    disabled = QPalette.ColorGroup.Disabled
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(disabled, role, QColor("#a3a9b2"))
    palette.setColor(disabled, QPalette.ColorRole.Button, QColor("#eef0f3"))
    palette.setColor(disabled, QPalette.ColorRole.Base, QColor("#f5f6f8"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
    font = app.font()
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(9.5)
    app.setFont(font)


def small_font(base: QFont, delta: float = -1.0, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPointSizeF(max(6.0, base.pointSizeF() + delta))
    font.setBold(bold)
    return font


def show_read_only(widget, read_only: bool = True) -> None:
    """Make a text field (QLineEdit, QPlainTextEdit, a spin box) read-only and look it: its
    text stays selectable and copyable, typing does nothing, and the style sheet greys it."""
    widget.setReadOnly(read_only)
    widget.style().unpolish(widget)  # the style sheet's [readOnly] rule is read on polish
    widget.style().polish(widget)
