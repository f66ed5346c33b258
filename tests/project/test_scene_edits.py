"""Scene edits undo and redo exactly, on a real project file."""

from __future__ import annotations

from pathlib import Path

from storyboard_app.project import edits
from storyboard_app.project.edits import IdMap
from storyboard_app.project.fountain_in import parse_fountain
from storyboard_app.project.scene_edits import (
    AddScene,
    Arrange,
    EditScene,
    ImportScript,
    MergeScene,
    ProjectSnapshot,
    SplitScene,
)
from storyboard_app.project.store import ProjectStore

SCRIPT = Path(__file__).parent / "scripts" / "lamp-room.fountain"


def state(store: ProjectStore):
    return (
        [(s.id, s.heading, s.number, s.notes) for s in store.scenes()],
        [(f.character, f.scene_id) for f in store.frames()],
        [m.name for m in store.cast()],
    )


def check_undo_redo(store: ProjectStore, ids: IdMap, edit, before, after) -> None:
    assert state(store) == after
    edit.revert(store, ids)
    assert state(store) == before
    edit.apply(store, ids)
    assert state(store) == after


def test_every_scene_edit_undoes_and_redoes(tmp_path: Path) -> None:
    ids = IdMap()
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        frames = store.add_frames([{"character": c} for c in "abcd"])
        s0 = state(store)
        scene = store.split_scene(frames[2].id, heading="EXT. B")
        check_undo_redo(store, ids, SplitScene(frames[2].id, scene), s0, state(store))
        s1 = state(store)
        added = store.add_scene(heading="EXT. C")
        check_undo_redo(store, ids, AddScene(added), s1, state(store))
        s2 = state(store)
        store.update_scene(added.id, heading="EXT. SEA", notes="waves")
        edit = EditScene(
            added.id, {"heading": "EXT. C", "notes": ""}, {"heading": "EXT. SEA", "notes": "waves"}
        )
        check_undo_redo(store, ids, edit, s2, state(store))
        s3 = state(store)
        before = store.arrangement()
        store.move_scene(scene.id, 0)
        store.move_frame(frames[0].id, 3)
        check_undo_redo(store, ids, Arrange("Move", before, store.arrangement()), s3, state(store))
        s4 = state(store)
        merged = store.merge_scene(store.scenes()[1].id)
        check_undo_redo(store, ids, MergeScene(merged), s4, state(store))


def test_deleting_the_first_frame_of_a_scene_undoes_into_that_scene(tmp_path: Path) -> None:
    ids = IdMap()
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        frames = store.add_frames([{"character": c} for c in "abc"])
        store.split_scene(frames[1].id, heading="EXT. B")
        s0 = state(store)
        doomed = store.frame(frames[1].id)
        store.delete_frame(doomed.id)
        edits.DeleteFrames([doomed]).revert(store, ids)
        assert [(c, sid) for c, sid in state(store)[1]] == [(c, sid) for c, sid in s0[1]]


def test_an_imported_script_undoes_to_the_story_before(tmp_path: Path) -> None:
    ids = IdMap()
    script = parse_fountain(SCRIPT.read_text("utf-8"))
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        store.add_frame(character="an opening shot")
        before = ProjectSnapshot.of(store)
        s0 = state(store)
        store.import_script(script)
        edit = ImportScript(script, before)
        s1 = state(store)
        assert len(s1[0]) == 4 and len(s1[1]) == 5
        edit.revert(store, ids)
        assert state(store) == s0
        edit.apply(store, ids)
        assert [s[1:] for s in state(store)[0]] == [s[1:] for s in s1[0]]
