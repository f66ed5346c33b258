"""Files from elsewhere, a second writer, concurrent readers, and Save As during a pass."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from storyboard_app.project.errors import (
    DamagedProjectError,
    NewerVersionError,
    NotAProjectError,
    ProjectError,
    ProjectLockedError,
)
from storyboard_app.project.schema import APPLICATION_ID, PAGE_SIZE, SCHEMA_VERSION
from storyboard_app.project.store import ProjectStore
from tests.project.crash_writer import commit_test_image, embedding_for

WRITER = Path(__file__).with_name("crash_writer.py")


def make_project(path: Path, images: int = 6) -> Path:
    rng = random.Random(11)
    with ProjectStore.create(path, title="Sample") as s:
        s.add_cast_member("Mira", "an inventor")
        frames = [s.add_frame(character=f"@Mira, shot {i}") for i in range(3)]
        p = s.begin_pass("round0", [f.id for f in frames], [], {})
        for n in range(images):
            commit_test_image(s, p, frames[n % 3].id, rng, rnd=n // 3)
        s.finish_pass(p, "complete")
    return path


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def assert_refused(path: Path, error: type[Exception], match: str) -> ProjectError:
    """Both ways of opening refuse the file, naming it, and leave the folder as it was."""
    before = folder_state(path.parent)
    caught = None
    for opener in (ProjectStore.open, ProjectStore.open_reader):
        with pytest.raises(error, match=match) as info:
            opener(path)
        assert str(path) in str(info.value)
        caught = info.value
        # byte-for-byte unchanged, and no -wal/-shm/.lock left behind
        assert folder_state(path.parent) == before
    assert caught is not None
    return caught


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.storyiter"
    path.write_bytes(random.Random(1).randbytes(64 * 1024))
    assert_refused(path, NotAProjectError, "not an SQLite database")


def test_empty_file_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "empty.storyiter"
    path.write_bytes(b"")
    assert_refused(path, NotAProjectError, "empty file")
    folder = tmp_path / "folder.storyiter"
    folder.mkdir()
    with pytest.raises(NotAProjectError, match="folder"):
        ProjectStore.open(folder)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="does not exist"):
        ProjectStore.open(tmp_path / "nowhere.storyiter")
    assert list(tmp_path.iterdir()) == []


def test_foreign_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "contacts.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contact (name TEXT)")
    conn.commit()
    conn.close()
    assert_refused(path, NotAProjectError, "another program")


@pytest.mark.parametrize("keep", ["half", "header", "odd"])
def test_truncated_project(tmp_path: Path, keep: str) -> None:
    path = make_project(tmp_path / "cut.storyiter")
    data = path.read_bytes()
    size = {"half": len(data) // 2 // PAGE_SIZE * PAGE_SIZE, "header": 60, "odd": len(data) - 1000}[
        keep
    ]
    path.write_bytes(data[:size])
    assert_refused(path, DamagedProjectError, "truncated|damaged")


def test_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = make_project(tmp_path / "future.storyiter")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    assert not (tmp_path / "future.storyiter-wal").exists()
    error = assert_refused(path, NewerVersionError, "newer version")
    assert error.version == SCHEMA_VERSION + 1


def test_older_version_is_not_migrated_by_a_reader(tmp_path: Path) -> None:
    path = tmp_path / "v0.storyiter"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("DROP TABLE t")
    conn.close()
    before = folder_state(tmp_path)
    with ProjectStore.open_reader(path) as reader:  # through an upgraded private copy
        assert reader.older_format == 0
        assert reader.story().title and reader.frames() == []
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize(
    "tamper",
    [
        "ALTER TABLE frame DROP COLUMN duration",
        "CREATE TABLE spy (x); CREATE TRIGGER steal AFTER INSERT ON frame "
        "BEGIN INSERT INTO spy VALUES (new.character); END",
        "CREATE VIEW everything AS SELECT * FROM frame",
        "DROP INDEX image_frame_round",
        "CREATE INDEX extra ON image (seed)",
    ],
)
def test_tampered_tables(tmp_path: Path, tamper: str) -> None:
    path = make_project(tmp_path / "tampered.storyiter")
    conn = sqlite3.connect(path)
    conn.executescript(tamper)
    conn.close()
    assert_refused(path, DamagedProjectError, "changed outside the app")


def test_tampered_check_constraint(tmp_path: Path) -> None:
    path = make_project(tmp_path / "schema.storyiter")
    conn = sqlite3.connect(path)
    (sql,) = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'frame'").fetchone()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_schema SET sql = ? WHERE name = 'frame'",
        (sql.replace("CHECK (locked IN (0, 1))", "CHECK (1)"),),
    )
    conn.commit()
    conn.close()
    assert_refused(path, DamagedProjectError, "table 'frame' was changed")


def test_corrupt_page(tmp_path: Path) -> None:
    path = make_project(tmp_path / "corrupt.storyiter")
    conn = sqlite3.connect(path)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'image'").fetchone()
    (size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    page = (root - 1) * size
    data[page + 8 : page + size] = random.Random(3).randbytes(size - 8)
    path.write_bytes(bytes(data))
    before = folder_state(tmp_path)
    for opener in (ProjectStore.open, lambda p: ProjectStore.open_reader(p, check_integrity=True)):
        with pytest.raises(DamagedProjectError, match="is damaged"):
            opener(path)
    assert folder_state(tmp_path) == before
    # A reader skips SQLite's (long) check by default; its scan of the file format's rules
    # still meets the damaged table and refuses with a clear error.
    with pytest.raises(DamagedProjectError, match=str(path)):
        ProjectStore.open_reader(path)
    assert folder_state(tmp_path)[path.name] == before[path.name]


def _spawn(mode: str, path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), mode, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if line.strip() != "ready":
        proc.kill()
        raise AssertionError(f"writer did not start: {line!r} {proc.communicate()[1]}")
    return proc


def test_second_writer_is_locked_out_until_the_first_dies(tmp_path: Path) -> None:
    path = make_project(tmp_path / "locked.storyiter")
    holder = _spawn("hold", path)
    try:
        with pytest.raises(ProjectLockedError, match=f"process {holder.pid}") as info:
            ProjectStore.open(path)
        assert info.value.pid == holder.pid and info.value.host
        with ProjectStore.open_reader(path) as reader:  # readers never need the lock
            assert len(reader.frames()) == 3
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
    with ProjectStore.open(path) as store:  # the dead holder's lock is gone by itself
        assert len(store.frames()) == 3
    assert not (tmp_path / "locked.storyiter.lock").exists()


def test_second_open_in_the_same_process_is_locked_out(tmp_path: Path) -> None:
    path = make_project(tmp_path / "twice.storyiter")
    with ProjectStore.open(path), pytest.raises(ProjectLockedError, match="in this process"):
        ProjectStore.open(path)
    ProjectStore.open(path).close()


def _writer_thread(path: Path, count: int, committed: list[int], errors: list[BaseException]):
    def run() -> None:
        try:
            rng = random.Random(21)
            with ProjectStore.open(path) as store:
                frames = [f.id for f in store.frames()]
                p = store.begin_pass("iterate", frames, [], {})
                for n in range(count):
                    committed.append(commit_test_image(store, p, frames[n % 3], rng, rnd=n))
                store.finish_pass(p, "complete")
        except BaseException as e:  # surfaced by the test
            errors.append(e)

    return threading.Thread(target=run)


def _check_complete(store: ProjectStore) -> set[int]:
    """Every image the store shows has its PNG, thumbnail, embedding and record, matching."""
    seen = set()
    for frame in store.frames():
        for info in store.images_of_frame(frame.id):
            png = store.image_png(info.id)
            assert hashlib.sha256(png).hexdigest() == info.record["png_sha256"]
            assert store.thumbnail_png(info.id).startswith(b"\x89PNG")
            assert abs(store.image_embedding(info.id) - embedding_for(png)).max() < 1e-2
            seen.add(info.id)
    return seen


def test_reader_sees_only_complete_images_while_a_writer_commits(tmp_path: Path) -> None:
    path = make_project(tmp_path / "busy.storyiter", images=0)
    committed: list[int] = []
    errors: list[BaseException] = []
    writer = _writer_thread(path, 150, committed, errors)
    with ProjectStore.open_reader(path) as reader:
        writer.start()
        rounds = 0
        while writer.is_alive() or rounds == 0:
            board = reader.board()
            seen = _check_complete(reader)
            assert sum(card.image_count for card in board) <= len(seen) + 150
            rounds += 1
        writer.join()
        assert not errors, errors
        assert _check_complete(reader) == set(committed)
    assert rounds > 1


def test_save_as_while_a_writer_commits(tmp_path: Path) -> None:
    path = make_project(tmp_path / "live.storyiter", images=0)
    committed: list[int] = []
    errors: list[BaseException] = []
    writer = _writer_thread(path, 120, committed, errors)
    copies = []
    with ProjectStore.open_reader(path) as reader:
        writer.start()
        while writer.is_alive() or not copies:
            copies.append(reader.save_as(tmp_path / f"copy{len(copies)}.storyiter"))
        writer.join()
    assert not errors, errors
    for copy in copies:
        assert {p.name for p in tmp_path.iterdir() if p.name.startswith(copy.name)} == {copy.name}
        with ProjectStore.open(copy) as store:  # open runs the integrity check
            assert store._conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert _check_complete(store) <= set(committed)
    with ProjectStore.open(copies[-1]) as store:
        assert store.story().title == "Sample"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".saving")]


def test_save_as_replaces_only_files_nobody_writes(tmp_path: Path) -> None:
    path = make_project(tmp_path / "src.storyiter")
    target = make_project(tmp_path / "target.storyiter", images=0)
    with ProjectStore.open(path) as store:
        with ProjectStore.open(target), pytest.raises(ProjectLockedError):
            store.save_as(target)
        with pytest.raises(ProjectError, match="itself"):
            store.save_as(path)
        store.save_as(target)
    with ProjectStore.open(target) as copy:
        assert len(copy.images_of_pass(1)) == 6


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_read_only_folder_gives_a_clear_message(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores folder permissions")
    (tmp_path / "ro").mkdir()
    path = make_project(tmp_path / "ro" / "story.storyiter")
    os.chmod(tmp_path / "ro", 0o555)
    try:
        with pytest.raises(ProjectError, match="read-only"):
            ProjectStore.open(path)
    finally:
        os.chmod(tmp_path / "ro", 0o755)


@pytest.mark.parametrize(
    ("sql", "read"),
    [
        ('UPDATE story SET settings_json = \'{"rounds": "ten"\'', "story"),
        ('UPDATE story SET settings_json = \'{"rounds": "ten"}\'', "story"),
        ("UPDATE render_pass SET frame_ids_json = '{\"a\": 1}'", "passes"),
        ("UPDATE image SET record_json = '[1, 2'", "images"),
    ],
)
def test_damaged_stored_values_give_a_clear_error(tmp_path: Path, sql: str, read: str) -> None:
    path = make_project(tmp_path / "values.storyiter")
    conn = sqlite3.connect(path)
    conn.execute(sql)
    conn.commit()
    conn.close()
    with ProjectStore.open(path) as store, pytest.raises(DamagedProjectError, match=str(path)):
        {"story": store.story, "passes": store.passes, "images": lambda: store.images_of_pass(1)}[
            read
        ]()


def test_sibling_writer_commits_while_the_owner_edits(tmp_path: Path) -> None:
    """The GUI's case: the UI thread edits cards while the engine thread commits images."""
    path = make_project(tmp_path / "gui.storyiter", images=0)
    committed: list[int] = []
    errors: list[BaseException] = []
    with ProjectStore.open(path) as owner:
        worker_store = owner.sibling_writer()

        def work() -> None:
            try:
                rng = random.Random(5)
                frames = [f.id for f in worker_store.frames()]
                p = worker_store.begin_pass("round0", frames, [], {})
                for n in range(60):
                    committed.append(commit_test_image(worker_store, p, frames[n % 3], rng))
                worker_store.finish_pass(p, "complete")
            except BaseException as e:
                errors.append(e)
            finally:
                worker_store.close()

        worker = threading.Thread(target=work)
        worker.start()
        edits = 0
        while worker.is_alive() or edits == 0:
            frame = owner.frames()[edits % 3]
            owner.update_frame(frame.id, notes=f"edit {edits}")
            owner.move_frame(frame.id, (edits + 1) % 3)
            edits += 1
            time.sleep(0.002)  # a writer types; it does not edit in a tight loop
        worker.join()
        assert not errors, errors
        assert _check_complete(owner) == set(committed)
        assert [f.position for f in owner.frames()] == [0, 1, 2]
        with pytest.raises(ProjectLockedError):  # the lock is still the owner's
            ProjectStore.open(path)
    ProjectStore.open(path).close()  # and released with the owner
    with ProjectStore.open_reader(path) as reader, pytest.raises(ProjectError):
        reader.sibling_writer()
