"""A message bar at the top of the window: errors and notices the writer can read and dismiss,
without a modal dialog stopping the work."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton

ICONS = {"error": "⚠", "warning": "⚠", "info": "ℹ"}
COLORS = {"error": "#b42318", "warning": "#8a5a00", "info": "#245b87"}


class MessageBar(QFrame):
    """Shows one message at a time; info messages fade after a while, errors stay until
    dismissed or until what they are about is over (``clear(topic)``)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(text="✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.dismiss)
        self.level = ""
        self.topic = ""
        self.hide()

    def show_message(self, text: str, level: str = "error", topic: str = "") -> None:
        """Show ``text``; ``topic`` names what it is about, for ``clear``."""
        self.level = level
        self.topic = topic
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.icon.setText(ICONS.get(level, ""))
        self.icon.setStyleSheet(f"color: {COLORS.get(level, '#1f2329')}; font-size: 15px;")
        self.text.setText(text)
        self.show()
        if level == "info":
            self._timer.start(8000)
        else:
            self._timer.stop()

    def message(self) -> str:
        return "" if self.isHidden() else self.text.text()

    def clear(self, topic: str) -> None:
        """The matter is over (an edit went through, a run ended): its message goes."""
        if self.topic == topic:
            self.dismiss()

    def dismiss(self) -> None:
        self._timer.stop()
        self.hide()
