"""Bringing a project file of an older format to the current one.

The writer migrates the file itself (``migrate``, one transaction per format step). A reader
never changes the file, and on read-only storage it could not: it reads an older file through
a private upgraded copy (``upgraded_copy``). SQLite's online backup copies the file as one
consistent snapshot, the migrations run on the copy, and the copy is then read-only. Nothing
is written to the original, nor beside it.

Where the copy lives: files up to ``MEMORY_COPY_MAX_BYTES`` (64 MiB) are copied into memory.
Bigger ones (a project holds full-size PNGs; a long story is gigabytes) go to a temporary file
in the app's cache folder, which is on a disk, where ``/tmp`` is often memory. On POSIX the
temporary file is unlinked as soon as it is upgraded, so it disappears with the process
whatever happens; elsewhere it is removed when the store closes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storyboard_app.project.database import (
    connect,
    harden,
    reader_connection,
    sidecar,
    trust_checked_schema,
)
from storyboard_app.project.errors import DamagedProjectError, NewerVersionError, ProjectError
from storyboard_app.project.model_config import cache_dir
from storyboard_app.project.schema import MIGRATIONS, SCHEMA_VERSION
from storyboard_app.project.storage import os_error_cause

MEMORY_COPY_MAX_BYTES = 64 * 1024 * 1024
COPY_FOLDER = "upgraded-copies"  # in the cache folder
# Migrations add checksums and indexes: the copy may grow; ask for this much room.
_ROOM_FACTOR = 1.25


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Apply the migrations from the file's version to ours, one transaction each.

    Foreign keys are off while a migration runs (SQLite's procedure for rebuilding a table:
    dropping the old one must not cascade) and are checked before each migration commits.
    """
    (foreign_keys,) = conn.execute("PRAGMA foreign_keys").fetchone()
    conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set it here
    try:
        while True:
            conn.execute("BEGIN IMMEDIATE")
            try:
                (version,) = conn.execute("PRAGMA user_version").fetchone()
                if version >= SCHEMA_VERSION:
                    conn.execute("COMMIT")
                    if version > SCHEMA_VERSION:
                        raise NewerVersionError(
                            f"{path} was upgraded by a newer version of the app meanwhile.",
                            path=path,
                            version=version,
                        )
                    return
                MIGRATIONS[version](conn)
                if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise DamagedProjectError(
                        f"{path} has references to missing rows; it was not upgraded.",
                        path=path,
                    )
                conn.execute(f"PRAGMA user_version = {version + 1}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")


@dataclass
class UpgradedCopy:
    """A private copy of an older project file, upgraded to the current format and read
    in its place. ``temp`` is the temporary file (None for a copy in memory)."""

    connection: sqlite3.Connection
    version: int  # the original file's format
    temp: Path | None

    def release(self) -> None:
        """Close the copy and remove its temporary file (idempotent)."""
        self.connection.close()
        if self.temp is not None:
            with contextlib.suppress(FileNotFoundError):
                self.temp.unlink()


def upgraded_copy(path: Path, version: int, size: int) -> UpgradedCopy:
    """A read-only connection to a private copy of ``path`` (format ``version``, ``size``
    bytes, already checked by ``inspect_project_file``) upgraded to the current format.

    ProjectError when there is no room for the copy; the migrations' own errors otherwise.
    """
    source = (
        reader_connection(path)[0]
        if sidecar(path, "-wal").exists()
        else connect(path, mode="immutable")
    )
    temp = None if size <= MEMORY_COPY_MAX_BYTES else _temp_file(path, size)
    try:
        copy = sqlite3.connect(
            ":memory:" if temp is None else str(temp),
            isolation_level=None,
            check_same_thread=False,  # the store serialises use with its own lock
        )
    except BaseException:
        source.close()
        _remove(temp)
        raise
    try:
        try:
            source.backup(copy)
        finally:
            source.close()
        harden(copy)
        # A private copy needs no durability: a failed upgrade is discarded whole.
        copy.execute("PRAGMA journal_mode = MEMORY")
        copy.execute("PRAGMA synchronous = OFF")
        trust_checked_schema(copy)  # the copy of a file whose schema passed the check
        migrate(copy, path)
        copy.execute("PRAGMA query_only = ON")
        if temp is not None and os.name == "posix":
            temp.unlink()  # the open connection keeps reading it; nothing is left behind
            temp = None
    except sqlite3.Error as e:
        copy.close()
        _remove(temp)
        if temp is not None and "full" in str(e).lower():
            raise _no_room(path, temp.parent, size) from e
        raise DamagedProjectError(
            f"{path} is in an older file format ({version}) and could not be upgraded for "
            f"reading: SQLite reports {e}. The file was not changed; open a backup copy.",
            path=path,
        ) from e
    except BaseException:
        copy.close()
        _remove(temp)
        raise
    return UpgradedCopy(connection=copy, version=version, temp=temp)


def _temp_file(path: Path, size: int) -> Path:
    folder = cache_dir() / COPY_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(folder).free
    except OSError as e:
        raise ProjectError(
            f"{path} is in an older file format and is read through an upgraded copy, but "
            f"the folder for that copy, {folder}, cannot be made: {os_error_cause(e)}.",
            path=path,
        ) from e
    if free < size * _ROOM_FACTOR:
        raise _no_room(path, folder, size)
    return folder / f"{path.stem[:40]}-{secrets.token_hex(6)}.storyiter"


def _no_room(path: Path, folder: Path, size: int) -> ProjectError:
    need = size * _ROOM_FACTOR / 2**20
    return ProjectError(
        f"{path} is in an older file format and is read through an upgraded copy, which "
        f"needs about {need:,.0f} MiB in {folder}; that disk has not enough free space. Free "
        "some space there (or set STORYITER_CACHE_DIR to a folder on another disk).",
        path=path,
    )


def _remove(temp: Path | None) -> None:
    if temp is not None:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def older_format_note(version: int, *, writable: bool) -> str:
    """What a reader of a file in an older format says about it (``info``, the app)."""
    where = (
        "Opening it for writing (the app, or a command that changes it) upgrades it"
        if writable
        else "It cannot be upgraded here; copy it to a folder you can write to (or use Save "
        "As in the app) to work on it in the current format"
    )
    return (
        f"Older file format ({version}; this version writes {SCHEMA_VERSION}): it is read "
        f"through an upgraded private copy and the file itself is not changed. {where}."
    )
