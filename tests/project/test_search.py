"""Board search: the FTS5 index kept by triggers, its migration from a release-1 file, and
filters by text and by card state on real project files."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from storyboard_app.project.schema import SCHEMA_VERSION, expected_schema, schema_objects
from storyboard_app.project.search import BoardQuery, CardState, match_expression
from storyboard_app.project.store import ProjectStore
from tests.project.crash_writer import commit_test_image

# Written by release 0.1.0, file format 1 (the schema before the search index): four frames,
# @Mara and @Tom, rounds 0-2 (see tests/fixtures/README.md).
RELEASE_0_1_0 = Path(__file__).parents[1] / "fixtures" / "release-0.1.0.storyiter"


def test_sqlite_has_fts5() -> None:
    options = {row[0] for row in sqlite3.connect(":memory:").execute("PRAGMA compile_options")}
    assert "ENABLE_FTS5" in options


def test_release_0_1_0_file_gains_the_index_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "old.storyiter"
    shutil.copyfile(RELEASE_0_1_0, path)
    before = sqlite3.connect(path)
    assert before.execute("PRAGMA user_version").fetchone() == (1,)
    tables = ("cast_member", "frame", "render_pass", "image", "image_png", "image_embedding")
    rows_before = {t: before.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
    before.close()

    with ProjectStore.open(path) as store:
        first, supper, sleeps, storm = (frame.id for frame in store.frames())
        assert store.frames_matching("tom") == {supper, sleeps}  # @Tom
        assert store.frames_matching("the") == {first, supper, sleeps, storm}
        assert store.frames_matching("storm sea") == {storm}
        assert store.frames_matching("yellow") == frozenset()  # descriptions are not cards
        store.update_frame(storm, caption="The lamp goes out")
        assert store.frames_matching("lamp") == {first, storm}
        assert [c.frame.id for c in store.find_cards(BoardQuery(text="lamp"))] == [first, storm]

    after = sqlite3.connect(path)
    assert after.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert schema_objects(after) == expected_schema(SCHEMA_VERSION)
    for table, rows in rows_before.items():
        if table != "frame":  # the caption edited above
            assert after.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() == rows
    after.close()
    with ProjectStore.open_reader(path, check_integrity=True) as reader:
        assert len(reader.frames()) == 4
        assert reader.frames_matching("out") == {storm}


def test_index_follows_every_edit(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        mara = store.add_cast_member("Mara", "a lighthouse keeper")
        first = store.add_frame(character="@Mara", interaction="climbing", scene="the tower")
        second = store.add_frame(character="A gull", caption="Ça va, Mara?")
        assert store.frames_matching("MAR") == {first.id, second.id}  # prefix, any case
        assert store.frames_matching("ca va") == {second.id}  # accents ignored
        assert store.frames_matching("mara climb") == {first.id}  # every word
        store.update_frame(first.id, interaction="sleeping")
        assert store.frames_matching("climbing") == frozenset()
        assert store.frames_matching("sleep") == {first.id}
        store.update_cast_member(mara.id, name="Ada")  # renaming rewrites @Mara
        assert store.frames_matching("ada") == {first.id}
        copy = store.duplicate_frame(first.id)
        assert store.frames_matching("ada") == {first.id, copy.id}
        store.delete_frame(first.id)
        assert store.frames_matching("ada") == {copy.id}
        store.import_story_text("A lantern | glowing | on the sill\n")
        assert len(store.frames_matching("lantern") or ()) == 1


@pytest.mark.parametrize(
    ("typed", "expression"),
    [
        ("", None),
        ("  — !! ", None),
        ("mara", '"mara"*'),
        ('say "NOT" OR', '"say"* """NOT"""* "OR"*'),
        ("@Pip's", '"@Pip\'s"*'),
    ],
)
def test_what_a_writer_types_is_taken_literally(typed: str, expression: str | None) -> None:
    assert match_expression(typed) == expression


def test_operators_and_quotes_never_break_a_search(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        frame = store.add_frame(caption='She said "not now" OR never (NEAR the door)*')
        for typed in ['"not', "OR", "NEAR(", "not now", "door)*", "^she", "she:said"]:
            assert store.frames_matching(typed) == {frame.id}, typed
        assert store.frames_matching("window") == frozenset()
        assert store.frames_matching("   ") is None
        assert store.frames_matching("*") is None  # no word: no filter


def test_filter_by_state_and_text(tmp_path: Path) -> None:
    import random

    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        drawn, posed, locked, empty = (
            store.add_frame(character=f"@Mara shot {n}") for n in range(4)
        )
        pose = (Path("projects/the-lantern-keeper/poses/frame-04.json")).read_text()
        store.update_frame(posed.id, pose_json=pose)
        store.update_frame(locked.id, locked=True)
        pass_id = store.begin_pass("round0", [drawn.id, posed.id, locked.id], [], {})
        rng = random.Random(3)
        for frame in (drawn, posed, locked):
            commit_test_image(store, pass_id, frame.id, rng, rnd=0)
        store.finish_pass(pass_id, "complete")
        store.update_frame(drawn.id, scene="at sea")  # drawn turns stale

        def shown(query: BoardQuery) -> list[int]:
            return [card.frame.id for card in store.find_cards(query)]

        assert shown(BoardQuery()) == [drawn.id, posed.id, locked.id, empty.id]
        assert shown(BoardQuery(states=frozenset({CardState.STALE}))) == [drawn.id]
        assert shown(BoardQuery(states=frozenset({CardState.POSED}))) == [posed.id]
        assert shown(BoardQuery(states=frozenset({CardState.LOCKED}))) == [locked.id]
        assert shown(BoardQuery(states=frozenset({CardState.NO_IMAGE}))) == [empty.id]
        needs_drawing = frozenset({CardState.STALE, CardState.NO_IMAGE})
        assert shown(BoardQuery(states=needs_drawing)) == [drawn.id, empty.id]
        assert shown(BoardQuery(text="sea", states=needs_drawing)) == [drawn.id]
        assert shown(BoardQuery(text="shot 3", states=needs_drawing)) == [empty.id]
        assert shown(BoardQuery(text="sea", states=frozenset({CardState.LOCKED}))) == []
        assert not BoardQuery(text=" ").filters
        assert BoardQuery(states=frozenset({CardState.POSED})).filters


def test_search_index_schema_is_frozen() -> None:
    """The index's schema text comes from sqlite-utils; a released migration must never
    change it (files would no longer match), so an upgrade that does fails here."""
    schema = expected_schema(2)
    added = {key: sql for key, sql in schema.items() if key not in expected_schema(1)}
    assert added == {
        ("table", "frame_fts"): 'CREATE VIRTUAL TABLE "frame_fts" USING FTS5 ( "character", '
        '"interaction", "scene", "caption", "notes", "shot_label", content="frame" )',
        ("table", "frame_fts_data"): "CREATE TABLE 'frame_fts_data'(id INTEGER PRIMARY KEY, "
        "block BLOB)",
        ("table", "frame_fts_idx"): "CREATE TABLE 'frame_fts_idx'(segid, term, pgno, "
        "PRIMARY KEY(segid, term)) WITHOUT ROWID",
        ("table", "frame_fts_docsize"): "CREATE TABLE 'frame_fts_docsize'(id INTEGER "
        "PRIMARY KEY, sz BLOB)",
        ("table", "frame_fts_config"): "CREATE TABLE 'frame_fts_config'(k PRIMARY KEY, v) "
        "WITHOUT ROWID",
        ("trigger", "frame_ai"): 'CREATE TRIGGER "frame_ai" AFTER INSERT ON "frame" BEGIN '
        'INSERT INTO "frame_fts" (rowid, "character", "interaction", "scene", "caption", '
        '"notes", "shot_label") VALUES (new.rowid, new."character", new."interaction", '
        'new."scene", new."caption", new."notes", new."shot_label"); END',
        ("trigger", "frame_ad"): 'CREATE TRIGGER "frame_ad" AFTER DELETE ON "frame" BEGIN '
        'INSERT INTO "frame_fts" ("frame_fts", rowid, "character", "interaction", "scene", '
        '"caption", "notes", "shot_label") VALUES(\'delete\', old.rowid, old."character", '
        'old."interaction", old."scene", old."caption", old."notes", old."shot_label"); END',
        ("trigger", "frame_au"): 'CREATE TRIGGER "frame_au" AFTER UPDATE ON "frame" BEGIN '
        'INSERT INTO "frame_fts" ("frame_fts", rowid, "character", "interaction", "scene", '
        '"caption", "notes", "shot_label") VALUES(\'delete\', old.rowid, old."character", '
        'old."interaction", old."scene", old."caption", old."notes", old."shot_label"); '
        'INSERT INTO "frame_fts" (rowid, "character", "interaction", "scene", "caption", '
        '"notes", "shot_label") VALUES (new.rowid, new."character", new."interaction", '
        'new."scene", new."caption", new."notes", new."shot_label"); END',
    }


def test_a_tampered_trigger_is_refused(tmp_path: Path) -> None:
    """The writer trusts the file's triggers only because the schema check passed."""
    path = tmp_path / "t.storyiter"
    ProjectStore.create(path).close()
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TRIGGER frame_au; CREATE TRIGGER frame_au AFTER UPDATE ON frame "
        "BEGIN DELETE FROM image; END"
    )
    conn.close()
    from storyboard_app.project.errors import DamagedProjectError

    with pytest.raises(DamagedProjectError, match="trigger 'frame_au' was changed"):
        ProjectStore.open(path)
