"""The story at round N: every frame as it stood after round N, and a player that steps
through the rounds to show the characters converging."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
)

from storyboard_app.project.model import ImageInfo
from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.shared.images import image_from_png

CELL = 150


def image_at_round(history: list[ImageInfo], round_number: int) -> ImageInfo | None:
    """The image a frame showed after round N: its newest image of round N or earlier."""
    candidates = [i for i in history if i.round <= round_number]
    return max(candidates, key=lambda i: (i.round, i.id)) if candidates else None


class FlipbookDialog(QDialog):
    def __init__(self, store: ProjectStore, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Story at round…")
        self.store = store
        self.frames = store.frames()
        self.history = {f.id: store.images_of_frame(f.id) for f in self.frames}
        self.max_round = max(
            (i.round for images in self.history.values() for i in images), default=0
        )
        self._icons: dict[int, QIcon] = {}

        self.slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=self.max_round)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(1)
        self.slider.valueChanged.connect(self.show_round)
        self.label = QLabel()
        self.play = QPushButton("Play")
        self.play.setCheckable(True)
        self.play.toggled.connect(self._toggle_play)
        self.timer = QTimer(self, interval=700)
        self.timer.timeout.connect(self._step)
        self.grid = QListWidget()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(CELL, CELL))
        self.grid.setGridSize(QSize(CELL + 16, CELL + 36))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setSelectionMode(QListWidget.SelectionMode.NoSelection)

        top = QHBoxLayout()
        top.addWidget(QLabel("Round"))
        top.addWidget(self.slider, 1)
        top.addWidget(self.label)
        top.addWidget(self.play)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        layout.addWidget(buttons)
        self.resize(5 * (CELL + 16) + 60, 2 * (CELL + 36) + 130)
        self.slider.setValue(self.max_round)
        self.show_round(self.max_round)

    def _icon(self, info: ImageInfo | None) -> QIcon:
        if info is None:
            blank = QPixmap(CELL, CELL)
            blank.fill(QColor("#e8eaee"))
            return QIcon(blank)
        if info.id not in self._icons:
            png = self.store.thumbnail_png(info.id)
            self._icons[info.id] = QIcon(QPixmap.fromImage(image_from_png(png)))
        return self._icons[info.id]

    def show_round(self, round_number: int) -> None:
        self.label.setText(f"{round_number} of {self.max_round}")
        self.grid.clear()
        for frame in self.frames:
            info = image_at_round(self.history[frame.id], round_number)
            if info is None:
                text = f"{frame.position + 1} · not drawn"
            elif info.round < round_number:
                text = f"{frame.position + 1} · kept R{info.round}"
            else:
                text = f"{frame.position + 1}"
            item = QListWidgetItem(self._icon(info), text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.grid.addItem(item)

    def _toggle_play(self, playing: bool) -> None:
        self.play.setText("Pause" if playing else "Play")
        if playing:
            if self.slider.value() >= self.max_round:
                self.slider.setValue(0)
            self.timer.start()
        else:
            self.timer.stop()

    def _step(self) -> None:
        if self.slider.value() >= self.max_round:
            self.play.setChecked(False)
            return
        self.slider.setValue(self.slider.value() + 1)
