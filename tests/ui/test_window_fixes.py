"""The window as a writer uses it, with real keys and clicks: zoom keys on the board, typing
saved while it goes on, Copy previous pose, quitting during a pass, messages that go when
their matter is over, captions in any script."""

from __future__ import annotations

import sqlite3
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.pose import load_pose_presets
from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.board.delegate import caption_font
from storyboard_app.ui.pose.document import add_figures, pose_to_text
from tests.ui.conftest import RUN_TIMEOUT_MS, make_project


def active(window, qtbot):
    window.show()
    window.activateWindow()  # shortcuts reach the active window only
    assert QTest.qWaitForWindowActive(window)
    return window


def test_ctrl_equals_and_ctrl_minus_zoom_the_board_with_its_focus(make_window, qtbot, tmp_path):
    window = active(make_window(), qtbot)
    assert window.open_project(make_project(tmp_path / "s.storyiter"))
    board = window.board
    board.setFocus()
    width = board.card_width
    QTest.keyClick(board, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert board.card_width == width + 20  # one action, not two ambiguous shortcuts
    QTest.keyClick(board, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(board, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert board.card_width == width - 20
    assert window.zoom_slider.value() == width - 20


def test_typing_without_a_pause_is_on_disk_within_a_second(make_window, qtbot, tmp_path):
    path = make_project(tmp_path / "s.storyiter", frames=1)
    window = active(make_window(), qtbot)
    assert window.open_project(path)
    field = window.editor.fields["scene"]
    field.setFocus()
    field.selectAll()
    seen_on_disk: list[str] = []

    def look() -> None:  # what a crash now would leave: read by another connection
        with sqlite3.connect(path) as conn:
            seen_on_disk.append(conn.execute("SELECT scene FROM frame").fetchone()[0])

    QTimer.singleShot(1400, look)
    text = "a storm rolls in over the harbour"
    QTest.keyClicks(field, text, delay=60)  # 2 s of typing, never a 0.4 s pause
    assert seen_on_disk and seen_on_disk[0] != "a lighthouse"
    assert text.startswith(seen_on_disk[0]) and len(seen_on_disk[0]) >= 5
    window.session.flush()
    assert window.session.store.frames()[0].scene == text
    window.session.undo()  # the whole burst is one step
    assert window.session.store.frames()[0].scene == "a lighthouse"


def test_copy_previous_pose_from_the_pose_tab(make_window, qtbot, tmp_path):
    window = active(make_window(), qtbot)
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=2))
    store = window.session.store
    first, second = store.frames()
    preset = next(iter(load_pose_presets().values()))
    pose = pose_to_text(add_figures(None, preset, (64, 64), ["Mara"]))
    store.update_frame(first.id, pose_json=pose)
    window.board.select_frames([second.id])
    tabs = window.editor.tabs
    QTest.mouseClick(
        tabs.tabBar(), Qt.MouseButton.LeftButton, pos=tabs.tabBar().tabRect(1).center()
    )
    controls = window.editor.pose_tab.editor.controls
    action = controls.actions["copy_previous"]
    qtbot.waitUntil(action.isEnabled)
    button = controls.frame_bar.widgetForAction(action)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: store.frame(second.id).pose_json is not None)
    copied = store.frame(second.id).pose_json
    assert copied is not None and "people" in copied
    assert not controls.actions["copy_next"].isEnabled()  # no next frame


def test_quitting_during_a_pass_is_quiet_and_leaves_the_story_resumable(
    make_window, qtbot, tmp_path
):
    path = make_project(tmp_path / "s.storyiter", frames=4)
    window = active(make_window(), qtbot)
    assert window.open_project(path)
    committed = []
    window.controller.worker.frameCommitted.connect(lambda *a: committed.append(a))
    QTest.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # Iterate All
    assert window.controller.busy
    qtbot.waitUntil(lambda: bool(committed), timeout=RUN_TIMEOUT_MS)
    window.close()  # what the window's close button does
    assert not window.isVisible()
    end = time.monotonic() + 0.5  # late reports from the engine thread arrive now
    while time.monotonic() < end:
        QApplication.processEvents()
    assert window.session is None
    with ProjectStore.open(path) as store:  # nothing lost; the pass can be finished
        assert store.images_of_frame(store.frames()[0].id)
        assert store.unfinished_passes() or all(store.images_of_frame(f.id) for f in store.frames())


def test_the_pass_is_running_message_goes_when_the_run_ends(make_window, qtbot, tmp_path):
    window = active(make_window(), qtbot)
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=2))
    assert not window.actions["resume"].isEnabled()  # nothing to resume in a new story
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        QTest.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)  # close story
        assert "A pass is running" in window.messages.message()
    assert finished.args[0].status == "complete"
    assert window.messages.message() == ""
    assert not window.actions["resume"].isEnabled()
    assert "saved" in window.run_panel.status.text()


def test_a_caption_in_a_script_the_italic_face_lacks_is_drawn_upright():
    base = QFont()
    arabic = "قال: لا تخف"
    italic = QFont(base)
    italic.setItalic(True)
    from PySide6.QtGui import QFontMetrics

    metrics = QFontMetrics(italic)
    has_arabic = all(metrics.inFontUcs4(ord(c)) for c in arabic if not c.isspace())
    assert caption_font(base, arabic).italic() == has_arabic
    assert caption_font(base, "Look out!").italic()
