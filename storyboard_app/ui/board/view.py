"""The board: each scene a header row with its cards in a grid under it; multi-select,
keyboard navigation, drag-and-drop, zoom, collapsing a scene from its header.

An item view that places the items itself (``layout.lay_out``): a list view cannot put a
full-width row between groups of cards. The width it lays out for is measured as if the
vertical scroll bar were shown, so showing or hiding the bar never changes the layout (a
layout that depends on the bar loops: bar shown, fewer columns, fewer rows, bar hidden...).
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QCursor, QDrag, QPainter, QRegion
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem, QToolTip

from storyboard_app.ui.board.delegate import CardDelegate
from storyboard_app.ui.board.drops import BoardDrops
from storyboard_app.ui.board.header import header_height, paint_empty, paint_header
from storyboard_app.ui.board.layout import BoardLayout, SceneBlock, lay_out
from storyboard_app.ui.board.model import BoardModel
from storyboard_app.ui.board.navigation import BoardKeys
from storyboard_app.ui.shared import theme

HEADER_TIP = (
    "Click to collapse or expand the scene (Space on its header).\n"
    "Right-click or Shift+F10: add, split, merge, move or edit scenes."
)


class BoardView(BoardKeys, BoardDrops, QAbstractItemView):
    """Scene header rows and the grid of cards under each."""

    zoomChanged = Signal(int)
    sceneMenuRequested = Signal(int, QPoint)  # scene id, where (global): its header's menu

    MIN_WIDTH, MAX_WIDTH = 120, 420

    def __init__(self, model: BoardModel, card_width: int = 200, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("Board")
        self._hidden: set[int] = set()
        self._layout = BoardLayout()
        self._dirty = True
        self._width = 0
        self._hover: tuple[str, int] | None = None  # ("card", row) or ("header", scene id)
        self._drop_line: QRect | None = None  # content coordinates
        self._band: QRect | None = None  # the selection rectangle being dragged out
        self._band_origin: QPoint | None = None
        self._pressed_header = False
        self.header_focus: int | None = None  # a scene id: its header has the keyboard
        self.card_width = card_width
        self.delegate = CardDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setModel(model)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)
        self.set_card_width(card_width)  # Ctrl+= / Ctrl+- are the window's zoom actions
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._restore_selection)
        model.refreshed.connect(self._invalidate)  # headers' counts, times, labels
        model.collapsedChanged.connect(self._invalidate)
        self._kept: tuple[list[int], int | None] = ([], None)

    @property
    def board_model(self) -> BoardModel:
        return self.model()  # type: ignore[return-value]

    # ------------------------------------------------------------------ layout

    def _invalidate(self) -> None:
        self._dirty = True
        self.scheduleDelayedItemsLayout()
        self.viewport().update()

    def _measured_width(self) -> int:
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return max(self.maximumViewportSize().width() - bar - 2, self.card_width + 12)

    def board_layout(self) -> BoardLayout:
        """The layout as things stand (worked out again only when something changed)."""
        if self._dirty:
            model = self.board_model
            self._layout = lay_out(
                model.headers,
                [card.frame.scene_id or 0 for card in model.cards],
                self._hidden,
                model.collapsed_scenes,
                self.delegate.card_size(),
                self._width or self._measured_width(),
                header_height(self.font()),
            )
            self._dirty = False
        return self._layout

    def doItemsLayout(self) -> None:
        self._update_scroll_range()
        super().doItemsLayout()

    def _update_scroll_range(self) -> None:
        # Not in updateGeometries: overriding that slot corrupts PySide's reference counts.
        layout = self.board_layout()
        bar = self.verticalScrollBar()
        bar.setPageStep(self.viewport().height())
        bar.setSingleStep(max(20, layout.cell.height() // 6))
        bar.setRange(0, max(0, layout.size.height() - self.viewport().height()))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        width = self._measured_width()
        if width != self._width:
            self._width = width
            self._invalidate()
        else:
            self._update_scroll_range()  # the page is taller or shorter; the layout is the same

    def reset(self) -> None:
        self._hidden.clear()  # as a list view does: the filter shows them again if it wants
        self._dirty = True
        super().reset()

    def rowsInserted(self, parent, start, end) -> None:
        self._invalidate()
        super().rowsInserted(parent, start, end)

    def rowsAboutToBeRemoved(self, parent, start, end) -> None:
        self._invalidate()
        super().rowsAboutToBeRemoved(parent, start, end)

    # ------------------------------------------------------------------ zoom

    def set_card_width(self, width: int) -> None:
        width = max(self.MIN_WIDTH, min(self.MAX_WIDTH, int(width)))
        self.card_width = width
        self.delegate.card_width = width
        self._invalidate()
        self.zoomChanged.emit(width)

    def set_image_aspect(self, width: int, height: int) -> None:
        self.delegate.aspect = height / width if width else 1.0
        self.set_card_width(self.card_width)

    def gridSize(self) -> QSize:
        """The size of one card's cell."""
        return self.board_layout().cell

    # ------------------------------------------------------------------ rows shown

    def setRowHidden(self, row: int, hide: bool) -> None:
        if (row in self._hidden) != hide:
            (self._hidden.add if hide else self._hidden.discard)(row)
            self._invalidate()

    def isRowHidden(self, row: int) -> bool:
        return row in self._hidden

    def isIndexHidden(self, index: QModelIndex) -> bool:
        return index.row() not in self.board_layout().cards

    def shown_rows(self) -> list[int]:
        return sorted(self.board_layout().cards)

    # ------------------------------------------------------------------ geometry

    def _offset(self) -> QPoint:
        return QPoint(0, self.verticalScrollBar().value())

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def visualRect(self, index: QModelIndex) -> QRect:
        rect = self.board_layout().cards.get(index.row()) if index.isValid() else None
        return QRect() if rect is None else rect.translated(-self._offset())

    def header_rect(self, scene_id: int) -> QRect:
        """Scene ``scene_id``'s header row in viewport coordinates (empty: no such scene)."""
        block = self._block(scene_id)
        return QRect() if block is None else block.header_rect.translated(-self._offset())

    def indexAt(self, point: QPoint) -> QModelIndex:
        content = point + self._offset()
        for row, rect in self.board_layout().cards.items():
            if rect.contains(content):
                return self.board_model.index(row)
        return QModelIndex()

    def header_at(self, point: QPoint) -> int | None:
        """The scene id whose header is at ``point`` (viewport coordinates)."""
        block = self.board_layout().header_at(point + self._offset())
        return None if block is None else block.header.scene_id

    def scrollTo(self, index: QModelIndex, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        rect = self.board_layout().cards.get(index.row()) if index.isValid() else None
        if rect is not None:
            self._scroll_to_rect(rect, hint)

    def _scroll_to_rect(self, rect: QRect, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        self._update_scroll_range()
        bar, height = self.verticalScrollBar(), self.viewport().height()
        top = bar.value()
        if hint == QAbstractItemView.ScrollHint.PositionAtTop:
            top = rect.top()
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            top = rect.center().y() - height // 2
        elif hint == QAbstractItemView.ScrollHint.PositionAtBottom:
            top = rect.bottom() - height + 1
        elif rect.top() < top:
            top = rect.top()
        elif rect.bottom() > top + height - 1:
            top = rect.bottom() - height + 1
        bar.setValue(top)

    def setSelection(self, rect: QRect, flags: QItemSelectionModel.SelectionFlag) -> None:
        area = rect.normalized().translated(self._offset())
        model = self.board_model
        selection = QItemSelection()
        for row, card in sorted(self.board_layout().cards.items()):
            if card.intersects(area) or card.contains(area.topLeft()):
                selection.select(model.index(row), model.index(row))
        self.selectionModel().select(selection, flags)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        region = QRegion()
        for index in selection.indexes():
            region = region.united(QRegion(self.visualRect(index)))
        return region

    def _block(self, scene_id: int | None) -> SceneBlock | None:
        return next((b for b in self.board_layout().blocks if b.header.scene_id == scene_id), None)

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event) -> None:
        layout = self.board_layout()
        painter = QPainter(self.viewport())
        offset = self._offset()
        exposed = event.rect()
        font = self.font()
        collapsed = self.board_model.collapsed_scenes
        for block in layout.blocks:
            rect = block.header_rect.translated(-offset)
            scene_id = block.header.scene_id
            if rect.intersects(exposed):
                paint_header(
                    painter,
                    rect,
                    block.header,
                    collapsed=scene_id in collapsed,
                    focused=self.header_focus == scene_id and self.hasFocus(),
                    hovered=self._hover == ("header", scene_id),
                    font=font,
                )
            body = block.body.translated(-offset)
            if not block.collapsed and body.intersects(exposed) and not layout.lines_of(block):
                text = (
                    "No card here matches the search"
                    if block.rows
                    else "No frames in this scene yet: drag cards here"
                )
                paint_empty(painter, body, text, font)
        current = self.currentIndex()
        selection = self.selectionModel()
        for row, content in layout.cards.items():
            rect = content.translated(-offset)
            if not rect.intersects(exposed):
                continue
            index = self.board_model.index(row)
            option = QStyleOptionViewItem()
            self.initViewItemOption(option)
            option.rect = rect
            state = option.state | QStyle.StateFlag.State_Enabled
            if selection.isSelected(index):
                state |= QStyle.StateFlag.State_Selected
            if self._hover == ("card", row):
                state |= QStyle.StateFlag.State_MouseOver
            if index == current and self.hasFocus() and self.header_focus is None:
                state |= QStyle.StateFlag.State_HasFocus
            option.state = state
            self.delegate.paint(painter, option, index)
        if self._drop_line is not None:
            painter.fillRect(self._drop_line.translated(-offset), theme.ACCENT)
        if self._band is not None:  # selecting by dragging over empty board
            band = QColor(theme.ACCENT)
            band.setAlpha(40)
            painter.fillRect(self._band.translated(-offset), band)
            painter.setPen(theme.ACCENT)
            painter.drawRect(self._band.translated(-offset).adjusted(0, 0, -1, -1))
        painter.end()

    # ------------------------------------------------------------------ mouse

    def _set_hover(self, hover: tuple[str, int] | None) -> None:
        if hover != self._hover:
            self._hover = hover
            self.viewport().update()

    def mouseMoveEvent(self, event) -> None:
        point = event.position().toPoint()
        scene_id = self.header_at(point)
        index = self.indexAt(point)
        if scene_id is not None:
            self._set_hover(("header", scene_id))
        else:
            self._set_hover(("card", index.row()) if index.isValid() else None)
        super().mouseMoveEvent(event)
        if self._band_origin is not None and self.state() == self.State.DragSelectingState:
            self._band = QRect(self._band_origin, point + self._offset()).normalized()
            self.viewport().update()

    def leaveEvent(self, event) -> None:
        self._set_hover(None)
        super().leaveEvent(event)

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            scene_id = self.header_at(event.pos())
            if scene_id is not None:
                block = self._block(scene_id)
                label = block.header.label if block is not None else ""
                QToolTip.showText(event.globalPos(), f"{label}\n{HEADER_TIP}", self.viewport())
                return True
        return super().viewportEvent(event)

    def mousePressEvent(self, event) -> None:
        point = event.position().toPoint()
        scene_id = self.header_at(point)
        self._pressed_header = scene_id is not None
        if scene_id is None:
            self.set_header_focus(None)
            empty = not self.indexAt(point).isValid()
            left = event.button() == Qt.MouseButton.LeftButton
            self._band_origin = point + self._offset() if empty and left else None
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self.set_header_focus(scene_id)
        if event.button() == Qt.MouseButton.LeftButton:
            self.board_model.toggle_collapsed(scene_id)  # a click on a header collapses it
        elif event.button() == Qt.MouseButton.RightButton:  # its menu, at the press
            self.request_scene_menu(scene_id, event.globalPosition().toPoint())
        event.accept()

    def startDrag(self, supported_actions) -> None:
        """Drag the selected cards, shown by a grab of the first one under the pointer.
        (With QAbstractItemView's own startDrag, a drag made with the X server's pointer in
        the running app never left Qt's drag loop: the window and the pointer froze.)"""
        indexes = sorted(self.selectedIndexes(), key=lambda i: i.row())
        if not indexes:
            return
        drag = QDrag(self)
        drag.setMimeData(self.model().mimeData(indexes))
        first = self.visualRect(indexes[0])
        pixmap = self.viewport().grab(first)
        drag.setPixmap(pixmap)
        drag.setHotSpot(self.viewport().mapFromGlobal(QCursor.pos()) - first.topLeft())
        drag.exec(Qt.DropAction.MoveAction)

    def mouseReleaseEvent(self, event) -> None:
        if not self._pressed_header:
            super().mouseReleaseEvent(event)
        self._pressed_header = False
        self._band_origin = self._band = None
        self.viewport().update()

    def mouseDoubleClickEvent(self, event) -> None:
        if self.header_at(event.position().toPoint()) is None:
            super().mouseDoubleClickEvent(event)
