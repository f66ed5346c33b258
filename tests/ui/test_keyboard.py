"""The core loop without the mouse: real key presses on the real window's widgets drive
adding, editing, moving, finding and leaving cards, the story settings, iterating,
cancelling, resuming and choosing a round; Help lists every shortcut."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from storyboard_app.project.search import CardState
from storyboard_app.ui.dialogs.story_settings_dialog import StorySettingsDialog
from storyboard_app.ui.window.shortcuts_dialog import ShortcutsDialog
from tests.ui.conftest import RUN_TIMEOUT_MS, make_project

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


def shown_window(make_window, qtbot, path):
    window = make_window()
    assert window.open_project(path)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def press(qtbot, key, modifiers=Qt.KeyboardModifier.NoModifier):
    """A key press where the keyboard focus is, as a writer's keyboard delivers it."""
    focus = QApplication.focusWidget()
    assert focus is not None, "no widget has the keyboard focus"
    qtbot.keyClick(focus, key, modifiers)


def type_text(qtbot, text):
    qtbot.keyClicks(QApplication.focusWidget(), text)


def characters(window):
    return [f.character for f in window.session.store.frames()]


def test_cards_are_added_edited_moved_found_and_left_by_keyboard(make_window, qtbot, tmp_path):
    window = shown_window(make_window, qtbot, make_project(tmp_path / "k.storyiter", frames=3))
    board, editor = window.board, window.editor
    board.setFocus()
    assert window.board.current_frame_id() == window.session.store.frames()[0].id

    # Ctrl+Return adds a card after the current one and puts the cursor in its Character.
    press(qtbot, Qt.Key.Key_Return, CTRL)
    assert QApplication.focusWidget() is editor.fields["character"]
    type_text(qtbot, "a fox")
    press(qtbot, Qt.Key.Key_Escape)  # back to the board, the typing saved
    assert QApplication.focusWidget() is board
    assert characters(window) == ["@Mara", "a fox", "@Mara", "@Mara"]

    # Tab from the board goes into the card's fields, not to another panel.
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is editor.fields["character"]
    # Ctrl+PgDown / Ctrl+PgUp: next / previous card while typing; the field keeps the focus.
    press(qtbot, Qt.Key.Key_PageDown, CTRL)
    assert board.current_frame_id() == window.session.store.frames()[2].id
    assert QApplication.focusWidget() is editor.fields["character"]
    press(qtbot, Qt.Key.Key_End)
    type_text(qtbot, " and @Pip")
    press(qtbot, Qt.Key.Key_PageUp, CTRL)
    assert board.current_frame_id() == window.session.store.frames()[1].id
    assert characters(window)[2] == "@Mara and @Pip"

    # Duplicate, move earlier, delete: Ctrl+D, Ctrl+Shift+Left, Delete on the board.
    press(qtbot, Qt.Key.Key_Escape)
    press(qtbot, Qt.Key.Key_D, CTRL)
    assert characters(window) == ["@Mara", "a fox", "a fox", "@Mara and @Pip", "@Mara"]
    press(qtbot, Qt.Key.Key_Right)  # arrow keys walk the board
    press(qtbot, Qt.Key.Key_Left, CTRL | SHIFT)
    assert characters(window) == ["@Mara", "a fox", "@Mara and @Pip", "a fox", "@Mara"]
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Delete)
    assert characters(window) == ["@Mara", "a fox", "@Mara and @Pip", "@Mara"]
    press(qtbot, Qt.Key.Key_Z, CTRL)
    assert characters(window) == ["@Mara", "a fox", "@Mara and @Pip", "a fox", "@Mara"]

    # Ctrl+F: find by text (cast names included); Return goes to the first card shown.
    press(qtbot, Qt.Key.Key_F, CTRL)
    bar = window.search_bar
    assert QApplication.focusWidget() is bar.field
    type_text(qtbot, "pip")
    qtbot.waitUntil(lambda: bar.count.text() == "1 of 5 frames")
    visible = [r for r in range(5) if not board.isRowHidden(r)]
    assert visible == [2]
    press(qtbot, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is board
    assert board.current_frame_id() == window.session.store.frames()[2].id
    press(qtbot, Qt.Key.Key_A, CTRL)  # select all selects only what is shown
    assert board.selected_frame_ids() == [window.session.store.frames()[2].id]
    press(qtbot, Qt.Key.Key_F, CTRL)
    press(qtbot, Qt.Key.Key_Escape)  # clears the search
    qtbot.waitUntil(lambda: not any(board.isRowHidden(r) for r in range(5)))
    assert QApplication.focusWidget() is bar.field
    press(qtbot, Qt.Key.Key_Escape)  # and a second Esc goes back to the board
    assert QApplication.focusWidget() is board

    # Ctrl+P opens the pose tab of the current card; Esc comes back.
    press(qtbot, Qt.Key.Key_P, CTRL)
    assert editor.tabs.currentWidget() is editor.pose_tab
    assert editor.pose_tab.isAncestorOf(QApplication.focusWidget())
    press(qtbot, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is board

    # F1 lists every shortcut of the window's actions.
    press(qtbot, Qt.Key.Key_F1)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    listed = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    for action in window.actions.values():
        if action.shortcut().toString():
            assert any(action.shortcut().toString() in keys for keys in listed), action.text()
    dialog.reject()


def test_no_two_actions_share_a_key(make_window) -> None:
    window = make_window()
    seen: dict[str, str] = {}
    for name, action in window.actions.items():
        for key in action.shortcuts():
            text = key.toString()
            assert text not in seen, f"{text} is both {seen.get(text)} and {name}"
            seen[text] = name


def test_story_settings_dialog_by_keyboard_is_one_undo_step(make_window, qtbot, tmp_path):
    window = shown_window(make_window, qtbot, make_project(tmp_path / "s.storyiter", frames=2))
    store = window.session.store
    before = store.settings()
    window.board.setFocus()
    press(qtbot, Qt.Key.Key_S, CTRL | ALT)
    dialog = window.findChild(StorySettingsDialog)
    qtbot.waitUntil(lambda: dialog.isVisible() and QApplication.activeModalWidget() is dialog)
    dialog.activateWindow()  # what the window manager does for a new dialog
    qtbot.waitUntil(dialog.isActiveWindow)

    def field(mnemonic, text):
        press(qtbot, mnemonic, ALT)
        press(qtbot, Qt.Key.Key_A, CTRL)
        type_text(qtbot, text)

    field(Qt.Key.Key_S, "1001")  # Image size: width
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_A, CTRL)
    type_text(qtbot, "512")
    press(qtbot, Qt.Key.Key_Return)  # OK: refused, the dialog says why and stays
    assert dialog.isVisible()
    assert "1001 is not: use 1000 or 1008" in dialog.problems.text()
    assert store.settings() == before

    field(Qt.Key.Key_S, "1024")
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_A, CTRL)
    type_text(qtbot, "1024")
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_A, ALT)  # Aspect: 2.39:1 keeps the area
    press(qtbot, Qt.Key.Key_Home)
    press(qtbot, Qt.Key.Key_Down)
    assert (dialog.width_box.value(), dialog.height_box.value()) == (1584, 664)
    press(qtbot, Qt.Key.Key_O, ALT)  # Orientation: portrait turns it
    press(qtbot, Qt.Key.Key_Down)
    assert (dialog.width_box.value(), dialog.height_box.value()) == (664, 1584)
    press(qtbot, Qt.Key.Key_Up)
    field(Qt.Key.Key_T, "30")  # Steps
    field(Qt.Key.Key_G, "7.5")  # Guidance
    field(Qt.Key.Key_R, "4")  # Rounds
    press(qtbot, Qt.Key.Key_Y, ALT)  # Style: type to choose
    type_text(qtbot, "Film")
    field(Qt.Key.Key_E, "4242")  # Seed
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    window.activateWindow()  # the window manager gives the window back its focus
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    after = store.settings()
    assert (after.width, after.height, after.steps, after.guidance) == (1584, 664, 30, 7.5)
    assert (after.rounds, after.style, after.seed) == (4, "film", 4242)

    press(qtbot, Qt.Key.Key_Z, CTRL)  # one step back to where it was
    assert store.settings() == before
    redo = window.actions["redo"].shortcut()  # Ctrl+Shift+Z on X11, Ctrl+Y elsewhere
    QTest.keySequence(QApplication.focusWidget(), redo)
    assert store.settings() == after


def test_iterate_cancel_resume_and_choose_a_round_by_keyboard(make_window, qtbot, tmp_path):
    window = shown_window(make_window, qtbot, make_project(tmp_path / "r.storyiter", frames=3))
    store, controller = window.session.store, window.controller
    window.session.update_settings(rounds=1, batch_size=1)
    window.board.setFocus()

    # The engine thread waits after its first commit until the writer has pressed Cancel.
    gate = threading.Event()
    controller.worker.frameCommitted.connect(
        lambda *_: gate.wait(60), Qt.ConnectionType.DirectConnection
    )
    with qtbot.waitSignal(controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        press(qtbot, Qt.Key.Key_R, CTRL)  # Iterate All
        qtbot.waitUntil(
            lambda: len(store.passes()) == 1 and bool(store.images_of_pass(1)),
            timeout=RUN_TIMEOUT_MS,
        )
        press(qtbot, Qt.Key.Key_Period, CTRL)  # Cancel
        gate.set()
    assert finished.args[0].status == "cancelled"
    with qtbot.waitSignal(controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        press(qtbot, Qt.Key.Key_F5)  # Resume
    assert finished.args[0].status == "complete"
    with qtbot.waitSignal(controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        press(qtbot, Qt.Key.Key_R, CTRL)  # one more round for every frame
    assert finished.args[0].status == "complete"

    # Ctrl+H: the history of the current frame; Left picks the round before; Ctrl+U uses it.
    frame_id = window.board.current_frame_id()
    latest = store.current_image_id(frame_id)
    press(qtbot, Qt.Key.Key_H, CTRL)
    strip = window.history.strip
    assert QApplication.focusWidget() is strip
    assert window.history.selected_image_ids() == [latest]
    rounds = [info.round for info in window.history.images]
    assert len(rounds) >= 2 and rounds == sorted(rounds)
    press(qtbot, Qt.Key.Key_Left)
    earlier = window.history.selected_image_ids()
    assert [store.image_info(i).round for i in earlier] == [rounds[-2]]
    press(qtbot, Qt.Key.Key_U, CTRL)
    assert store.current_image_id(frame_id) == earlier[0]
    press(qtbot, Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is window.board


def test_state_filters_by_mouse_and_delete_acts_only_on_what_is_shown(make_window, qtbot, tmp_path):
    window = shown_window(make_window, qtbot, make_project(tmp_path / "f.storyiter", frames=4))
    board, bar = window.board, window.search_bar
    store = window.session.store
    board.setFocus()
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_L, CTRL)  # lock frame 2
    assert [f.locked for f in store.frames()] == [False, True, False, False]

    def shown():
        return [r for r in range(4) if not board.isRowHidden(r)]

    qtbot.mouseClick(bar.states[CardState.LOCKED], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown() == [1] and bar.count.text() == "1 of 4 frames")
    qtbot.mouseClick(bar.states[CardState.NO_IMAGE], Qt.MouseButton.LeftButton)
    assert shown() == [0, 1, 2, 3]  # any of the chosen states
    qtbot.mouseClick(bar.states[CardState.NO_IMAGE], Qt.MouseButton.LeftButton)
    assert shown() == [1]

    board.setFocus()
    press(qtbot, Qt.Key.Key_A, CTRL)
    press(qtbot, Qt.Key.Key_Delete)  # deletes the one locked card shown, nothing hidden
    assert [f.locked for f in store.frames()] == [False, False, False]
    qtbot.waitUntil(lambda: bar.count.text() == "No card matches (of 3)")
    qtbot.mouseClick(bar.states[CardState.LOCKED], Qt.MouseButton.LeftButton)
    assert shown()[:3] == [0, 1, 2] and bar.count.text() == ""


def test_tab_from_a_cast_name_goes_to_its_looks_not_the_colour(
    make_window, qtbot, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QColorDialog

    opened = []
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: opened.append(a) or a[0])
    window = shown_window(make_window, qtbot, make_project(tmp_path / "c.storyiter", frames=1))
    panel = window.cast_panel
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is panel.name
    type_text(qtbot, "Pip")
    press(qtbot, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is panel.description
    type_text(qtbot, " a small grey fox")
    assert not opened
    panel.flush()
    members = {m.name: m.description for m in window.session.store.cast()}
    assert members["Pip"].strip() == "a small grey fox"
