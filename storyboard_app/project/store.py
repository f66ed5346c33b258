"""The project store: one StoryIter project file (SQLite), opened safely.

``ProjectStore.create/open`` give a read-write store that holds the project's write lock;
``ProjectStore.open_reader`` gives a read-only store for another thread (the UI's reads while
the engine worker commits). A store object belongs to one thread at a time; give every thread
its own store. Only values (``storyboard_app.project.model``) and ids cross threads.

The parts of the API live in ``editing`` (story, cast, frames), ``scenes``, ``passes``, ``history``
(images, current images, board) and here (opening, migrating, Save As, JSON summary, text
import); ProjectStore combines them.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from storyboard_app.project.connection import HeldLock, now_text, translate_sqlite_error
from storyboard_app.project.database import (
    connect,
    enable_wal,
    inspect_project_file,
    reader_connection,
    sidecar,
    trust_checked_schema,
)
from storyboard_app.project.errors import (
    OutdatedProjectError,
    ProjectError,
    ProjectExistsError,
    ReadOnlyProjectError,
)
from storyboard_app.project.history import ImageHistory
from storyboard_app.project.imaging import make_thumbnail
from storyboard_app.project.lock import WriteLock
from storyboard_app.project.migrations import (
    MEMORY_COPY_MAX_BYTES,
    UpgradedCopy,
    migrate,
    upgraded_copy,
)
from storyboard_app.project.model import CastMember, Frame, StorySettings, check_frame_fields
from storyboard_app.project.safe_write import fsync_file, fsync_folder, safe_output
from storyboard_app.project.scenes import SceneEditing
from storyboard_app.project.schema import APPLICATION_ID, PAGE_SIZE, SCHEMA_VERSION
from storyboard_app.project.storage import os_error_message, write_problem
from storyboard_app.project.textimport import parse_story_text

__all__ = ["ProjectStore", "make_thumbnail"]

FILE_SUFFIX = ".storyiter"
INTERRUPTED_MESSAGE = "The app stopped while this pass was running."


PROJECT_SUFFIX = ".storyiter"  # one SQLite file per story


class ProjectStore(ImageHistory, SceneEditing):
    """A StoryIter project file. Use ``create``, ``open`` or ``open_reader``; close() it (or
    use it as a context manager) to release the file and its write lock."""

    _upgraded: UpgradedCopy | None = None  # a reader's upgraded copy of an older file

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def create(
        cls,
        path: Path | str,
        title: str = "Untitled story",
        settings: StorySettings | None = None,
    ) -> ProjectStore:
        """Create a new project file and open it for writing. Never overwrites: raises
        ProjectExistsError if ``path`` exists. ``settings`` default to the method's defaults
        with a fresh random seed, which is stored."""
        path = Path(path)
        if not isinstance(title, str) or not title.strip():
            raise ProjectError("A story title must be non-empty text.")
        settings = StorySettings() if settings is None else settings
        if not isinstance(settings, StorySettings):
            raise ProjectError("Story settings must be a StorySettings value.")
        for existing in (path, sidecar(path, "-wal"), sidecar(path, "-shm")):
            if existing.exists() or existing.is_symlink():
                raise ProjectExistsError(
                    f"{existing} already exists; a new project never replaces a file.", path=path
                )
        problem = write_problem(path)
        if problem is not None:
            raise ProjectError(f"{path} cannot be created: {problem}.", path=path)
        try:
            cls._build(path, title.strip(), settings)
        except sqlite3.Error as e:
            raise translate_sqlite_error(path, e, writing=True) from e
        except OSError as e:
            raise ProjectError(os_error_message(path, e, "be created"), path=path) from e
        return cls.open(path)

    @staticmethod
    def _build(path: Path, title: str, settings: StorySettings) -> None:
        """Make a new project file at ``path`` (which does not exist yet)."""
        # Build the file under a temporary name, then link it into place: other programs
        # never see a half-made project, and linking fails instead of overwriting.
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.new")
        try:
            conn = connect(temp, mode="rwc")
            try:
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                enable_wal(conn, temp)
                migrate(conn, temp)
                conn.execute(
                    "UPDATE story SET title = ?, settings_json = ? WHERE id = 1",
                    (title, json.dumps(settings.to_dict())),
                )
            finally:
                conn.close()
            fsync_file(temp)
            try:
                os.link(temp, path)
            except FileExistsError:
                raise ProjectExistsError(
                    f"{path} already exists; a new project never replaces a file.", path=path
                ) from None
            except OSError:  # a file system without hard links: check, then rename
                if path.exists():
                    raise ProjectExistsError(f"{path} already exists.", path=path) from None
                os.replace(temp, path)
            fsync_folder(path.parent)
        finally:
            for leftover in (temp, sidecar(temp, "-wal"), sidecar(temp, "-shm")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()

    @classmethod
    def open(cls, path: Path | str, *, check_integrity: bool = True) -> ProjectStore:
        """Open a project for reading and writing, taking its write lock.

        The file is checked before anything writes to it (NotAProjectError, NewerVersionError,
        DamagedProjectError leave it byte-for-byte unchanged); ProjectLockedError when
        another process has it open. An older file format is migrated; passes left running
        by a crash are marked interrupted. ``check_integrity`` runs SQLite's integrity check,
        which reads the whole file (see docs/BENCHMARKS.md); identity, version and schema
        are always checked.
        """
        path = Path(path)
        # Lock first: a second writer learns at once, before a long integrity check.
        lock = WriteLock.acquire(path)
        conn: sqlite3.Connection | None = None
        try:
            inspect_project_file(path, check_integrity=check_integrity)
            problem = write_problem(path)
            if problem is not None:
                raise ReadOnlyProjectError(
                    f"{path} cannot be opened for writing: {problem}. Open it read-only "
                    "(storyboard info, history and export do), or copy it to a folder you "
                    "can write to.",
                    path=path,
                )
            try:
                conn = connect(path, mode="rw")
                trust_checked_schema(conn)
                enable_wal(conn, path)
                migrate(conn, path)
            except sqlite3.Error as e:
                raise translate_sqlite_error(path, e, writing=True) from e
            store = cls(path, conn, lock=lock)
            store._mark_interrupted_passes()
            return store
        except BaseException:
            if conn is not None:
                conn.close()
            lock.release()
            raise

    @classmethod
    def open_reader(
        cls, path: Path | str, *, check_integrity: bool = False, snapshot: bool = False
    ) -> ProjectStore:
        """Open a project read-only (for a thread beside the writer, or for ``info``).

        Never takes the write lock, never writes, never migrates the file. A file of an
        older format is read through a private upgraded copy (``migrations.upgraded_copy``;
        ``older_format`` then names its format). Identity, version and schema are always
        checked; ``check_integrity`` adds SQLite's integrity check (the writer's open already
        did it). ``snapshot`` is for a quick look at a file nobody may be writing (a
        thumbnail): with no ``-wal`` beside it, it is read as immutable, so no ``-wal``/
        ``-shm`` files appear, and an older file too big to upgrade in memory raises
        OutdatedProjectError instead of being copied to disk.
        """
        path = Path(path)
        facts = inspect_project_file(path, check_integrity=check_integrity)
        copy: UpgradedCopy | None = None
        try:
            if facts.version < SCHEMA_VERSION:
                if snapshot and facts.size > MEMORY_COPY_MAX_BYTES:
                    raise OutdatedProjectError(
                        f"{path} uses an older file format ({facts.version}); open it once "
                        "to upgrade it.",
                        path=path,
                    )
                copy = upgraded_copy(path, facts.version, facts.size)
                conn = copy.connection
            elif snapshot and not sidecar(path, "-wal").exists():
                conn = connect(path, mode="immutable")
            else:
                conn = reader_connection(path)[0]
        except sqlite3.Error as e:
            raise translate_sqlite_error(path, e, writing=False) from e
        store = cls(path, conn, lock=None)
        store._storage_note = write_problem(path)
        store._upgraded = copy
        return store

    @property
    def older_format(self) -> int | None:
        """For a read-only store on a file of an older format: that format (the store reads
        an upgraded private copy; the file is unchanged). None otherwise."""
        return None if self._upgraded is None else self._upgraded.version

    def sibling_writer(self) -> ProjectStore:
        """Another read-write store on this file, for a second thread of this process.

        It works under this store's write lock instead of taking one (a second ``open`` in
        the same process is refused by the lock), with its own connection: hand it to one
        thread (the engine worker) and close it before this store. Closing it leaves the
        lock held; ReadOnlyProjectError for a read-only store.
        """
        if self._lock is None:
            raise ReadOnlyProjectError(
                f"{self.path} was opened read-only; it has no write lock to share.",
                path=self.path,
            )
        with self._mutex:
            self._connection()  # ProjectError when this store is closed
            conn = connect(self.path, mode="rw")
            trust_checked_schema(conn)  # the same file this store's open checked
        return type(self)(self.path, conn, lock=_LentLock(self._lock))

    def close(self) -> None:
        """Close the file and release the write lock (idempotent)."""
        with self._mutex:
            conn, self._conn = self._conn, None
            copy, self._upgraded = self._upgraded, None
            try:
                if copy is not None:
                    copy.release()
                elif conn is not None:
                    conn.close()
            finally:
                if self._lock is not None:
                    self._lock.release()

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "closed" if self.closed else "read-only" if self.read_only else "read-write"
        return f"<ProjectStore {str(self.path)!r} {mode}>"

    def _mark_interrupted_passes(self) -> None:
        with self._write(touch=False) as conn:
            conn.execute(
                "UPDATE render_pass SET status = 'interrupted', finished = ?, error = ? "
                "WHERE status = 'running'",
                (now_text(), INTERRUPTED_MESSAGE),
            )

    # ------------------------------------------------------------------ copies

    def save_as(self, dest: Path | str) -> Path:
        """Write a complete copy of the project to ``dest`` and return its path.

        Uses SQLite's online backup into a temporary file next to ``dest``, fsyncs it and
        renames it into place, so ``dest`` is never half-written. Safe while another store
        (the engine worker) commits: the copy is one consistent snapshot. ``dest`` is
        replaced if it exists (ProjectLockedError if it is open for writing). This store
        stays on its own file; open the copy to continue there.
        """
        dest = Path(dest)
        if dest.exists() and dest.resolve() == self.path.resolve():
            raise ProjectError(f"{dest} is this project itself; choose another file name.")
        dest_lock = WriteLock.acquire(dest)  # nobody may be writing the file we replace
        try:
            with safe_output(dest, "the project copy", replaces_project=True) as temp:
                target = sqlite3.connect(temp, isolation_level=None)
                try:
                    # A temporary file needs no journal or syncs of its own: a failed copy
                    # is deleted, a finished one is fsynced before it takes dest's name.
                    target.execute("PRAGMA journal_mode = OFF")
                    target.execute("PRAGMA synchronous = OFF")
                    with self._read() as conn:
                        conn.backup(target)
                finally:
                    target.close()
                # A stale log of an old file at dest would be replayed onto the new one.
                for stale in (sidecar(dest, "-wal"), sidecar(dest, "-shm")):
                    with contextlib.suppress(FileNotFoundError):
                        stale.unlink()
        finally:
            dest_lock.release()
        return dest

    # ------------------------------------------------------------------ summaries and import

    def to_json(self) -> dict[str, Any]:
        """The project as JSON data (``storyboard info --json``): story, cast, frames with
        their image history ids, and passes. No pixels."""
        with self._read() as conn:
            story = self.story()
            cards = self.board()
            resumable = {info.id for info in self.unfinished_passes()}
            history: dict[int, list[dict[str, int]]] = {}
            for image_id, frame_id, pass_id, rnd in conn.execute(
                "SELECT id, frame_id, pass_id, round FROM image ORDER BY round, id"
            ):
                history.setdefault(frame_id, []).append(
                    {"id": image_id, "pass": pass_id, "round": rnd}
                )
            return {
                "title": story.title,
                "settings": story.settings.to_dict(),
                "models_config": story.models_config,
                "created": story.created.isoformat(),
                "modified": story.modified.isoformat(),
                "cast": [_cast_json(member) for member in self.cast()],
                "scenes": [
                    {"index": scene.position + 1, "id": scene.id, **scene.fields()}
                    for scene in self.scenes()
                ],
                "frames": [
                    {
                        "index": card.frame.position + 1,
                        **_frame_json(card.frame),
                        "prompt": card.compiled_prompt,
                        "seed": story.settings.seed_for(card.frame),
                        "stale": card.stale,
                        "current_image": card.current_image_id,
                        "images": history.get(card.frame.id, []),
                    }
                    for card in cards
                ],
                "passes": [
                    {
                        "id": info.id,
                        "kind": info.kind,
                        "status": info.status,
                        "frames": list(info.frame_ids),
                        "references": list(info.reference_image_ids),
                        "created": info.created.isoformat(),
                        "finished": info.finished.isoformat() if info.finished else None,
                        "error": info.error,
                        "superseded_by": info.superseded_by,
                        "frames_left": len(self.pending_frame_ids(info.id)),
                        "resumable": info.id in resumable,
                    }
                    for info in self.passes()
                ],
            }

    def import_story_text(self, text: str) -> list[Frame]:
        """Add the cast and frames of story text (see ``textimport``) in one transaction.

        A cast member that already exists under the same name (ignoring case) keeps its
        description. Frames are appended. Raises StoryTextError with line numbers.
        """
        parsed = parse_story_text(text, known_cast=[m.name for m in self.cast()])
        cast = [
            (self._check_cast_name(name), self._check_description(text))
            for name, text in parsed.cast
        ]
        cards = [check_frame_fields(card) for card in parsed.frames]
        with self._write() as conn:
            self._insert_new_cast(conn, cast)
            return self._insert_frames(conn, cards, None)


def _cast_json(member: CastMember) -> dict[str, Any]:
    return {
        "id": member.id,
        "name": member.name,
        "description": member.description,
        "color": member.color,
    }


def _frame_json(frame: Frame) -> dict[str, Any]:
    return {
        "id": frame.id,
        "character": frame.character,
        "interaction": frame.interaction,
        "scene": frame.scene,
        "caption": frame.caption,
        "notes": frame.notes,
        "shot_label": frame.shot_label,
        "duration": frame.duration,
        "posed": frame.posed,
        "seed_override": frame.seed_override,
        "locked": frame.locked,
        "chosen_image": frame.chosen_image_id,
        "scene_id": frame.scene_id,
    }


class _LentLock:
    """The owner's write lock as a sibling store sees it: releasing it is the owner's job."""

    def __init__(self, owner: HeldLock) -> None:
        self._owner = owner

    @property
    def held(self) -> bool:
        return self._owner.held

    def release(self) -> None:
        """Nothing to do: the owning store releases the lock when it closes."""
