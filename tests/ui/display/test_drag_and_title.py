"""Reordering by a real drag through Qt's drag and drop on the board's viewport, and the
window title the window manager shows."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def drag(viewport, start: QPoint, end: QPoint) -> None:
    """Press at ``start``, move past the drag distance (Qt starts QDrag.exec, which blocks
    in its own loop), glide to ``end`` and release there, all as mouse events."""
    path = [start + QPoint(8 * i, 2 * i) for i in range(1, 6)]
    path += [end + QPoint(2 * i - 10, 0) for i in range(6)]

    def glide() -> None:
        for point in path:
            QTest.mouseMove(viewport, point)
            QApplication.processEvents()
            time.sleep(0.02)
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)

    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTimer.singleShot(50, glide)
    QTest.mouseMove(viewport, start + QPoint(30, 10))  # starts the drag; returns after the drop


def test_dragging_a_card_reorders_the_story_and_undo_puts_it_back(open_window, qtbot):
    window = open_window(frames=6)
    board = window.board
    model = board.board_model
    assert board.viewport().acceptDrops()
    first = board.visualRect(model.index(0)).center()
    fifth = board.visualRect(model.index(4))
    drag(board.viewport(), first, QPoint(fifth.left() + 4, fifth.center().y()))
    order = ["c1", "c2", "c3", "c0", "c4", "c5"]  # dropped on the fifth card's left half
    qtbot.waitUntil(lambda: [c.frame.character for c in model.cards] == order, timeout=3000)
    assert [f.character for f in window.session.store.frames()] == order
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.session.store.frames()[0].character == "c0")


def test_dragging_several_cards_keeps_their_order(open_window, qtbot):
    window = open_window(frames=6)
    board = window.board
    model = board.board_model
    viewport = board.viewport()
    second = board.visualRect(model.index(1)).center()
    third = board.visualRect(model.index(2)).center()
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, second)
    QTest.mouseClick(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, third
    )
    assert len(board.selected_frame_ids()) == 2
    last = board.visualRect(model.index(5))
    # from the second card: a press on the card just clicked would be a double-click
    drag(viewport, second, QPoint(last.center().x(), last.bottom() + 30))  # past the last card
    order = ["c0", "c3", "c4", "c5", "c1", "c2"]
    qtbot.waitUntil(lambda: [f.character for f in window.session.store.frames()] == order)
    moved = [c.frame.id for c in model.cards[-2:]]
    qtbot.waitUntil(lambda: board.selected_frame_ids() == moved)  # still selected


def test_a_drop_on_a_cards_right_half_puts_the_card_after_it(open_window, qtbot):
    window = open_window(frames=4)
    board = window.board
    model = board.board_model
    first = board.visualRect(model.index(0)).center()
    second = board.visualRect(model.index(1))
    drag(board.viewport(), first, QPoint(second.right() - 4, second.center().y()))
    order = ["c1", "c0", "c2", "c3"]
    qtbot.waitUntil(lambda: [f.character for f in window.session.store.frames()] == order)


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is not installed")
def test_the_window_title_names_the_app_once(open_window, qtbot):
    window = open_window(frames=1)
    qtbot.wait(200)
    shown = subprocess.run(
        ["xdotool", "getwindowname", str(int(window.winId()))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown.startswith("On a display — story-0.storyiter"), shown
    assert shown.count("StoryIter Studio") == 1, shown
