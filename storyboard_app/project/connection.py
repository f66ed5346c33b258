"""One store's connection and its transactions: the base the store's parts build on.

Writes go through ``_write()`` (``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error,
Ctrl-C included); multi-statement reads through ``_read()`` (one snapshot). SQLite's own
errors that mean damage, a full disk or I/O failure become ProjectError with a message.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, Protocol

from storyboard_app.project.database import (
    SQLITE_BUSY,
    SQLITE_CANTOPEN,
    SQLITE_CORRUPT,
    SQLITE_FULL,
    SQLITE_IOERR,
    SQLITE_NOTADB,
    SQLITE_PERM,
    SQLITE_READONLY,
    sqlite_code,
)
from storyboard_app.project.errors import (
    DamagedProjectError,
    NotFoundError,
    ProjectError,
    ReadOnlyProjectError,
)
from storyboard_app.project.storage import read_problem, write_problem


class StoredDataError(ValueError):
    """A stored value that does not decode; reads turn it into DamagedProjectError."""


def stored_json(text: Any, kind: type, what: str) -> Any:
    """Decode JSON text stored by the app, checking the type of its top level."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        raise StoredDataError(f"{what} is not valid JSON") from None
    if not isinstance(value, kind):
        raise StoredDataError(f"{what} is not a JSON {kind.__name__}")
    return value


def stored_ids(text: Any, what: str) -> tuple[int, ...]:
    """Decode a stored JSON list of ids."""
    ids = stored_json(text, list, what)
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise StoredDataError(f"{what} holds something other than ids")
    return tuple(ids)


def now_text() -> str:
    """The current UTC time as stored in the file (ISO 8601, microseconds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    """A stored time as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def translate_sqlite_error(path: Path, error: sqlite3.Error, *, writing: bool) -> Exception:
    """A ProjectError naming the file and the cause for every SQLite failure a writer
    can meet (damage, a full disk, read-only storage, I/O, another program's lock);
    programming errors (bad SQL, constraint bugs) pass unchanged."""
    code = sqlite_code(error)
    unsaved = "the last change was not saved" if writing else "nothing changed"
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return DamagedProjectError(
            f"{path} is damaged ({error}). The last change was not saved; keep this "
            "file and open a backup copy.",
            path=path,
        )
    if "fts5" in str(error).lower():  # the search index's own "corrupt" reports
        return DamagedProjectError(
            f"{path} is damaged: its board-search index is broken ({error}); {unsaved}. Keep "
            "this file and open a backup copy.",
            path=path,
        )
    if code == SQLITE_FULL:
        return ProjectError(f"The disk holding {path} is full; {unsaved}.", path=path)
    if code in (SQLITE_READONLY, SQLITE_PERM):
        cause = write_problem(path) or f"SQLite reports: {error}"
        return ReadOnlyProjectError(
            f"{path} cannot be changed: {cause}; {unsaved}. Open it read-only, or copy "
            "it to a folder you can write to.",
            path=path,
        )
    if code == SQLITE_CANTOPEN:
        cause = read_problem(path) or write_problem(path) or f"SQLite reports: {error}"
        return ProjectError(f"{path} cannot be opened: {cause}; {unsaved}.", path=path)
    if code == SQLITE_BUSY:
        return ProjectError(
            f"{path} is busy in another program (SQLite waited 5 s for it); {unsaved}. "
            "Try again when it is done.",
            path=path,
        )
    if code == SQLITE_IOERR:
        return ProjectError(f"{path} could not be read or written ({error}); {unsaved}.", path=path)
    return error


def _stored_problem(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "some of its text is not valid UTF-8"
    return str(error)


class HeldLock(Protocol):
    """What a writing store holds: the project's write lock (``lock.WriteLock``) or a share
    of another store's lock in the same process."""

    @property
    def held(self) -> bool: ...

    def release(self) -> None: ...


class StoreConnection:
    """A project file connection, used by one thread at a time (calls are serialised).

    Not created directly: see ``ProjectStore.create/open/open_reader``.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, *, lock: HeldLock | None) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = conn
        self._lock = lock
        self._mutex = threading.RLock()
        self._storage_note: str | None = None

    @property
    def path(self) -> Path:
        """The project file."""
        return self._path

    @property
    def read_only(self) -> bool:
        """True for stores from ``open_reader``: they never write."""
        return self._lock is None

    @property
    def storage_note(self) -> str | None:
        """For a read-only store on a file that cannot be changed here: why (read-only
        storage, a read-only file or folder); None otherwise."""
        return self._storage_note

    @property
    def closed(self) -> bool:
        return self._conn is None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ProjectError(f"The project {self._path} is closed.", path=self._path)
        return self._conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot for several queries (nested use joins the outer one)."""
        with self._mutex:
            conn = self._connection()
            if conn.in_transaction:
                yield conn
                return
            try:
                conn.execute("BEGIN")
                try:
                    yield conn
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
            except sqlite3.Error as e:
                self._reraise(e)
            except (StoredDataError, UnicodeDecodeError) as e:
                raise DamagedProjectError(
                    f"{self._path} is damaged: {_stored_problem(e)}. Open a backup copy.",
                    path=self._path,
                ) from e

    @contextmanager
    def _write(self, *, touch: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``touch`` also stamps the story's modified time."""
        if self._lock is None:
            raise ReadOnlyProjectError(
                f"{self._path} was opened read-only; open it for writing to change it.",
                path=self._path,
            )
        with self._mutex:
            conn = self._connection()
            if conn.in_transaction:
                raise RuntimeError("A project write cannot start inside another transaction.")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    if touch:
                        conn.execute("UPDATE story SET modified = ? WHERE id = 1", (now_text(),))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as e:
                self._reraise(e)
            except (StoredDataError, UnicodeDecodeError) as e:
                raise DamagedProjectError(
                    f"{self._path} is damaged: {_stored_problem(e)}. Open a backup copy.",
                    path=self._path,
                ) from e

    def _reraise(self, error: sqlite3.Error) -> NoReturn:
        translated = self._translate(error)
        if translated is error:
            raise error
        raise translated from error

    def _translate(self, error: sqlite3.Error) -> Exception:
        return translate_sqlite_error(self._path, error, writing=self._lock is not None)

    def _missing(self, what: str, item_id: object) -> NotFoundError:
        return NotFoundError(
            f"There is no {what} with id {item_id} in {self._path}.", path=self._path
        )
