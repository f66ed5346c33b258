"""Reading a project of an older file format without changing it: through a private upgraded
copy, in memory for small files and in a temporary file in the cache folder for big ones.

(The same on read-only storage, for every command, is in tests/test_cli_storage.py.)
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from storyboard_app.cli import main
from storyboard_app.project import migrations
from storyboard_app.project.errors import ReadOnlyProjectError
from storyboard_app.project.schema import SCHEMA_VERSION
from storyboard_app.project.store import ProjectStore

FIXTURE = Path(__file__).parent.parent / "fixtures" / "release-0.1.0.storyiter"  # format 1


@pytest.fixture
def old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STORYITER_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "projects"
    folder.mkdir()
    path = folder / "old.storyiter"
    shutil.copyfile(FIXTURE, path)
    return path


def _state(path: Path) -> tuple[list[str], str, int]:
    """The folder's names, the file's digest and its modification time."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return sorted(p.name for p in path.parent.iterdir()), digest, path.stat().st_mtime_ns


def _main_file(store: ProjectStore) -> str:
    """The file SQLite reads the store's data from ("" for a database in memory)."""
    with store._read() as conn:
        return {name: file for _, name, file in conn.execute("PRAGMA database_list")}["main"]


def _copies(tmp_path: Path) -> list[str]:
    folder = tmp_path / "cache" / migrations.COPY_FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_reader_reads_an_older_file_through_a_copy_in_memory(old_file: Path, tmp_path) -> None:
    before = _state(old_file)
    with ProjectStore.open_reader(old_file, check_integrity=True) as reader:
        assert reader.older_format == 1 and reader.read_only
        assert [len(reader.images_of_frame(f.id)) for f in reader.frames()] == [3, 3, 3, 3]
        assert len(reader.scenes()) == 1  # the format-2 migration ran, on the copy
        assert reader.image_png(reader.current_image_id(1)).startswith(b"\x89PNG")
        assert reader.damaged_images() == []
        assert _main_file(reader) == ""  # an in-memory database
        with pytest.raises(ReadOnlyProjectError):
            reader.update_frame(1, notes="typed")
        # Save As writes the copy: a file in the current format, the original untouched.
        copy = reader.save_as(tmp_path / "upgraded.storyiter")
    assert _state(old_file) == before
    with ProjectStore.open(copy) as store:
        assert store.older_format is None and len(store.frames()) == 4
    assert _copies(tmp_path) == []


def test_a_big_older_file_is_upgraded_in_a_temporary_file_not_in_memory(
    old_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(migrations, "MEMORY_COPY_MAX_BYTES", 64 * 1024)  # the fixture: 640 KiB
    before = _state(old_file)
    with ProjectStore.open_reader(old_file) as reader:
        assert Path(_main_file(reader)).parent == tmp_path / "cache" / migrations.COPY_FOLDER
        if os.name == "posix":  # unlinked once upgraded: a crash leaves nothing behind
            assert _copies(tmp_path) == []
        assert len(reader.frames()) == 4
    assert _copies(tmp_path) == []
    assert main(["info", str(old_file)]) == 0
    out = capsys.readouterr().out
    assert "Older file format (1; this version writes" in out and "Opening it for writing" in out
    assert _state(old_file) == before


def test_no_room_for_the_copy_is_a_message(
    old_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(migrations, "MEMORY_COPY_MAX_BYTES", 64 * 1024)
    real = shutil.disk_usage

    def full(folder):
        return real(folder)._replace(free=100 * 1024)

    monkeypatch.setattr(migrations.shutil, "disk_usage", full)
    before = _state(old_file)
    assert main(["info", str(old_file)]) == 2
    err = capsys.readouterr().err
    assert str(old_file) in err and "not enough free space" in err and "MiB" in err, err
    assert "Traceback" not in err
    assert _copies(tmp_path) == [] and _state(old_file) == before


def test_the_writer_still_upgrades_the_file_itself(old_file: Path) -> None:
    with ProjectStore.open(old_file) as store:
        assert store.older_format is None
    with ProjectStore.open_reader(old_file) as reader:
        assert reader.older_format is None and _main_file(reader) == str(old_file)
        with reader._read() as conn:
            assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_an_upgrade_that_fails_on_the_copy_is_a_message(
    old_file: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Whatever the migrations meet in the copy, the reader names the file, never a traceback."""
    import sqlite3

    import storyboard_app.project.schema as schema

    def broken(conn: sqlite3.Connection) -> None:
        raise sqlite3.IntegrityError("UNIQUE constraint failed: scene.id")

    monkeypatch.setattr(migrations, "MIGRATIONS", (schema.MIGRATIONS[0], broken))
    before = _state(old_file)
    assert main(["info", str(old_file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(old_file) in err and "older file format" in err
    assert "UNIQUE constraint failed" in err and "Traceback" not in err
    assert _state(old_file) == before
