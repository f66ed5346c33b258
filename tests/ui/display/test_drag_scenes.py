"""Real drags between scenes on the board: a card dropped on a scene's header starts that
scene, one dropped on an empty scene's strip goes into it; Ctrl+Z takes each back."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.ui.display.test_drag_and_title import drag


def settled(qtbot, window):
    """The board shows the story as stored, and the window system is done with the last
    drag (a drag started at once would be handed the last one's data)."""
    store, model = window.session.store, window.board.board_model
    qtbot.waitUntil(lambda: [c.frame for c in model.cards] == store.frames())
    qtbot.waitUntil(lambda: len(model.headers) == len(store.scenes()))
    qtbot.wait(300)


def scenes(window):
    store = window.session.store
    frames = store.frames()
    return [[f.character for f in frames if f.scene_id == s.id] for s in store.scenes()]


def test_drops_on_a_header_and_into_an_empty_scene(open_window, qtbot):
    window = open_window(frames=6)
    session, board = window.session, window.board
    frames = session.store.frames()
    session.split_scene(frames[3].id)
    empty = session.add_scene(None, heading="EXT. EMPTY BEACH - DAY")
    board.set_card_width(board.MIN_WIDTH)  # the whole story in sight
    settled(qtbot, window)
    first, second, _ = [s.id for s in session.store.scenes()]
    assert scenes(window) == [["c0", "c1", "c2"], ["c3", "c4", "c5"], []]
    model = board.board_model

    # The first card onto the second scene's header: it opens that scene.
    start = board.visualRect(model.index(0)).center()
    drag(board.viewport(), start, board.header_rect(second).center())
    qtbot.waitUntil(lambda: scenes(window) == [["c1", "c2"], ["c0", "c3", "c4", "c5"], []])
    settled(qtbot, window)

    # The last card onto the empty scene's strip, under its header.
    start = board.visualRect(model.index(5)).center()
    header = board.header_rect(empty.id)
    assert board.viewport().rect().contains(header.bottomLeft() + QPoint(0, 30))
    drag(board.viewport(), start, QPoint(header.center().x(), header.bottom() + 24))
    qtbot.waitUntil(lambda: scenes(window) == [["c1", "c2"], ["c0", "c3", "c4"], ["c5"]])
    settled(qtbot, window)

    window.activateWindow()
    qtbot.waitActive(window)
    board.setFocus()
    qtbot.waitUntil(board.hasFocus)
    QTest.keyClick(window.board, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: scenes(window) == [["c1", "c2"], ["c0", "c3", "c4", "c5"], []])
    QTest.keyClick(window.board, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: scenes(window) == [["c0", "c1", "c2"], ["c3", "c4", "c5"], []])
    assert first in {f.scene_id for f in session.store.frames()}
