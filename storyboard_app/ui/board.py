"""The board: every frame card in story order, as a list model over ``store.board()``.

The model reads one snapshot of the board (thumbnails only, never full images), keeps rows
keyed by frame id, and re-reads it shortly after any change (bursts of commits during a run
become one refresh). Drag and drop moves cards through the session's undoable reorder.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QListView

from storyboard_app.project.model import BoardCard
from storyboard_app.ui.board_delegate import CardDelegate
from storyboard_app.ui.images import ThumbnailCache
from storyboard_app.ui.session import ProjectSession

MIME_FRAMES = "application/x-storyiter-frame-ids"

CardRole = Qt.ItemDataRole.UserRole + 1
FrameIdRole = Qt.ItemDataRole.UserRole + 2
ThumbnailRole = Qt.ItemDataRole.UserRole + 3
RunStateRole = Qt.ItemDataRole.UserRole + 4
PreviewRole = Qt.ItemDataRole.UserRole + 5

Index = QModelIndex | QPersistentModelIndex


class BoardModel(QAbstractListModel):
    """Rows are BoardCard values; the run state and previews come from the run controller."""

    refreshed = Signal()

    def __init__(self, session: ProjectSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.cards: list[BoardCard] = []
        self.thumbnails = ThumbnailCache()
        self.run_states: dict[int, str] = {}
        self.previews: dict[int, Any] = {}
        self._timer = QTimer(self, singleShot=True, interval=40)
        self._timer.timeout.connect(self.refresh)
        session.boardChanged.connect(self.schedule_refresh)
        session.imagesChanged.connect(self.schedule_refresh)
        self.refresh()

    # ------------------------------------------------------------------ reading

    def schedule_refresh(self, *_: object) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        """Re-read the board; unchanged order updates rows in place, else the model resets."""
        self._timer.stop()
        if self.session.store.closed:
            return
        ok, cards = self.session.attempt(self.session.store.board)
        if not ok:
            return
        old_ids = [c.frame.id for c in self.cards]
        new_ids = [c.frame.id for c in cards]
        if old_ids == new_ids:
            changed = [i for i, (a, b) in enumerate(zip(self.cards, cards)) if a != b]
            self.cards = cards
            for row in changed:
                index = self.index(row)
                self.dataChanged.emit(index, index)
        else:
            self.beginResetModel()
            self.cards = cards
            self.endResetModel()
        self.refreshed.emit()

    def row_of(self, frame_id: int) -> int | None:
        for row, card in enumerate(self.cards):
            if card.frame.id == frame_id:
                return row
        return None

    def card(self, frame_id: int) -> BoardCard | None:
        row = self.row_of(frame_id)
        return None if row is None else self.cards[row]

    def set_run_state(self, states: dict[int, str], previews: dict[int, Any]) -> None:
        touched = set(self.run_states) | set(states) | set(self.previews) | set(previews)
        self.run_states = dict(states)
        self.previews = dict(previews)
        for frame_id in touched:
            row = self.row_of(frame_id)
            if row is not None:
                index = self.index(row)
                self.dataChanged.emit(index, index, [RunStateRole, PreviewRole])

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.cards):
            return None
        card = self.cards[index.row()]
        frame = card.frame
        if role == Qt.ItemDataRole.DisplayRole:
            return card.compiled_prompt or "(empty card)"
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = card.compiled_prompt or "An empty card: write a character, action and scene."
            return f"Frame {frame.position + 1}: {tip}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Frame {frame.position + 1}, {frame.shot_label}: {card.compiled_prompt}"
        if role == CardRole:
            return card
        if role == FrameIdRole:
            return frame.id
        if role == ThumbnailRole:
            return self.thumbnails.get(card.current_image_id, card.thumbnail_png)
        if role == RunStateRole:
            return self.run_states.get(frame.id)
        if role == PreviewRole:
            return self.previews.get(frame.id)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsDropEnabled
        if not index.isValid():
            return base
        return (
            base
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
        )

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_FRAMES]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        ids = sorted({self.cards[i.row()].frame.id for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(MIME_FRAMES, QByteArray(",".join(map(str, ids)).encode()))
        return data

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return data.hasFormat(MIME_FRAMES) and action == Qt.DropAction.MoveAction

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        """Move the dragged cards before ``row`` (or onto ``parent``'s place) by undoable
        reorder. Returns False so the view never removes rows itself: the refresh does."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        text = bytes(data.data(MIME_FRAMES).data()).decode()
        ids = [int(x) for x in text.split(",") if x.strip().isdigit()]
        if row < 0:
            row = parent.row() if parent.isValid() else len(self.cards)
        if self.session.move_frames(ids, row):
            self.refresh()
        return False


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
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)
        self.set_card_width(card_width)
        for keys, step in (("Ctrl+=", 20), ("Ctrl++", 20), ("Ctrl+-", -20)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda s=step: self.set_card_width(self.card_width + s))
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
        self.zoomChanged.emit(width)

    def _fit_grid(self) -> None:
        """As many columns as fit, with the spare width shared out between them."""
        size = self.delegate.card_size()
        cell = size.width() + 12
        available = max(self.viewport().width() - 2, cell)
        columns = max(1, available // cell)
        self.setGridSize(QSize(available // columns, size.height() + 12))
        self.doItemsLayout()

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
