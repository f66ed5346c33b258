"""The page shown when no project is open: new, open, the demo story, and recent projects."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class WelcomePage(QWidget):
    newRequested = Signal()
    openRequested = Signal()
    demoRequested = Signal()
    recentRequested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        card = QFrame(objectName="Welcome")
        card.setFixedWidth(520)
        title = QLabel("<span style='font-size:20pt;font-weight:600'>StoryIter Studio</span>")
        intro = QLabel(
            "Write your story as frame cards — who, doing what, where — and let the Story-Iter "
            "engine draw it round after round until every frame agrees on how your characters "
            "look. Every round is kept: walk back and choose."
        )
        intro.setWordWrap(True)
        intro.setObjectName("Hint")
        self.intro = intro
        self.demo_button = QPushButton("Open the demo story — The Lantern Keeper")
        self.demo_button.setObjectName("Primary")
        self.new_button = QPushButton("New story…")
        self.open_button = QPushButton("Open a story…")
        self.demo_button.clicked.connect(self.demoRequested)
        self.new_button.clicked.connect(self.newRequested)
        self.open_button.clicked.connect(self.openRequested)
        self.recent_title = QLabel("Recent stories", objectName="SectionTitle")
        self.recent = QListWidget()
        self.recent.setMaximumHeight(160)
        self.recent.itemActivated.connect(
            lambda item: self.recentRequested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.note = QLabel(objectName="Hint")
        self.note.setWordWrap(True)

        inner = QVBoxLayout(card)
        self._text_width = card.width() - 2 * 28
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(10)
        inner.addWidget(title)
        inner.addWidget(intro)
        inner.addSpacing(8)
        inner.addWidget(self.demo_button)
        inner.addWidget(self.new_button)
        inner.addWidget(self.open_button)
        inner.addSpacing(8)
        inner.addWidget(self.recent_title)
        inner.addWidget(self.recent)
        inner.addWidget(self.note)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def showEvent(self, event) -> None:
        # A wrapped label's height depends on its width, which a stacked page does not ask
        # for: without a minimum the intro is squeezed to a few clipped lines.
        for label in (self.intro, self.note):
            label.setMinimumHeight(max(0, label.heightForWidth(self._text_width)))
        super().showEvent(event)

    def set_recent(self, paths: list[Path]) -> None:
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{path.stem}    {path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.recent.addItem(item)
        self.recent.setVisible(bool(paths))
        self.recent_title.setVisible(bool(paths))
