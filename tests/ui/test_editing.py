"""Editing the board: cards, fields, order, cast; undo/redo; saved as it happens; reopened exact."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.board.roles import FrameIdRole
from storyboard_app.ui.shared.save_timer import PAUSE_MS as SAVE_DELAY_MS
from tests.ui.conftest import make_project


def story_state(path):
    """Everything the file says about the story, minus timestamps."""
    with ProjectStore.open_reader(path) as store:
        data = store.to_json()
    for key in ("created", "modified"):
        data.pop(key)
    return data


def texts(window):
    return [f.character for f in window.session.store.frames()]


def test_create_edit_reorder_undo_redo_and_reopen_exactly(make_window, qtbot, tmp_path):
    path = tmp_path / "new.storyiter"
    window = make_window()
    assert window.files.create_project(path, "A new story")
    session, board = window.session, window.board
    assert len(session.store.frames()) == 1  # a blank card to start typing in

    # Type into the frame editor like a writer: saved after a pause, without any "Save".
    editor = window.editor
    qtbot.keyClicks(editor.fields["character"], "a fox")
    qtbot.waitUntil(lambda: texts(window) == ["a fox"], timeout=SAVE_DELAY_MS + 1000)
    qtbot.keyClicks(editor.fields["scene"], "on a beach")
    editor.flush()

    window.actions["add_frame"].trigger()  # after the current card
    session.edit_frame(board.current_frame_id(), character="a lighthouse")
    window.actions["add_frame"].trigger()
    session.edit_frame(board.current_frame_id(), character="a ship", caption="Look!")
    window.select_row(0)
    window.actions["insert_frame"].trigger()  # before the first
    session.edit_frame(board.current_frame_id(), character="the title card")
    assert texts(window) == ["the title card", "a fox", "a lighthouse", "a ship"]

    # "a ship" to the front through the model's drop path (real drags: tests/ui/display).
    model = board.board_model
    dragged = model.mimeData([model.index(3)])
    model.dropMimeData(dragged, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert texts(window) == ["a ship", "the title card", "a fox", "a lighthouse"]
    # Keyboard: move "a fox" one earlier.
    board.select_frames([model.cards[2].frame.id])
    window.actions["move_left"].trigger()
    assert texts(window) == ["a ship", "a fox", "the title card", "a lighthouse"]

    board.select_frames([model.cards[3].frame.id])
    window.actions["duplicate"].trigger()
    window.actions["lock"].trigger()
    assert session.add_cast_member("Mara", "a keeper with copper hair") is not None
    session.edit_frame(model.cards[0].frame.id, character="@Mara on a ship")
    final = story_state(path)
    assert [f["character"] for f in final["frames"]] == [
        "@Mara on a ship", "a fox", "the title card", "a lighthouse", "a lighthouse"
    ]  # fmt: skip
    assert final["frames"][4]["locked"] and not final["frames"][3]["locked"]
    assert "copper hair" in final["frames"][0]["prompt"]

    # Undo everything back to the blank card, then redo all of it.
    steps = 0
    while session.undo_stack.canUndo():
        window.actions["undo"].trigger()
        steps += 1
    assert steps >= 10
    assert [f["character"] for f in story_state(path)["frames"]] == [""]
    assert story_state(path)["cast"] == []
    while session.undo_stack.canRedo():
        window.actions["redo"].trigger()
    redone = story_state(path)
    assert _without_ids(redone) == _without_ids(final)

    window.close_project()
    again = make_window()
    assert again.open_project(path)
    assert story_state(path) == redone
    assert [c.frame.character for c in again.board.board_model.cards] == [
        f["character"] for f in redone["frames"]
    ]


def _without_ids(data):
    """Undo re-creates deleted cards with new ids; the story must be the same otherwise."""
    frames = [{k: v for k, v in f.items() if k != "id"} for f in data["frames"]]
    cast = [{k: v for k, v in m.items() if k != "id"} for m in data["cast"]]
    return {**data, "frames": frames, "cast": cast}


def test_a_burst_of_typing_is_one_undo_step(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter"))
    field = window.editor.fields["interaction"]
    field.selectAll()
    qtbot.keyClicks(field, "waving")
    frame_id = window.board.current_frame_id()
    store = window.session.store
    qtbot.waitUntil(lambda: store.frame(frame_id).interaction == "waving", timeout=2000)
    qtbot.keyClicks(field, " hello")
    window.session.flush()
    assert store.frame(frame_id).interaction == "waving hello"
    window.session.undo()
    assert store.frame(frame_id).interaction == "beat 1"
    assert field.text() == "beat 1"  # the editor follows undo
    window.session.redo()
    assert store.frame(frame_id).interaction == "waving hello"


def test_undo_after_deleting_brings_the_card_back_and_older_edits_still_undo(make_window, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter"))
    session = window.session
    first = session.store.frames()[0].id
    session.edit_frame(first, caption="A caption")
    window.board.select_frames([first])
    window.actions["delete"].trigger()
    assert len(session.store.frames()) == 2
    session.undo()  # the card comes back (with a new id), in its place
    frames = session.store.frames()
    assert len(frames) == 3 and frames[0].caption == "A caption"
    session.undo()  # the edit before the delete finds the re-created card
    assert session.store.frames()[0].caption == ""
    session.redo()
    session.redo()
    assert [f.interaction for f in session.store.frames()] == ["beat 2", "beat 3"]


def test_keyboard_navigation_and_card_zoom(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter"))
    board = window.board
    board.setFocus()
    first = board.current_frame_id()
    qtbot.keyClick(board, Qt.Key.Key_Right)
    second = board.current_frame_id()
    assert second != first
    assert window.editor.frame_id == second  # the editor follows the current card
    assert window.history.frame_id == second
    width = board.card_width
    window.actions["zoom_in"].trigger()
    assert board.card_width == width + 20
    assert board.gridSize().width() > width + 12
    assert window.prefs.card_width() == width + 20


def test_prompt_preview_shows_the_style_and_warns_past_the_budget(make_window, qtbot, tmp_path):
    from storyboard_app.ui.editor.prompt_preview import tokenizer_ready

    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter"))
    qtbot.waitUntil(tokenizer_ready, timeout=30_000)
    editor = window.editor
    frame_id = window.board.current_frame_id()
    window.session.edit_frame(frame_id, scene="by the sea")
    editor._update_preview()
    preview = editor.preview.preview
    assert preview is not None and not preview.over_budget
    assert "copper hair" in preview.prompt_sent  # the cast description, resolved
    assert preview.prompt_sent != preview.prompt  # the style's wrapper is included
    assert "of 77 tokens" in editor.preview.status.text()

    long_scene = ", ".join(f"a detailed thing number {i}" for i in range(30))
    window.session.edit_frame(frame_id, scene=long_scene)
    editor._update_preview()
    preview = editor.preview.preview
    assert preview.over_budget and preview.truncated_tail
    assert "line-through" in editor.preview.text.toHtml()
    assert "never sees" in editor.preview.status.text()


def test_cast_panel_edits_are_undoable_and_rename_follows_into_cards(make_window, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter"))
    panel = window.cast_panel
    assert panel.list.count() == 1
    panel.description.setPlainText("a keeper in a green coat")
    panel.flush()
    store = window.session.store
    assert store.cast()[0].description == "a keeper in a green coat"
    panel.name.setText("Marra")
    panel._rename()
    assert store.frames()[0].character == "@Marra"
    window.session.undo()
    assert store.frames()[0].character == "@Mara"
    window.session.undo()
    assert store.cast()[0].description == "a lighthouse keeper with copper hair"


def test_refused_edits_show_a_message_and_change_nothing(make_window, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter"))
    frame_id = window.board.current_frame_id()
    before = window.session.undo_stack.count()
    assert not window.session.edit_frame(frame_id, pose_json="{not json")
    assert "pose" in window.messages.message().lower()
    assert window.session.undo_stack.count() == before
    assert window.session.store.frame(frame_id).pose_json is None
    assert window.board.board_model.index(0).data(FrameIdRole) == frame_id


def test_typing_in_one_field_is_one_undo_step_for_cards_and_cast(make_window, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=2))
    session, store = window.session, window.session.store
    first, second = (f.id for f in store.frames())
    start = session.undo_stack.count()
    for text in ("r", "ru", "run"):
        assert session.edit_frame(first, merge="interaction", interaction=text)
    assert session.undo_stack.count() == start + 1
    assert session.edit_frame(second, merge="interaction", interaction="x")  # other card
    assert session.edit_frame(first, merge="scene", scene="y")  # other field
    assert session.undo_stack.count() == start + 3
    member = store.add_cast_member("Ada", "a tall woman")
    before_cast = session.undo_stack.count()
    for text in ("a t", "a tal", "a tall man"):
        assert session.edit_cast_member(member.id, merge="description", description=text)
    assert session.undo_stack.count() == before_cast + 1
    session.undo()
    assert store.cast_member(member.id).description == "a tall woman"
    for _ in range(3):
        session.undo()
    assert store.frame(first).interaction != "run"
