"""The board's keyboard: arrow keys walk the cards in story order and line by line across
scenes; Up from a scene's first line of cards (Down from the one before's last) gives its
header the keyboard, where Space or Return collapses or expands it, Left collapses, Right
expands, and the menu key or Shift+F10 opens its menu. Also: selecting cards by frame id."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView

from storyboard_app.ui.board.roles import FrameIdRole

Move = QAbstractItemView.CursorAction
MODIFIER_KEYS = (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta,
                 Qt.Key.Key_AltGr)  # fmt: skip


class BoardKeys:
    """Keyboard handling, scene menus and selection by frame id of the BoardView (a part of
    it; needs its layout and model)."""

    def contextMenuEvent(self, event) -> None:
        """The menu of the scene of the card under the pointer (a header opens its own at
        the right button's press), or of the one with the keyboard (the menu key)."""
        if event.reason() == event.Reason.Mouse:
            if self.header_at(event.pos()) is not None:
                event.accept()
                return
            index = self.indexAt(event.pos())
            scene_id = self._scene_of_row(index.row()) if index.isValid() else None
            where = event.globalPos()
        else:
            scene_id, where = self._keyboard_scene(), None
        if scene_id is not None:
            self.request_scene_menu(scene_id, where)
        event.accept()

    def request_scene_menu(self, scene_id: int, where: QPoint | None = None) -> None:
        if where is None:
            rect = self.header_rect(scene_id)
            where = self.viewport().mapToGlobal(rect.bottomLeft() + QPoint(24, 0))
        self.sceneMenuRequested.emit(scene_id, where)

    def _scene_of_row(self, row: int) -> int | None:
        cards = self.board_model.cards
        return cards[row].frame.scene_id if 0 <= row < len(cards) else None

    def _keyboard_scene(self) -> int | None:
        if self.header_focus is not None:
            return self.header_focus
        return self._scene_of_row(self.currentIndex().row())

    def set_header_focus(self, scene_id: int | None) -> None:
        """Give scene ``scene_id``'s header the keyboard (None: back to the cards)."""
        if scene_id != self.header_focus:
            self.header_focus = scene_id
            self.viewport().update()
        if scene_id is not None:
            block = self._block(scene_id)
            if block is not None:
                self._scroll_to_rect(block.header_rect)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.viewport().update()

    def keyPressEvent(self, event) -> None:
        key, mods = event.key(), event.modifiers()
        plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        menu = key == Qt.Key.Key_Menu or (
            key == Qt.Key.Key_F10 and mods == Qt.KeyboardModifier.ShiftModifier
        )
        if menu:
            scene_id = self._keyboard_scene()
            if scene_id is not None:
                self.request_scene_menu(scene_id)
            event.accept()
            return
        if key in MODIFIER_KEYS:  # the Shift of Shift+F10 must leave a header its keyboard
            super().keyPressEvent(event)
            return
        if self.header_focus is not None:
            if plain and self._header_key(key):
                event.accept()
                return
            self.set_header_focus(None)
        elif plain and key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self._to_header(key):
            event.accept()
            return
        super().keyPressEvent(event)

    def _header_key(self, key: int) -> bool:
        """Keys on a header: Space/Return collapse or expand it, Left collapses, Right
        expands; Down goes to its first card (the next header when it shows none), Up to
        the scene before."""
        scene_id = self.header_focus
        model = self.board_model
        collapsed = scene_id in model.collapsed_scenes
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            model.toggle_collapsed(scene_id)
        elif key == Qt.Key.Key_Left:
            if not collapsed:
                model.toggle_collapsed(scene_id)
        elif key == Qt.Key.Key_Right:
            if collapsed:
                model.toggle_collapsed(scene_id)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._step_from_header(key == Qt.Key.Key_Down)
        else:
            return False
        return True

    def _step_from_header(self, down: bool) -> None:
        layout = self.board_layout()
        blocks = layout.blocks
        place = next(i for i, b in enumerate(blocks) if b.header.scene_id == self.header_focus)
        if down:
            lines = layout.lines_of(blocks[place])
            if lines:
                self._go_to_row(lines[0][0])
            elif place + 1 < len(blocks):
                self.set_header_focus(blocks[place + 1].header.scene_id)
        elif place > 0:
            lines = layout.lines_of(blocks[place - 1])
            if lines:
                self._go_to_row(lines[-1][0])
            else:
                self.set_header_focus(blocks[place - 1].header.scene_id)

    def _to_header(self, key: int) -> bool:
        """Up from a scene's first line of cards goes to its header, Down from its last
        line to the next scene's header."""
        layout = self.board_layout()
        row = self.currentIndex().row()
        block = layout.block_of_row(row)
        if block is None or row not in layout.cards:
            return False
        lines = layout.lines_of(block)
        if key == Qt.Key.Key_Up and row in lines[0]:
            self.set_header_focus(block.header.scene_id)
            return True
        if key == Qt.Key.Key_Down and row in lines[-1]:
            place = layout.blocks.index(block)
            if place + 1 < len(layout.blocks):
                self.set_header_focus(layout.blocks[place + 1].header.scene_id)
                return True
        return False

    def _go_to_row(self, row: int) -> None:
        self.set_header_focus(None)
        index = self.board_model.index(row)
        self.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.scrollTo(index)

    def moveCursor(self, action: Move, modifiers) -> QModelIndex:
        layout = self.board_layout()
        shown = sorted(layout.cards)
        model = self.board_model
        if not shown:
            return QModelIndex()
        row = self.currentIndex().row()
        if row not in layout.cards:
            return model.index(shown[0])
        at = shown.index(row)
        if action in (Move.MoveRight, Move.MoveNext):
            return model.index(shown[min(at + 1, len(shown) - 1)])
        if action in (Move.MoveLeft, Move.MovePrevious):
            return model.index(shown[max(at - 1, 0)])
        if action == Move.MoveHome:
            return model.index(shown[0])
        if action == Move.MoveEnd:
            return model.index(shown[-1])
        step = {
            Move.MoveUp: -layout.cell.height(),
            Move.MoveDown: layout.cell.height(),
            Move.MovePageUp: -self.viewport().height(),
            Move.MovePageDown: self.viewport().height(),
        }.get(action)
        if step is None:
            return self.currentIndex()
        page = action in (Move.MovePageUp, Move.MovePageDown)
        return model.index(self._row_near(row, step, page))

    def _row_near(self, row: int, step: int, page: bool) -> int:
        """The card on the next line up or down (a page: the line nearest ``step`` pixels
        that way), closest to ``row`` across; ``row`` itself when there is no line there.
        Lines of other scenes count: the header between them is passed over."""
        cards = self.board_layout().cards
        top = cards[row].top()
        tops = {rect.top() for rect in cards.values()}
        ahead = [t for t in tops if (t < top if step < 0 else t > top)]
        if not ahead:
            return row
        if page:
            chosen = min(ahead, key=lambda t: abs(t - (top + step)))
        else:
            chosen = max(ahead) if step < 0 else min(ahead)
        x = cards[row].center().x()
        line = [r for r, rect in cards.items() if rect.top() == chosen]
        return min(line, key=lambda r: abs(cards[r].center().x() - x))

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
