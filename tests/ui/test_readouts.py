"""Read-outs in the window: the drifting badge, Iterate Drifting by its shortcut through the
real engine thread, the history's curves and its suggested round, Story Consistency."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from storyboard_app.project.readouts import Readout
from storyboard_app.project.report import FrameState
from storyboard_app.project.search import CardState
from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.board.roles import ReadoutRole
from tests.project.readout_story import DIM, commit_round, drifting_story
from tests.ui.conftest import RUN_TIMEOUT_MS


def _press(qtbot, window, key: Qt.Key) -> None:
    """Ctrl+Alt+``key`` on the board, as the writer presses it."""
    window.board.setFocus()
    qtbot.waitUntil(window.board.hasFocus, timeout=3000)
    QTest.keyClick(
        window.board, key, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
    )


def _click_card(qtbot, window, row: int) -> None:
    view = window.board
    rect = view.visualRect(view.board_model.index(row))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _open_active(make_window, qtbot, path):
    """The story in a shown, active 1280×800 window (shortcuts reach the active window)."""
    window = make_window()
    assert window.open_project(path)
    window.resize(1280, 800)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def test_the_drifting_card_is_marked_and_iterate_drifting_redraws_only_it(
    make_window, qtbot, tmp_path
):
    path = tmp_path / "crafted.storyiter"
    frames = drifting_story(path, odd=2)
    window = _open_active(make_window, qtbot, path)
    model = window.board.board_model
    states = [model.index(r).data(ReadoutRole).state for r in range(model.rowCount())]
    assert states[2] is FrameState.DRIFTING and states.count(FrameState.DRIFTING) == 1
    assert "Drifting" in model.index(2).data(Qt.ItemDataRole.ToolTipRole)

    # The board's "Drifting" filter shows that card alone, and shows every card again.
    bar = window.search_bar
    qtbot.mouseClick(bar.states[CardState.DRIFTING], Qt.MouseButton.LeftButton)
    hidden = [window.board.isRowHidden(r) for r in range(model.rowCount())]
    assert hidden == [True, True, False, True, True, True]
    qtbot.mouseClick(bar.states[CardState.DRIFTING], Qt.MouseButton.LeftButton)
    assert not any(window.board.isRowHidden(r) for r in range(model.rowCount()))

    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as done:
        _press(qtbot, window, Qt.Key.Key_D)
    assert done.args[0].status == "complete", done.args[0]
    store = window.session.store
    redrawn = [f for f in frames if any(i.round == 1 for i in store.images_of_frame(f))]
    assert redrawn == [frames[2]]


def test_history_shows_the_curves_and_accepts_the_suggested_round_undoably(
    make_window, qtbot, tmp_path
):
    path = tmp_path / "rounds.storyiter"
    frames = drifting_story(path, odd=-1, frames=3)
    rng = np.random.default_rng(3)
    # Frame 1: alignment slips as rounds go on, consistency rises: round 2 balances best.
    with ProjectStore.open(path) as store:
        for rnd, (align, consist) in enumerate([(0.9, 0.2), (0.85, 0.8), (0.5, 0.9)], start=1):
            looks = {f: rng.normal(size=DIM) for f in frames}
            commit_round(
                store, rnd, looks, {frames[0]: Readout(align, consist, 0.1, {"Mara": consist})}
            )
    window = _open_active(make_window, qtbot, path)
    _click_card(qtbot, window, 0)
    history = window.history
    qtbot.waitUntil(lambda: history.frame_id == frames[0])
    store = window.session.store
    latest = store.current_image_id(frames[0])
    assert [r.round for r in history.chart.report.rounds] == [0, 1, 2, 3]
    assert history.readout.suggested_round == 2
    assert history.suggested_button.isEnabled()
    assert history.suggested_button.text() == "Use suggested (R2)"
    qtbot.mouseClick(history.suggested_button, Qt.MouseButton.LeftButton)
    round2 = next(i.id for i in store.images_of_frame(frames[0]) if i.round == 2)
    assert store.current_image_id(frames[0]) == round2
    assert not history.suggested_button.isEnabled()
    window.board.setFocus()
    qtbot.waitUntil(window.board.hasFocus, timeout=3000)
    QTest.keyClick(window.board, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.current_image_id(frames[0]) == latest

    # Clicking a round on the curves selects that round's image in the strip.
    chart = history.chart
    chart.resize(300, chart.height())
    QTest.mouseClick(chart, Qt.MouseButton.LeftButton, pos=QPoint(4, chart.height() // 2))
    round0 = next(i.id for i in store.images_of_frame(frames[0]) if i.round == 0)
    assert history.selected_image_ids() == [round0]


def test_story_consistency_lists_cast_by_round_and_the_drifting_frame(make_window, qtbot, tmp_path):
    path = tmp_path / "crafted.storyiter"
    drifting_story(path, odd=4)
    window = make_window()
    assert window.open_project(path)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    seen = {}

    def inspect() -> None:
        dialog = QApplication.activeModalWidget()
        seen["table"] = dialog.table.item(0, 0).text()
        seen["rows"] = dialog.table.rowCount()
        seen["drift"] = dialog.findChild(QLabel, "DriftingFrames").text()
        dialog.reject()

    QTimer.singleShot(300, inspect)
    _press(qtbot, window, Qt.Key.Key_C)
    assert seen["rows"] == 1 and float(seen["table"]) > 0
    assert seen["drift"].startswith("Frame 5: consistency")
