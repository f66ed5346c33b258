"""Help → Keyboard Shortcuts: every action's keys, read from the actions themselves (so the
list cannot drift from what the keys do), and the keys that belong to one panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

# Keys handled by one panel rather than by a window action.
PANEL_KEYS = (
    ("Arrow keys", "Board: move between cards (Shift: extend the selection)"),
    ("Ctrl+Space", "Board: add or remove the current card from the selection"),
    ("Tab / Shift+Tab", "Search field → board → the card's fields, and back"),
    ("Return / Down", "Search field: go to the first card shown"),
    ("Esc", "Search field: clear it; pose: deselect the figure"),
    ("Left / Right", "History: choose a round (then Ctrl+U uses it)"),
    ("Ctrl+Tab", "Frame panel: Card / Pose tab"),
)


def shortcut_rows(actions: dict[str, QAction]) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut, in the actions' order."""
    rows = []
    for action in actions.values():
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        if keys:
            rows.append(
                (" / ".join(keys), f"{action.text().replace('&', '')}: {action.statusTip()}")
            )
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ShortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(actions) + list(PANEL_KEYS)
        self.table = QTableWidget(len(rows), 2, objectName="ShortcutsTable")
        self.table.setHorizontalHeaderLabels(["Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, (keys, text) in enumerate(rows):
            self.table.setItem(row, 0, QTableWidgetItem(keys))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(720, 640)


def show_shortcuts(actions: dict[str, QAction], parent: QWidget) -> ShortcutsDialog:
    dialog = ShortcutsDialog(actions, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
