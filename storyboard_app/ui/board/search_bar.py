"""The board's search field and state filters: cards that do not match are hidden (their
order, and every edit, stay as they are).

Text goes to the project's full-text index (``store.frames_matching``); the states (stale,
locked, posed, no image) are read from the board's cards, "drifting" from the board's
consistency read-outs. A card shows when its text has
every word typed and it is in any one of the states chosen. The card being edited never
disappears while it is edited; hidden cards are never selected, so Delete, Move and Iterate
Selected act on what is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from storyboard_app.project.report import FrameState
from storyboard_app.project.search import BoardQuery, CardState
from storyboard_app.ui.board.view import BoardView

SEARCH_DELAY_MS = 150


class BoardSearchBar(QWidget):
    """Search field, state toggles and a count above the board."""

    def __init__(self, board: BoardView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BoardSearch")
        self.board = board
        self.model = board.board_model
        self.field = QLineEdit(objectName="SearchField")
        self.field.setPlaceholderText("Find cards: character, action, scene, caption, notes, cast")
        self.field.setClearButtonEnabled(True)
        self.field.installEventFilter(self)
        self.states: dict[CardState, QToolButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.field, 1)
        for state in CardState:
            button = QToolButton(text=state.label.capitalize(), checkable=True)
            button.setObjectName(f"Filter-{state.value}")
            button.setToolTip(f"Show {state.label} cards (several: any of them)")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.toggled.connect(self.apply)
            layout.addWidget(button)
            self.states[state] = button
        self.count = QLabel(objectName="Hint")
        layout.addWidget(self.count)
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.apply)
        self.field.textChanged.connect(self._timer.start)
        self.model.refreshed.connect(self._refreshed)
        self.model.modelReset.connect(self._refreshed)
        board.selectionModel().selectionChanged.connect(self._drop_hidden_from_selection)
        self.query = BoardQuery()  # nothing hidden until the writer asks

    def query_now(self) -> BoardQuery:
        """The query as the bar shows it."""
        states = frozenset(s for s, button in self.states.items() if button.isChecked())
        return BoardQuery(self.field.text(), states)

    def focus(self) -> None:
        """Keyboard focus in the field, its text selected (Ctrl+F)."""
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def apply(self) -> None:
        """Show the cards the query admits now (the current card included only if it does)."""
        self._timer.stop()
        self._apply(keep_current=False)

    def _refreshed(self) -> None:
        self._apply(keep_current=True)

    def _apply(self, keep_current: bool) -> None:
        session = self.model.session
        if session.store.closed:
            return
        self.query = self.query_now()
        matches = None
        if self.query.text.strip():
            ok, matches = session.attempt(lambda: session.store.frames_matching(self.query.text))
            if not ok:
                return
        drifting = frozenset(
            frame_id
            for frame_id, readout in self.model.readouts.items()
            if readout.state is FrameState.DRIFTING
        )
        current = self.board.current_frame_id()
        shown_ids = []
        for row, card in enumerate(self.model.cards):
            visible = card.frame.scene_id not in self.model.collapsed_scenes and (
                self.query.admits(card, matches, drifting)
                or (keep_current and card.frame.id == current)
            )
            self.board.setRowHidden(row, not visible)
            if visible:
                shown_ids.append(card.frame.id)
        shown = len(shown_ids)
        total = len(self.model.cards)
        if not self.query.filters:
            self.count.setText("")
        elif shown == 0:
            self.count.setText(f"No card matches (of {total})")
        else:
            self.count.setText(f"{shown} of {total} frame{'s' if total != 1 else ''}")
        self._drop_hidden_from_selection()
        row = self.model.row_of(current) if current is not None else None
        if row is not None and self.board.isRowHidden(row) and shown_ids:
            # a new query goes to its first card; a refresh (a scene collapsed) next door
            near = self._nearest_shown(row, shown_ids) if keep_current else shown_ids[0]
            self.board.select_frames([near])

    def _nearest_shown(self, row: int, shown_ids: list[int]) -> int:
        """The first card shown after ``row``, else the last one before it: a collapsed
        scene hands the current card on to the next scene, the board stays where it is."""
        rows = [r for r in map(self.model.row_of, shown_ids) if r is not None]
        after = [r for r in rows if r > row]
        return self.model.cards[after[0] if after else rows[-1]].frame.id

    def _drop_hidden_from_selection(self, *_: object) -> None:
        selection = self.board.selectionModel()
        hidden = QItemSelection()
        for index in selection.selectedIndexes():
            if self.board.isRowHidden(index.row()):
                hidden.select(index, index)
        if not hidden.isEmpty():
            selection.select(hidden, QItemSelectionModel.SelectionFlag.Deselect)

    def eventFilter(self, watched, event) -> bool:
        """In the field: Esc clears it (a second Esc goes back to the board); Down and
        Return go to the first card shown."""
        if watched is not self.field:
            return super().eventFilter(watched, event)
        clears = event.type() in (event.Type.ShortcutOverride, event.Type.KeyPress) and (
            event.key() == Qt.Key.Key_Escape and bool(self.field.text())
        )
        if event.type() == event.Type.ShortcutOverride and clears:
            event.accept()  # the field's own Esc, not the window's "back to the board"
            return True
        if event.type() != event.Type.KeyPress:
            return False
        if clears:
            self.field.clear()
            self.apply()
            return True
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.apply()
            self.board.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return False
