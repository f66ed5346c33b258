"""The board's grid of cards: multi-select, keyboard navigation, drag-and-drop, zoom."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle

from storyboard_app.ui.board.delegate import CardDelegate
from storyboard_app.ui.board.model import BoardModel, dragged_frame_ids
from storyboard_app.ui.board.roles import FrameIdRole


class BoardView(QListView):
    """The grid of cards: multi-select, keyboard navigation, drag-and-drop, zoom."""

    zoomChanged = Signal(int)

    MIN_WIDTH, MAX_WIDTH = 120, 420

    def __init__(self, model: BoardModel, card_width: int = 200, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Board")
        self.setModel(model)
        self.delegate = CardDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)  # reorders go through the model
        self.setUniformItemSizes(True)
        self.setSpacing(8)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        # setMovement(Static) turned the viewport's drops off: drops land on the viewport,
        # and a Static view hands them to the model (dropMimeData), which reorders.
        self.viewport().setAcceptDrops(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)
        self.set_card_width(card_width)  # Ctrl+= / Ctrl+- are the window's zoom actions
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._restore_selection)
        self._kept: tuple[list[int], int | None] = ([], None)

    @property
    def board_model(self) -> BoardModel:
        return self.model()  # type: ignore[return-value]

    # ------------------------------------------------------------------ zoom

    def set_card_width(self, width: int) -> None:
        width = max(self.MIN_WIDTH, min(self.MAX_WIDTH, int(width)))
        self.card_width = width
        self.delegate.card_width = width
        self._fit_grid()
        self.scheduleDelayedItemsLayout()  # the cards' size changed even if the grid did not
        self.zoomChanged.emit(width)

    def _fit_grid(self) -> None:
        """As many columns as fit, with the spare width shared out between them.

        The width is measured as if the vertical scroll bar were shown. Measuring the
        viewport as it is would loop: a grid that needs the bar shows it, the narrower
        viewport fits fewer columns, fewer rows... hide it again, thousands of times a second.
        """
        size = self.delegate.card_size()
        cell = size.width() + 12
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        available = max(self.maximumViewportSize().width() - bar - 2, cell)
        columns = max(1, available // cell)
        grid = QSize(available // columns, size.height() + 12)
        if grid != self.gridSize():
            self.setGridSize(grid)  # lays the items out again (deferred)

    # ------------------------------------------------------------------ drag and drop

    # Drops go to the model, wherever they land. QListView's icon mode would otherwise take a
    # drop on empty space as "put the card here" and only move it on screen.
    def dragMoveEvent(self, event) -> None:
        QAbstractItemView.dragMoveEvent(self, event)

    def dropEvent(self, event) -> None:
        """Move the dragged cards before the card under the pointer's left half, after it on
        its right half, to the end below the last row; keep them selected."""
        data, move = event.mimeData(), Qt.DropAction.MoveAction
        row = self.drop_row(event.position().toPoint())
        model = self.board_model
        if model.canDropMimeData(data, move, row, 0, QModelIndex()):
            ids = dragged_frame_ids(data)
            model.dropMimeData(data, move, row, 0, QModelIndex())
            QTimer.singleShot(0, self, lambda: self.select_frames(ids))
        event.ignore()  # moved by the model: the drag itself must remove nothing

    def drop_row(self, point: QPoint) -> int:
        """The row a drop at ``point`` (viewport coordinates) puts the cards before."""
        model = self.board_model
        line = [
            (row, rect)
            for row in range(model.rowCount())
            if (rect := self.visualRect(model.index(row))).top() <= point.y() <= rect.bottom()
        ]
        if not line:
            above = [
                r
                for r in range(model.rowCount())
                if self.visualRect(model.index(r)).bottom() < point.y()
            ]
            return len(above)
        return line[0][0] + sum(rect.center().x() < point.x() for _row, rect in line)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_grid()

    def set_image_aspect(self, width: int, height: int) -> None:
        self.delegate.aspect = height / width if width else 1.0
        self.set_card_width(self.card_width)

    # ------------------------------------------------------------------ selection by id

    def selected_frame_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        cards = self.board_model.cards
        return [cards[r].frame.id for r in rows if r < len(cards)]

    def current_frame_id(self) -> int | None:
        index = self.currentIndex()
        if not index.isValid():
            return None
        return index.data(FrameIdRole)

    def select_frames(self, frame_ids: list[int], current: int | None = None) -> None:
        model = self.board_model
        selection = self.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select
        for frame_id in frame_ids:
            row = model.row_of(frame_id)
            if row is not None:
                selection.select(model.index(row), flags)
        focus = current if current is not None else (frame_ids[-1] if frame_ids else None)
        row = model.row_of(focus) if focus is not None else None
        if row is not None:
            selection.setCurrentIndex(model.index(row), QItemSelectionModel.SelectionFlag.NoUpdate)
            self.scrollTo(model.index(row))

    def _remember_selection(self) -> None:
        self._kept = (self.selected_frame_ids(), self.current_frame_id())

    def _restore_selection(self) -> None:
        ids, current = self._kept
        alive = [i for i in ids if self.board_model.row_of(i) is not None]
        if alive or (current is not None and self.board_model.row_of(current) is not None):
            self.select_frames(alive, current)
