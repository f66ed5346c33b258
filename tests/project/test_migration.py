"""Upgrading a project file written by the release before scenes (file format 1):
``tests/fixtures/release-0.1.0.storyiter``, written by release 0.1.0 itself."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from storyboard_app.project.schema import SCHEMA_VERSION, expected_schema, schema_objects
from storyboard_app.project.store import ProjectStore

FIXTURE = Path(__file__).parent.parent / "fixtures" / "release-0.1.0.storyiter"


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    path = tmp_path / "old.storyiter"
    shutil.copyfile(FIXTURE, path)
    # As if frames 5-9 had been made and deleted: ids must stay never-reused on upgrade.
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE sqlite_sequence SET seq = 9 WHERE name = 'frame'")
    conn.close()
    return path


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_the_fixture_is_a_version_1_file(old_file: Path) -> None:
    assert _user_version(old_file) == 1


def test_opening_an_old_project_puts_every_frame_in_one_scene(old_file: Path) -> None:
    conn = sqlite3.connect(old_file)
    before = {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in ("frame", "image", "image_png", "image_embedding", "cast_member")
    }
    conn.close()
    with ProjectStore.open(old_file) as store:
        frames = store.frames()
        (scene,) = store.scenes()
        assert (scene.heading, scene.position) == ("", 0)
        assert [f.scene_id for f in frames] == [scene.id] * 4
        assert [f.id for f in frames] == [1, 2, 3, 4]
        # Images and their records came through the rebuild untouched; prompts compile as
        # before, so nothing turned stale.
        assert sum(len(store.images_of_frame(f.id)) for f in frames) == 12
        assert not store.stale_frame_ids()
        assert [m.name for m in store.cast()] == ["Mara", "Tom"]
        assert store.add_frame(character="new").id == 10
        # The search index came through the rebuild: old rows are found, and its triggers
        # keep following edits.
        assert store.frames_matching("storm") == {4}
        assert store.frames_matching("new") == {10}
        store.update_frame(10, character="a lighthouse")
        assert store.frames_matching("new") == set()
    conn = sqlite3.connect(old_file)
    after = {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in before
    }
    conn.close()
    assert [row[:-1] for row in after["frame"][:4]] == before["frame"]  # + scene_id
    assert {t: after[t] for t in before if t != "frame"} == {
        t: before[t] for t in before if t != "frame"
    }
    assert _user_version(old_file) == SCHEMA_VERSION
    # The upgraded file passes every opening check, the tamper check included.
    with ProjectStore.open_reader(old_file, check_integrity=True) as reader:
        assert len(reader.frames()) == 5
    conn = sqlite3.connect(old_file)
    try:
        assert schema_objects(conn) == expected_schema(SCHEMA_VERSION)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_a_failed_upgrade_leaves_the_file_at_its_old_version(
    old_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import storyboard_app.project.schema as schema

    def broken(conn: sqlite3.Connection) -> None:
        schema._migrate_1_to_2(conn)
        raise RuntimeError("power cut")

    migrations = (schema.MIGRATIONS[0], broken)
    monkeypatch.setattr("storyboard_app.project.migrations.MIGRATIONS", migrations)
    with pytest.raises(RuntimeError, match="power cut"):
        ProjectStore.open(old_file)
    assert _user_version(old_file) == 1
    conn = sqlite3.connect(old_file)
    try:
        assert conn.execute("SELECT count(*) FROM image").fetchone() == (12,)
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_schema")}
        assert "scene" not in tables
    finally:
        conn.close()
