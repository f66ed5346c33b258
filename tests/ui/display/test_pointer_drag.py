"""A drag with the X server's own pointer (xdotool), as a hand on a mouse makes it: the
events come from the display, not from QTest, and Qt's drag loop has to follow them."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("xdotool") is None, reason="needs xdotool")


def _xdo(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=20)


@pytest.fixture
def app_loop():
    """The app's event loop as it runs for a writer: asyncio on Qt's loop (qasync), which
    reads the engine process; Qt's drag loop then runs inside it."""
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    loop = qasync.QEventLoop(QApplication.instance(), already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)


@pytest.mark.timeout(120)
def test_a_card_dragged_with_the_pointer_lands_at_the_front(app_loop, open_window, qtbot):
    window = open_window(frames=6)
    board = window.board
    model = board.board_model

    def on_screen(row: int) -> tuple[int, int]:
        point = board.viewport().mapToGlobal(board.visualRect(model.index(row)).center())
        return point.x(), point.y()

    start, end = on_screen(5), on_screen(0)
    end = (end[0] - board.visualRect(model.index(0)).width() // 3, end[1])  # its left half
    done = threading.Event()

    def hand() -> None:  # another thread: the UI thread runs Qt's drag loop meanwhile
        _xdo("mousemove", str(start[0]), str(start[1]))
        time.sleep(0.2)
        _xdo("mousedown", "1")
        for i in range(1, 13):
            _xdo("mousemove", str(start[0] + (end[0] - start[0]) * i // 12),
                 str(start[1] + (end[1] - start[1]) * i // 12))  # fmt: skip
            time.sleep(0.03)
        time.sleep(0.3)
        _xdo("mouseup", "1")
        done.set()

    threading.Thread(target=hand, daemon=True).start()
    qtbot.waitUntil(done.is_set, timeout=60_000)
    order = ["c5", "c0", "c1", "c2", "c3", "c4"]
    qtbot.waitUntil(lambda: [f.character for f in window.session.store.frames()] == order)
