"""Scenes in the desktop app: the Scenes panel's verbs by clicks and keys, all undone by a
real Ctrl+Z; collapsing a scene; File → Import Script…; the animatic (Ctrl+Shift+A) from the
selected frame."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from storyboard_app.ui.animatic.player import AnimaticPlayer
from storyboard_app.ui.board.roles import SceneRole
from tests.ui.conftest import make_project

SCRIPT = Path(__file__).parent.parent / "project" / "scripts" / "lamp-room.fountain"


def layout(window) -> list[tuple[str, list[str]]]:
    store = window.session.store
    frames = store.frames()
    return [
        (s.heading, [f.interaction for f in frames if f.scene_id == s.id]) for s in store.scenes()
    ]


def click(button) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def focus_board(window, qtbot) -> None:
    """The window active and the keyboard on the board, where window shortcuts reach."""
    window.activateWindow()
    qtbot.waitActive(window)
    window.board.setFocus()
    qtbot.waitUntil(window.board.hasFocus)


def undo(window, qtbot) -> None:
    """Ctrl+Z, pressed on the board."""
    assert window.actions["undo"].isEnabled()
    focus_board(window, qtbot)
    QTest.keyClick(window.board, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def test_split_merge_move_collapse_and_undo(make_window, qtbot, tmp_path) -> None:
    path = make_project(tmp_path / "s.storyiter", frames=4)
    window = make_window()
    assert window.open_project(path)
    window.show()
    qtbot.waitExposed(window)
    panel = window.scenes_panel
    window.docks["scenes"].raise_()
    board = window.board
    beats = ["beat 1", "beat 2", "beat 3", "beat 4"]
    assert layout(window) == [("", beats)]
    assert panel.total.text() == "1 scene, 4 frames · running time 0:08"

    # Split at the third card: click it on the board, then Split.
    third = board.board_model.index(2)
    QTest.mouseClick(
        board.viewport(), Qt.MouseButton.LeftButton, pos=board.visualRect(third).center()
    )
    assert board.current_frame_id() == window.session.store.frames()[2].id
    click(panel.buttons["split"])
    assert layout(window) == [("", beats[:2]), ("", beats[2:])]
    assert panel.tree.topLevelItemCount() == 2
    assert panel.tree.topLevelItem(1).text(2) == "0:04"
    # The board puts each scene under its header and numbers shots per scene.
    model = board.board_model
    model.refresh()
    marks = [model.index(r).data(SceneRole) for r in range(4)]
    assert [h.label for h in model.headers] == ["Scene 1", "Scene 2"]
    assert [m.shot for m in marks] == ["1A", "1B", "2A", "2B"]

    # Move the new scene up, with its frames; undo puts it back.
    panel.tree.setCurrentItem(panel.tree.topLevelItem(1))
    click(panel.buttons["up"])
    assert layout(window) == [("", beats[2:]), ("", beats[:2])]
    undo(window, qtbot)
    assert layout(window) == [("", beats[:2]), ("", beats[2:])]

    # Collapse the second scene: Space on its header unticks it; its cards leave the board.
    panel.tree.setFocus()
    panel.tree.setCurrentItem(panel.tree.topLevelItem(1))
    QTest.keyClick(panel.tree, Qt.Key.Key_Space)
    assert [board.isRowHidden(r) for r in range(4)] == [False, False, True, True]
    QTest.keyClick(panel.tree, Qt.Key.Key_Space)
    assert not any(board.isRowHidden(r) for r in range(4))

    # Merge it back, then undo the merge and the split.
    panel.tree.setCurrentItem(panel.tree.topLevelItem(1))
    click(panel.buttons["merge"])
    assert layout(window) == [("", beats)]
    undo(window, qtbot)
    assert layout(window) == [("", beats[:2]), ("", beats[2:])]
    undo(window, qtbot)
    assert layout(window) == [("", beats)]


def test_edit_a_scene_heading_into_the_prompt(make_window, qtbot, tmp_path, monkeypatch) -> None:
    path = make_project(tmp_path / "s.storyiter", frames=2)
    window = make_window()
    assert window.open_project(path)
    window.show()
    qtbot.waitExposed(window)
    store = window.session.store
    store_frame = store.frames()[0]
    window.session.edit_frame(store_frame.id, scene="")
    panel = window.scenes_panel
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))

    def fill(dialog):
        dialog.show()
        dialog.heading.clear()
        QTest.keyClicks(dialog.heading, "INT. LAMP ROOM - NIGHT")
        click(dialog.in_prompt)
        assert "interior, lamp room, night" in dialog.in_prompt.text()
        dialog.accept()
        return True

    monkeypatch.setattr("storyboard_app.ui.scenes.panel.SceneDialog.exec", fill)
    click(panel.buttons["edit"])
    scene = store.scenes()[0]
    assert (scene.heading, scene.heading_in_prompt) == ("INT. LAMP ROOM - NIGHT", True)
    assert "interior, lamp room, night" in store.compiled_prompt(store_frame.id)
    # The frame editor's prompt preview shows it, as it will be sent.
    assert window.editor.frame_id == store_frame.id
    qtbot.waitUntil(
        lambda: "interior, lamp room, night" in window.editor.preview.text.toPlainText()
    )
    assert panel.tree.topLevelItem(0).text(0) == "Scene 1: INT. LAMP ROOM - NIGHT"
    undo(window, qtbot)
    assert store.scenes()[0].heading == ""
    assert "interior" not in store.compiled_prompt(store_frame.id)


def test_import_script_and_play_the_animatic(make_window, qtbot, tmp_path, monkeypatch) -> None:
    path = make_project(tmp_path / "s.storyiter", frames=1)
    window = make_window()
    assert window.open_project(path)
    window.show()
    qtbot.waitExposed(window)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(SCRIPT), ""))
    focus_board(window, qtbot)
    QTest.keyClick(window.board, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)  # Import
    store = window.session.store
    assert [s.heading for s in store.scenes()] == [
        "",
        "INT. LAMP ROOM - NIGHT",
        "FLASHBACK - A SUMMER DAY",
        "EXT. CLIFF - DAWN",
    ]
    assert len(store.frames()) == 5
    assert window.scenes_panel.tree.topLevelItemCount() == 4
    assert "Imported lamp-room.fountain" in window.messages.message()
    # The animatic starts at the selected card.
    third = store.frames()[2]
    window.board.board_model.refresh()
    window.board.select_frames([third.id])
    assert window.actions["animatic"].isEnabled()
    focus_board(window, qtbot)
    QTest.keyClick(
        window.board,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )  # View → Animatic's key
    (player,) = window.findChildren(AnimaticPlayer)
    qtbot.addWidget(player)
    assert player.current_frame_id() == third.id
    assert player.scene.text() == "Scene 1: INT. LAMP ROOM - NIGHT"  # its number in the script
    player.close()
    # Undo takes the whole import back.
    undo(window, qtbot)
    assert len(store.frames()) == 1 and [s.heading for s in store.scenes()] == [""]
