"""The cast panel: characters written once (name, description, colour) and used as @Name.

Editing a description changes the prompt of every card that mentions the character, so
those frames turn stale by themselves (their source hash moves on).
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QColorDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.prompts import mentions
from storyboard_app.ui.shared.save_timer import SaveTimer
from storyboard_app.ui.shared.session import ProjectSession
from storyboard_app.ui.shared.theme import show_read_only


def swatch(color: str, size: int = 14) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class CastPanel(QWidget):
    def __init__(self, session: ProjectSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.read_only = session.store.read_only  # a story that cannot be changed here
        self.member_id: int | None = None
        self._burst = 0
        self._pending: dict[str, str] = {}
        self._save_timer = SaveTimer(self.flush, self)

        self.list = QListWidget()
        self.list.setMaximumHeight(130)
        self.list.currentItemChanged.connect(self._selected)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.name = QLineEdit(placeholderText="Name (one word, used as @Name)")
        self.name.editingFinished.connect(self._rename)
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("How this character always looks")
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(92)
        self.description.textChanged.connect(self._described)
        self.color = QPushButton()
        self.color.setFixedWidth(40)
        self.color.setToolTip("The colour that marks this character in poses")
        self.color.clicked.connect(self._pick_color)
        self.usage = QLabel(objectName="Hint")
        self.usage.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        name_row = QHBoxLayout()
        name_row.addWidget(self.name, 1)
        name_row.addWidget(self.color)
        form = QFormLayout()
        form.addRow("Name", name_row)
        form.addRow("Looks", self.description)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.usage)
        layout.addStretch(1)

        # Tab from the name goes on to how they look; the colour swatch comes after, so a
        # space typed after Tab is text, not a click that opens the colour dialog.
        QWidget.setTabOrder(self.name, self.description)
        QWidget.setTabOrder(self.description, self.color)

        if self.read_only:  # the cast can be read and its text copied, not changed
            for edit in (self.name, self.description):
                show_read_only(edit)
                edit.setToolTip("Read-only: this story cannot be changed here")
            self.add_button.setEnabled(False)

        session.castChanged.connect(self.reload)
        session.boardChanged.connect(self._show_usage)
        session.flushRequested.connect(self.flush)
        self.reload()

    # ------------------------------------------------------------------ list

    def reload(self) -> None:
        if self.session.store.closed:
            return
        members = self.session.store.cast()
        keep = self.member_id
        with QSignalBlocker(self.list):
            self.list.clear()
            for member in members:
                item = QListWidgetItem(swatch(member.color), f"@{member.name}")
                item.setData(Qt.ItemDataRole.UserRole, member.id)
                item.setToolTip(member.description)
                self.list.addItem(item)
                if member.id == keep:
                    self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._selected(self.list.currentItem())

    def _selected(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is None or item.data(Qt.ItemDataRole.UserRole) != self.member_id:
            self.flush()
            self._burst += 1
        self.member_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        member = None
        if self.member_id is not None:
            _ok, member = self.session.attempt(
                lambda: self.session.store.cast_member(self.member_id)
            )
        for widget in (self.name, self.description):
            widget.setEnabled(member is not None)
        for widget in (self.color, self.remove_button):
            widget.setEnabled(member is not None and not self.read_only)
        with QSignalBlocker(self.name), QSignalBlocker(self.description):
            if "name" not in self._pending:
                self.name.setText(member.name if member else "")
            if "description" not in self._pending:
                text = member.description if member else ""
                if self.description.toPlainText().strip() != text:  # keep a typed space
                    self.description.setPlainText(text)
        color = member.color if member else "#d7dbe0"
        self.color.setStyleSheet(
            f"background: {color}; border: 1px solid #aab1bb; border-radius: 3px; height: 18px;"
        )
        self._show_usage()

    def _show_usage(self) -> None:
        item = self.list.currentItem()
        if item is None:
            self.usage.setText("Add the people of your story once; cards mention them as @Name.")
            return
        name = item.text().removeprefix("@").casefold()
        used = [
            str(f.position + 1)
            for f in self.session.store.frames()
            if name in {m.casefold() for m in mentions(f"{f.character} {f.interaction} {f.scene}")}
        ]
        self.usage.setText(
            f"In frames {', '.join(used)}." if used else "Not mentioned in any frame yet."
        )

    # ------------------------------------------------------------------ edits

    def _add(self) -> None:
        taken = {m.name.casefold() for m in self.session.store.cast()}
        number = 1
        while f"character{number}" in taken:
            number += 1
        member = self.session.add_cast_member(f"Character{number}", "")
        if member is not None:
            self.member_id = member.id
            self.reload()
            self.name.setFocus()
            self.name.selectAll()

    def _remove(self) -> None:
        if self.member_id is not None:
            self.flush()
            self.session.remove_cast_member(self.member_id)
            self.member_id = None

    def _rename(self) -> None:
        if self.member_id is None or self.read_only:
            return
        self.flush()
        member = self.session.store.cast_member(self.member_id)
        name = self.name.text().strip().removeprefix("@")
        if (
            name
            and name != member.name
            and not self.session.edit_cast_member(self.member_id, name=name)
        ):
            self.name.setText(member.name)

    def _described(self) -> None:
        if self.member_id is None or self.read_only:
            return
        self._pending["description"] = self.description.toPlainText()
        self._save_timer.changed()

    def _pick_color(self) -> None:
        if self.member_id is None:
            return
        member = self.session.store.cast_member(self.member_id)
        color = QColorDialog.getColor(QColor(member.color), self, f"Colour of @{member.name}")
        if color.isValid():
            self.session.edit_cast_member(self.member_id, color=color.name())

    def flush(self) -> None:
        self._save_timer.stop()
        pending, self._pending = self._pending, {}
        if self.member_id is not None and pending:
            merge = f"{self.member_id}:description:{self._burst}"
            self.session.edit_cast_member(self.member_id, merge=merge, **pending)
