"""Scenes in the desktop app: the Scenes panel's verbs by clicks and keys, all undoable;
collapsing a scene; File → Import Script…; View → Animatic from the selected frame."""

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


def undo(window) -> None:
    """Edit → Undo (window shortcuts need an active window, which offscreen Qt never has)."""
    assert window.actions["undo"].isEnabled()
    window.actions["undo"].trigger()


def test_split_merge_move_collapse_and_undo(make_window, qtbot, tmp_path) -> None:
    path = make_project(tmp_path / "s.storyiter", frames=4)
    window = make_window()
    window.show()
    assert window.open_project(path)
    panel = window.scenes_panel
    window.docks["scenes"].raise_()
    board = window.board
    beats = ["beat 1", "beat 2", "beat 3", "beat 4"]
    assert layout(window) == [("", beats)]
    assert panel.total.text() == "1 scene(s), 4 frame(s) · running time 0:08"

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
    # The board marks where each scene starts and numbers shots per scene.
    model = board.board_model
    model.refresh()
    marks = [model.index(r).data(SceneRole) for r in range(4)]
    assert [m.label for m in marks] == ["Scene 1", "", "Scene 2", ""]
    assert [m.shot for m in marks] == ["1A", "1B", "2A", "2B"]

    # Move the new scene up, with its frames; undo puts it back.
    panel.tree.setCurrentItem(panel.tree.topLevelItem(1))
    click(panel.buttons["up"])
    assert layout(window) == [("", beats[2:]), ("", beats[:2])]
    undo(window)
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
    undo(window)
    assert layout(window) == [("", beats[:2]), ("", beats[2:])]
    undo(window)
    assert layout(window) == [("", beats)]


def test_edit_a_scene_heading_into_the_prompt(make_window, qtbot, tmp_path, monkeypatch) -> None:
    path = make_project(tmp_path / "s.storyiter", frames=2)
    window = make_window()
    window.show()
    assert window.open_project(path)
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
    undo(window)
    assert store.scenes()[0].heading == ""
    assert "interior" not in store.compiled_prompt(store_frame.id)


def test_import_script_and_play_the_animatic(make_window, qtbot, tmp_path, monkeypatch) -> None:
    path = make_project(tmp_path / "s.storyiter", frames=1)
    window = make_window()
    window.show()
    assert window.open_project(path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(SCRIPT), ""))
    window.menuBar().actions()  # the menus are built
    window.actions["import_script"].trigger()
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
    window.actions["animatic"].trigger()  # View → Animatic
    (player,) = window.findChildren(AnimaticPlayer)
    qtbot.addWidget(player)
    assert player.current_frame_id() == third.id
    assert player.scene.text() == "Scene 1: INT. LAMP ROOM - NIGHT"  # its number in the script
    player.close()
    # Undo takes the whole import back.
    undo(window)
    assert len(store.frames()) == 1 and [s.heading for s in store.scenes()] == [""]
