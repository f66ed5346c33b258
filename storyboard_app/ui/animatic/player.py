"""The animatic: the board's current images played at their durations, with the shot
number, the scene and the caption; play / pause, scrub, loop, and a start at the selected frame.

Time comes from a clock function (``time.monotonic`` in the app, a fake one in tests) read on
every tick of a short timer, so playback keeps to the story's time whatever the tick rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
)

from storyboard_app.project.store import ProjectStore
from storyboard_app.project.timing import Timeline, build_timeline, running_time
from storyboard_app.ui.shared.images import fitted, image_from_png

TICK_MS = 15


class AnimaticPlayer(QDialog):
    """Plays the story; ``frameShown(frame_id)`` when another frame comes up."""

    frameShown = Signal(int)

    def __init__(
        self,
        store: ProjectStore,
        start_frame_id: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("Animatic")
        self.setWindowTitle(f"Animatic — {store.story().title}")
        self.store = store
        self.clock = clock
        self.timeline: Timeline = build_timeline(store.board(), store.scenes())
        self._images: dict[int, QImage] = {}
        self._position = self.timeline.start_of(start_frame_id) if start_frame_id else 0.0
        self._anchor: tuple[float, float] | None = None  # (clock, position) while playing
        self._shown: int | None = None

        self.picture = QLabel(objectName="AnimaticPicture", alignment=Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 200)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setStyleSheet("background: black; color: #bbb;")
        self.shot = QLabel(objectName="AnimaticShot")
        self.scene = QLabel(objectName="AnimaticScene")
        self.caption = QLabel(objectName="AnimaticCaption", wordWrap=True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.time = QLabel(objectName="AnimaticTime")
        self.play_button = QPushButton("Play", objectName="AnimaticPlay", checkable=True)
        self.play_button.toggled.connect(self._play_toggled)
        self.loop = QCheckBox("Loop", objectName="AnimaticLoop")
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="AnimaticScrub")
        self.slider.setRange(0, max(1, round(self.timeline.duration * 1000)))
        self.slider.setSingleStep(100)
        self.slider.setPageStep(1000)
        self.slider.valueChanged.connect(self._scrubbed)
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self.tick)

        top = QHBoxLayout()
        top.addWidget(self.shot)
        top.addStretch(1)
        top.addWidget(self.scene)
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time)
        controls.addWidget(self.loop)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        layout.addLayout(controls)
        self.resize(760, 560)
        self._show(self._position)

    # ------------------------------------------------------------------ playback

    @property
    def playing(self) -> bool:
        return self._anchor is not None

    @property
    def position(self) -> float:
        """The moment of the story on screen, in seconds."""
        return self._position

    def current_frame_id(self) -> int | None:
        index = self.timeline.index_at(self._position)
        return None if index is None else self.timeline.frames[index].frame_id

    def _play_toggled(self, on: bool) -> None:
        if on and self.timeline.duration > 0:
            if self._position >= self.timeline.duration:
                self._position = 0.0
            self._anchor = (self.clock(), self._position)
            self.play_button.setText("Pause")
            self.timer.start()
        else:
            self._anchor = None
            self.timer.stop()
            self.play_button.setText("Play")
            if on:
                self.play_button.setChecked(False)

    def tick(self) -> None:
        """Follow the clock: show the frame due now; at the end, loop or stop."""
        if self._anchor is None:
            return
        started, from_position = self._anchor
        moment = from_position + (self.clock() - started)
        total = self.timeline.duration
        if moment >= total:
            if self.loop.isChecked():
                moment %= total
                self._anchor = (self.clock() - moment, 0.0)
            else:
                self._show(total)
                self.play_button.setChecked(False)
                return
        self._show(moment)

    def _scrubbed(self, value: int) -> None:
        if self.slider.isSliderDown() or not self.playing:
            self._show(value / 1000, from_slider=True)
        if self.playing:
            self._anchor = (self.clock(), value / 1000)

    # ------------------------------------------------------------------ showing

    def _show(self, moment: float, *, from_slider: bool = False) -> None:
        self._position = max(0.0, min(moment, self.timeline.duration))
        if not from_slider:
            self.slider.blockSignals(True)
            self.slider.setValue(round(self._position * 1000))
            self.slider.blockSignals(False)
        total = self.timeline.duration
        self.time.setText(f"{running_time(self._position)} / {running_time(total)}")
        index = self.timeline.index_at(self._position)
        if index is None:
            self.picture.setText("The story has no frames yet.")
            return
        frame = self.timeline.frames[index]
        if frame.frame_id == self._shown:
            return
        self._shown = frame.frame_id
        self.shot.setText(f"Shot {frame.shot}")
        self.scene.setText(frame.scene_label)
        self.caption.setText(frame.caption)
        self._paint(frame.image_id)
        self.frameShown.emit(frame.frame_id)

    def _paint(self, image_id: int | None) -> None:
        if image_id is None:
            self.picture.setPixmap(fitted(QImage(), QSize()))
            self.picture.setText("No image yet")
            return
        if image_id not in self._images:
            self._images[image_id] = image_from_png(self.store.image_png(image_id))
        self.picture.setPixmap(fitted(self._images[image_id], self.picture.size()))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space:  # play / pause from wherever the focus is
            self.play_button.toggle()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        index = self.timeline.index_at(self._position)
        if index is not None:
            self._paint(self.timeline.frames[index].image_id)

    def closeEvent(self, event) -> None:
        self.timer.stop()
        super().closeEvent(event)
