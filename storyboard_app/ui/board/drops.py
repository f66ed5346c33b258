"""Drops on the board: where dragged cards land (before or after the card under the
pointer, at a scene's start on its header, into a scene that shows no card) and the line
that shows it while dragging."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView

from storyboard_app.ui.board.layout import SceneBlock
from storyboard_app.ui.board.model import dragged_frame_ids
from storyboard_app.ui.board.roles import MIME_FRAMES


class BoardDrops:
    """Drag and drop of the BoardView (a part of it; needs its layout and model)."""

    def dragMoveEvent(self, event) -> None:
        QAbstractItemView.dragMoveEvent(self, event)  # scrolls near the edges
        if event.mimeData().hasFormat(MIME_FRAMES):
            _row, _scene, line = self.drop_target(event.position().toPoint())
            if line != self._drop_line:
                self._drop_line = line
                self.viewport().update()
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self._drop_line = None
        self.viewport().update()
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        """Move the dragged cards where the drop line showed: before the card under the
        pointer's left half, after it on its right half, at a scene's start on its header,
        into an empty scene's strip, after a scene's last card below it; keep them
        selected."""
        data, move = event.mimeData(), Qt.DropAction.MoveAction
        row, scene_id, _line = self.drop_target(event.position().toPoint())
        self._drop_line = None
        self.stopAutoScroll()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()
        model = self.board_model
        if model.canDropMimeData(data, move, row, 0, QModelIndex()):
            ids = dragged_frame_ids(data)
            model.drop_frames(data, move, row, scene_id)
            QTimer.singleShot(0, self, lambda: self.select_frames(ids))
        event.ignore()  # moved by the model: the drag itself must remove nothing

    def drop_target(self, point: QPoint) -> tuple[int, int | None, QRect]:
        """(the row the cards go before, the scene they go in, the drop line to show)."""
        layout = self.board_layout()
        content = point + self._offset()
        block = layout.block_at(content)
        if block is None:
            return len(self.board_model.cards), None, QRect()
        scene_id = block.header.scene_id
        lines = layout.lines_of(block)
        start = block.rows[0] if block.rows else self._rows_before(block)
        under_header = QRect(block.header_rect.left(), block.header_rect.bottom() + 1,
                             block.header_rect.width(), 3)  # fmt: skip
        if not lines or content.y() < block.body.top():
            return start, scene_id, under_header
        cards = layout.cards
        line = next((ln for ln in lines if content.y() <= cards[ln[0]].bottom()), None)
        if line is None:  # below its last line: after its last card
            last = lines[-1][-1]
            return last + 1, scene_id, self._line_after(cards[last])
        before = [r for r in line if cards[r].center().x() < content.x()]
        if len(before) == len(line):
            return line[-1] + 1, scene_id, self._line_after(cards[line[-1]])
        card = cards[line[len(before)]]
        return line[len(before)], scene_id, QRect(card.left() + 1, card.top() + 4, 3,
                                                  card.height() - 8)  # fmt: skip

    @staticmethod
    def _line_after(card: QRect) -> QRect:
        return QRect(card.right() - 3, card.top() + 4, 3, card.height() - 8)

    def _rows_before(self, block: SceneBlock) -> int:
        blocks = self.board_layout().blocks
        return sum(len(b.rows) for b in blocks[: blocks.index(block)])
