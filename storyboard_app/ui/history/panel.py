"""The history strip of the selected frame: every image in round order, the chosen one marked.

Click an image to see it large; "Use this image" makes it the frame's current image (and so
its reference in the next pass); select two to compare them side by side; "Story at round"
opens the flipbook across every frame.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storyboard_app.project.errors import DamagedImageError
from storyboard_app.project.model import ImageInfo
from storyboard_app.project.report import FrameReport, story_report
from storyboard_app.project.run_progress import plural
from storyboard_app.ui.history.readout_chart import ReadoutChart
from storyboard_app.ui.shared import theme
from storyboard_app.ui.shared.images import damaged_placeholder, fitted, image_from_png
from storyboard_app.ui.shared.session import ProjectSession

THUMB = 88
LARGE = 200
SMALL = 128  # the preview's size in a narrow dock
ICON_CACHE = 300  # decoded strip icons kept


class Preview(QLabel):
    """The selected image, LARGE pixels when the dock has the room, down to SMALL."""

    def __init__(self) -> None:
        super().__init__()
        self.image: QImage | None = None
        self.damaged = False
        self.setMinimumSize(SMALL, SMALL)
        self.setMaximumSize(LARGE, LARGE)

    def sizeHint(self) -> QSize:
        return QSize(LARGE, LARGE)

    def minimumSizeHint(self) -> QSize:
        return QSize(SMALL, SMALL)

    def show_image(self, image: QImage | None, damaged: bool = False) -> None:
        self.image, self.damaged = image, damaged
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.damaged:
            self.setPixmap(damaged_placeholder(self.size()))
        elif self.image is not None:
            self.setPixmap(fitted(self.image, self.size()))
        else:
            self.clear()
            self.setText("No image")


def image_caption(info: ImageInfo) -> str:
    return (
        f"Round {info.round} · pass {info.pass_id} · seed {info.seed} · scale {info.ip_scale:.2f}"
    )


class HistoryPanel(QWidget):
    compareRequested = Signal(int, int)  # two image ids
    flipbookRequested = Signal()
    viewRequested = Signal(int)  # image id

    def __init__(self, session: ProjectSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.frame_id: int | None = None
        self.images: list[ImageInfo] = []
        self.current_image_id: int | None = None
        self._icons: OrderedDict[int, QIcon] = OrderedDict()
        self._large_id: int | None = None  # the image the preview shows

        self.strip = QListWidget(objectName="HistoryStrip")
        self.strip.setViewMode(QListView.ViewMode.IconMode)
        self.strip.setFlow(QListView.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListView.Movement.Static)
        self.strip.setIconSize(QSize(THUMB, THUMB))
        self.strip.setGridSize(QSize(THUMB + 22, THUMB + 40))
        self.strip.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.strip.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.strip.setMinimumSize(THUMB + 30, THUMB + 50)  # one round always shows whole
        self.strip.itemSelectionChanged.connect(self._selection_changed)
        self.strip.itemDoubleClicked.connect(
            lambda item: self.viewRequested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.details = QLabel(objectName="Hint")
        self.details.setWordWrap(True)
        self.heading = QLabel(objectName="SectionTitle")
        self.heading.setWordWrap(True)  # a narrow dock wraps it instead of scrolling sideways
        self.readout: FrameReport | None = None
        self.chart = ReadoutChart()
        self.chart.setFixedHeight(THUMB + 36)  # as tall as a round's thumbnail and label
        self.chart.roundClicked.connect(self.select_image)
        self.suggested_button = QPushButton("Use suggested")
        self.suggested_button.setToolTip(
            "The round that balances alignment with the card and consistency with the other "
            "frames best, over this frame's rounds (see the curves)"
        )
        self.suggested_button.clicked.connect(self.use_suggested)

        self.large = Preview()
        self.large.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.large.setStyleSheet("background: #e8eaee; border-radius: 6px; color: #6b7280;")
        self.large.setToolTip("Double-click an image in the strip to view it at full size")
        self.use_button = QPushButton("Use this image")
        self.use_button.setToolTip(
            "Make it the frame's current image: the board, the export and the next pass's "
            "references use it"
        )
        self.use_button.clicked.connect(self.use_selected)
        self.latest_button = QPushButton("Follow latest")
        self.latest_button.setToolTip("Show the newest image again after each pass")
        self.latest_button.clicked.connect(self.follow_latest)
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Select two images (Ctrl+click) to compare them")
        self.compare_button.clicked.connect(self._compare)
        self.view_button = QPushButton("View large")
        self.view_button.clicked.connect(self._view)
        self.flipbook_button = QPushButton("Story at round…")
        self.flipbook_button.clicked.connect(self.flipbookRequested)

        left = QVBoxLayout()
        left.addWidget(self.heading)
        row = QHBoxLayout()
        row.addWidget(self.strip, 3)
        row.addWidget(self.chart, 2, Qt.AlignmentFlag.AlignTop)
        left.addLayout(row, 1)
        left.addWidget(self.details)
        buttons = QVBoxLayout()
        for button in (
            self.use_button,
            self.suggested_button,
            self.latest_button,
            self.compare_button,
            self.view_button,
            self.flipbook_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(left, 1)
        layout.addWidget(self.large)  # as tall as the dock allows, LARGE at most
        layout.addLayout(buttons)

        session.imagesChanged.connect(self._images_changed)
        session.boardChanged.connect(self._board_changed)
        self.set_frame(None)

    # ------------------------------------------------------------------ content

    def set_frame(self, frame_id: int | None) -> None:
        self.frame_id = frame_id
        self.reload(keep_selection=False)

    def reload(self, keep_selection: bool = True) -> None:
        selected = self.selected_image_ids() if keep_selection else []
        if selected == [self.current_image_id]:
            selected = []  # it showed the current image: keep showing the current one
        frame = self.session.frame(self.frame_id) if self.frame_id is not None else None
        blocked = self.strip.blockSignals(True)
        self.strip.clear()
        self.strip.blockSignals(blocked)
        self.images = []
        self.current_image_id = None
        self.readout = None
        if frame is None:
            self.chart.set_report(None)
            self.heading.setText("History")
            self.details.setText("Select a frame to see every image it has had.")
            self._selection_changed()
            return
        ok, images = self.session.attempt(lambda: self.session.store.images_of_frame(frame.id))
        self.images = images if ok else []
        self.current_image_id = self.session.store.current_image_id(frame.id)
        ok, report = self.session.attempt(lambda: story_report(self.session.store, cast=False))
        if ok:
            self.readout = next((f for f in report.frames if f.frame_id == frame.id), None)
        self.chart.set_report(self.readout)
        chosen = frame.chosen_image_id
        self.heading.setText(
            f"Frame {frame.position + 1} · {plural(len(self.images), 'image')}"
            + (" · you chose one" if chosen is not None else " · showing the latest")
        )
        bold = QFont(self.strip.font())
        bold.setBold(True)
        blocked = self.strip.blockSignals(True)  # one selection change at the end, not one per row
        for info in self.images:
            icon = self._icon(info.id)
            damaged = "" if icon is not None else " · damaged"
            if icon is None:
                icon = QIcon(damaged_placeholder(self.strip.iconSize(), "damaged"))
            mark = " ●" if info.id == self.current_image_id else ""
            item = QListWidgetItem(icon, f"R{info.round} · #{info.pass_id}{mark}{damaged}")
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setToolTip(image_caption(info) + (" · current" if mark else ""))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            if info.id == self.current_image_id:
                item.setFont(bold)
                item.setForeground(theme.ACCENT)
            self.strip.addItem(item)
        wanted = [i for i in selected if any(info.id == i for info in self.images)]
        if not wanted and self.current_image_id is not None:
            wanted = [self.current_image_id]
        for row in range(self.strip.count()):
            item = self.strip.item(row)
            if item.data(Qt.ItemDataRole.UserRole) in wanted:
                item.setSelected(True)
                self.strip.scrollToItem(item)
        self.strip.blockSignals(blocked)
        if not self.images:
            self.details.setText("No images yet: iterate to draw this frame.")
        self._selection_changed()

    def _images_changed(self, frame_id: int) -> None:
        if frame_id == self.frame_id:
            self.reload()

    def _board_changed(self) -> None:
        if self.frame_id is not None and self.session.frame(self.frame_id) is None:
            self.set_frame(None)

    def selected_image_ids(self) -> list[int]:
        items = sorted(self.strip.selectedItems(), key=self.strip.row)
        return [item.data(Qt.ItemDataRole.UserRole) for item in items]

    def select_image(self, image_id: int) -> None:
        self.strip.clearSelection()
        for row in range(self.strip.count()):
            item = self.strip.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == image_id:
                item.setSelected(True)
                self.strip.setCurrentItem(item)

    def _selection_changed(self) -> None:
        ids = self.selected_image_ids()
        if ids:
            info = next(i for i in self.images if i.id == ids[-1])
            note = " · current image" if info.id == self.current_image_id else ""
            try:
                if self._large_id != info.id:  # a commit elsewhere keeps the picture shown
                    self.large.show_image(image_from_png(self.session.store.image_png(info.id)))
                    self._large_id = info.id
            except DamagedImageError as exc:
                self._large_id = None
                self.large.show_image(None, damaged=True)
                note += f" · DAMAGED: {exc}"
            self.details.setText(image_caption(info) + f" · {info.width}×{info.height}{note}")
        else:
            self.large.show_image(None)
            self._large_id = None
        self._update_buttons()

    def _icon(self, image_id: int) -> QIcon | None:
        """The strip's icon of an image (None when damaged). Stored images never change, so
        an icon is decoded once, not again at every commit while the frame is shown."""
        icon = self._icons.get(image_id)
        if icon is None:
            try:
                png = self.session.store.thumbnail_png(image_id)
            except DamagedImageError:
                return None
            icon = QIcon(QPixmap.fromImage(image_from_png(png)))
            self._icons[image_id] = icon
            while len(self._icons) > ICON_CACHE:
                self._icons.popitem(last=False)
        else:
            self._icons.move_to_end(image_id)
        return icon

    def _update_buttons(self) -> None:
        ids = self.selected_image_ids()
        frame = self.session.frame(self.frame_id) if self.frame_id is not None else None
        self.use_button.setEnabled(len(ids) == 1 and ids[0] != self.current_image_id)
        suggested = self.readout.suggested_image_id if self.readout is not None else None
        self.suggested_button.setEnabled(
            suggested is not None and suggested != self.current_image_id
        )
        self.suggested_button.setText(
            "Use suggested"
            if self.readout is None or self.readout.suggested_round is None
            else f"Use suggested (R{self.readout.suggested_round})"
        )
        self.latest_button.setEnabled(frame is not None and frame.chosen_image_id is not None)
        self.compare_button.setEnabled(len(ids) == 2 or (len(ids) == 1 and len(self.images) > 1))
        self.view_button.setEnabled(len(ids) >= 1)
        self.flipbook_button.setEnabled(not self.session.store.closed)

    # ------------------------------------------------------------------ actions

    def use_selected(self) -> None:
        ids = self.selected_image_ids()
        if self.frame_id is not None and len(ids) == 1:
            self.session.choose_image(self.frame_id, ids[0])

    def use_suggested(self) -> None:
        """Make the suggested round's image the frame's current image (undoable)."""
        if self.frame_id is not None and self.readout is not None:
            image_id = self.readout.suggested_image_id
            if image_id is not None:
                self.session.choose_image(self.frame_id, image_id)

    def follow_latest(self) -> None:
        if self.frame_id is not None:
            self.session.choose_image(self.frame_id, None)

    def _compare(self) -> None:
        ids = self.selected_image_ids()
        if len(ids) == 1 and self.current_image_id is not None:
            other = self.current_image_id
            if other == ids[0]:
                other = next((i.id for i in reversed(self.images) if i.id != ids[0]), other)
            ids = [other, ids[0]]
        if len(ids) == 2:
            self.compareRequested.emit(ids[0], ids[1])

    def _view(self) -> None:
        ids = self.selected_image_ids()
        if ids:
            self.viewRequested.emit(ids[-1])
