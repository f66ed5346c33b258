"""The project file as an SQLite database: checking a file before use, and safe connections.

``inspect_project_file`` looks at a file without changing it (not one byte, and no ``-wal`` or
``-shm`` files appear): SQLite's header, our ``application_id``, the schema version, SQLite's
own integrity check and the exact schema. Only a file that passes is opened for writing.
Every connection gets defensive settings, because a project may come from someone else.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from storyboard_app.project.errors import (
    DamagedProjectError,
    NewerVersionError,
    NotAProjectError,
    ProjectError,
)
from storyboard_app.project.schema import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    expected_schema,
    schema_differences,
)
from storyboard_app.project.storage import os_error_message, read_problem, write_problem

SQLITE_MAGIC = b"SQLite format 3\x00"
# SQLite's primary result codes that the store tells apart.
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
BUSY_TIMEOUT_MS = 5000
# Files up to this size get the full integrity check; bigger ones SQLite's quick check
# (every page and record, without cross-checking index contents), which is O(N) not O(N log N).
FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024

# Upper bounds for what any statement may build or read: a hostile file cannot make SQLite
# allocate gigabytes or parse monstrous schemas. Generous for what this app does.
_LIMITS = {
    "SQLITE_LIMIT_LENGTH": 512 * 1024 * 1024,  # largest string/blob/row (a PNG)
    "SQLITE_LIMIT_SQL_LENGTH": 1_000_000,
    "SQLITE_LIMIT_COLUMN": 200,
    "SQLITE_LIMIT_EXPR_DEPTH": 200,
    "SQLITE_LIMIT_COMPOUND_SELECT": 20,
    "SQLITE_LIMIT_VDBE_OP": 1_000_000,
    "SQLITE_LIMIT_FUNCTION_ARG": 16,
    "SQLITE_LIMIT_ATTACHED": 0,  # the store never attaches another database
    "SQLITE_LIMIT_LIKE_PATTERN_LENGTH": 1000,
    "SQLITE_LIMIT_VARIABLE_NUMBER": 999,
    "SQLITE_LIMIT_TRIGGER_DEPTH": 10,
}


@dataclass(frozen=True)
class FileFacts:
    """What inspection learnt about a project file."""

    path: Path
    version: int
    size: int


def sidecar(path: Path, suffix: str) -> Path:
    """``PATH-wal`` / ``PATH-shm``: SQLite's files next to the project."""
    return path.with_name(path.name + suffix)


def harden(conn: sqlite3.Connection) -> None:
    """Defensive settings for a connection to a file that may come from anyone."""
    # Schema-defined functions, views and triggers may not call anything with side effects.
    conn.execute("PRAGMA trusted_schema = OFF")
    # Check every cell's size against its page as it is read (catches crafted pages).
    conn.execute("PRAGMA cell_size_check = ON")
    conn.execute("PRAGMA mmap_size = 0")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    for name, value in _LIMITS.items():
        category = getattr(sqlite3, name, None)
        if category is not None:
            conn.setlimit(category, value)
    setconfig = getattr(conn, "setconfig", None)  # Python 3.12+
    if setconfig is not None:
        for name, value in (
            ("SQLITE_DBCONFIG_DEFENSIVE", True),
            ("SQLITE_DBCONFIG_TRUSTED_SCHEMA", False),
            ("SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION", False),
        ):
            option = getattr(sqlite3, name, None)
            if option is not None:
                setconfig(option, value)


def trust_checked_schema(conn: sqlite3.Connection) -> None:
    """Let the file's own triggers write to its search index (``frame_fts``).

    SQLite refuses virtual tables inside triggers while ``trusted_schema`` is off. Call this
    only on a writer whose file passed ``inspect_project_file`` (its schema is exactly the one
    the migrations build, so every trigger in it is ours) or that the store created itself.
    """
    conn.execute("PRAGMA trusted_schema = ON")


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{path.absolute().as_uri()}?{query}"


def connect(path: Path, *, mode: str) -> sqlite3.Connection:
    """A hardened connection in autocommit mode (transactions are explicit).

    ``mode``: "ro" (read-only), "rw" (existing file), "rwc" (may create: new projects only)
    or "immutable" (read-only, no locking, no ``-wal``/``-shm``: for inspecting a closed file).
    """
    params = {"immutable": "1"} if mode == "immutable" else {"mode": mode}
    conn = sqlite3.connect(
        _uri(path, **params),
        uri=True,
        isolation_level=None,
        check_same_thread=False,  # the store serialises use with its own lock
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    try:
        harden(conn)
        if mode in ("ro", "immutable"):
            conn.execute("PRAGMA query_only = ON")
        else:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        conn.close()
        raise
    return conn


def sqlite_code(error: sqlite3.Error) -> int:
    """SQLite's primary result code of an error (0 when it carries none)."""
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def reader_connection(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection, and whether it had to read the file as immutable.

    A read-only connection to a WAL file must create ``PATH-shm`` beside it; on read-only
    storage, or in a folder the user may not write, it cannot. A file with no pending log is
    then read with ``immutable=1`` (no -wal/-shm, no locking: nobody can change a file there
    anyway). A file whose ``-wal`` still holds changes cannot be read without ``-shm``: that
    is a ProjectError saying so.
    """
    try:
        conn = connect(path, mode="ro")
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn, False
    except sqlite3.OperationalError as e:
        # CANTOPEN/READONLY/PERM: -shm cannot be made here; IOERR/FULL: nor sized (full disk).
        if sqlite_code(e) not in (
            SQLITE_CANTOPEN,
            SQLITE_READONLY,
            SQLITE_PERM,
            SQLITE_IOERR,
            SQLITE_FULL,
        ):
            raise
    wal = sidecar(path, "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        problem = write_problem(path) or "it cannot be created"
        raise ProjectError(
            f"{path} cannot be read here: its log {wal} holds changes that were never written "
            f"into it, and reading them needs {sidecar(path, '-shm')}, but {problem}. Copy the "
            "project together with its -wal file to a folder you can write to.",
            path=path,
        )
    return connect(path, mode="immutable"), True


def enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch a writable connection to write-ahead logging (persistent in the file)."""
    (journal,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if str(journal).lower() != "wal":
        raise ProjectError(
            f"{path} cannot use SQLite's write-ahead log here (journal mode {journal}). "
            "Is it on a network or read-only drive? Copy it to a local folder.",
            path=path,
        )


def is_project_file(path: Path) -> bool:
    """True if ``path`` holds a StoryIter project, judged by content, not by name: SQLite's
    header with the project's ``application_id`` (header bytes 68-71). Reads 100 bytes."""
    with path.open("rb") as f:
        header = f.read(100)
    return (
        len(header) == 100
        and header.startswith(SQLITE_MAGIC)
        and int.from_bytes(header[68:72], "big") == APPLICATION_ID
    )


def _check_header(path: Path) -> int:
    """Check the raw SQLite header; returns the file size."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        where = read_problem(path) or f"{path} does not exist"
        raise ProjectError(f"{path} cannot be opened: {where}.", path=path) from None
    except IsADirectoryError:
        raise NotAProjectError(f"{path} is a folder, not a project file.", path=path) from None
    except OSError as e:
        raise ProjectError(os_error_message(path, e, "be read", reading=True), path=path) from e
    if size == 0:
        raise NotAProjectError(f"{path} is an empty file, not a StoryIter project.", path=path)
    if not header.startswith(SQLITE_MAGIC[: len(header)]) or len(header) < len(SQLITE_MAGIC):
        raise NotAProjectError(
            f"{path} is not a StoryIter project (it is not an SQLite database at all).",
            path=path,
        )
    if len(header) < 100:
        raise _damaged(path, "it is truncated (shorter than its header)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise _damaged(path, f"its header names a page size of {page_size}")
    if size % page_size:
        raise _damaged(path, "it is truncated (it ends inside a page)")
    change_counter, valid_for = header[24:28], header[92:96]
    pages = int.from_bytes(header[28:32], "big")
    has_wal = sidecar(path, "-wal").exists()
    if change_counter == valid_for and pages and not has_wal and pages * page_size > size:
        raise _damaged(path, f"it is truncated ({size} bytes of {pages * page_size})")
    return size


def _damaged(path: Path, what: str) -> DamagedProjectError:
    return DamagedProjectError(
        f"{path} is damaged: {what}. It was not changed; open a backup copy, or ask whoever "
        "sent it for a fresh copy.",
        path=path,
    )


def inspect_project_file(path: Path, *, check_integrity: bool = True) -> FileFacts:
    """Check that ``path`` is a project this version can open, without changing the file.

    Raises NotAProjectError, NewerVersionError or DamagedProjectError with a message that
    names the file. ``check_integrity`` runs SQLite's integrity check (full for files up to
    64 MiB, ``quick_check`` above) and the foreign-key check.
    """
    size = _check_header(path)
    # With no -wal beside it, the file is closed: "immutable" reads it without creating the
    # -wal/-shm files a read-only WAL connection would leave behind. With a -wal (a writer is
    # running, or one crashed), a plain read-only connection reads the log as well.
    try:
        if sidecar(path, "-wal").exists():
            conn, _ = reader_connection(path)
        else:
            conn = connect(path, mode="immutable")
    except sqlite3.Error as e:
        raise _damaged(path, f"SQLite cannot open it ({e})") from e
    try:
        return _inspect(conn, path, size, check_integrity)
    except sqlite3.DatabaseError as e:
        raise _damaged(path, f"SQLite reports: {e}") from e
    except UnicodeDecodeError as e:
        raise _damaged(path, "its schema holds text that is not valid UTF-8") from e
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection, path: Path, size: int, check_integrity: bool) -> FileFacts:
    conn.execute("BEGIN")  # one consistent snapshot for every check below
    try:
        (app_id,) = conn.execute("PRAGMA application_id").fetchone()
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if app_id != APPLICATION_ID:
            raise NotAProjectError(
                f"{path} is an SQLite database of another program, not a StoryIter project "
                f"(application id {app_id:#010x}).",
                path=path,
            )
        if version > SCHEMA_VERSION:
            raise NewerVersionError(
                f"{path} was saved by a newer version of StoryIter Studio (file format "
                f"{version}; this version reads up to {SCHEMA_VERSION}). Update the app to "
                "open it; the file was not changed.",
                path=path,
                version=version,
            )
        if version < 0:
            raise _damaged(path, f"its format version is {version}")
        if check_integrity:
            pragma = "integrity_check" if size <= FULL_CHECK_MAX_BYTES else "quick_check"
            report = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}(20)")]
            if report != ["ok"]:
                detail = "; ".join(report[:3])
                raise _damaged(path, f"SQLite's integrity check failed ({detail})")
        problems = schema_differences(conn, version)
        if problems:
            raise _damaged(path, "its tables were changed outside the app: " + "; ".join(problems))
        broken = constraint_violations(conn, version)
        if broken:
            raise _damaged(path, "its data breaks the file format's rules: " + "; ".join(broken))
        if check_integrity and conn.execute("PRAGMA foreign_key_check").fetchone():
            raise _damaged(path, "some rows refer to frames, images or passes that do not exist")
    finally:
        conn.execute("COMMIT")
    return FileFacts(path=path, version=version, size=size)


def _checks_of(create_sql: str) -> list[str]:
    """The expressions of every ``CHECK (...)`` in a CREATE TABLE statement of ours."""
    checks = []
    for match in re.finditer(r"\bCHECK\s*\(", create_sql):
        depth, start = 1, match.end()
        for end in range(start, len(create_sql)):
            depth += {"(": 1, ")": -1}.get(create_sql[end], 0)
            if depth == 0:
                checks.append(create_sql[start:end].strip())
                break
    return checks


def constraint_violations(conn: sqlite3.Connection, version: int) -> list[str]:
    """The declared rules (column types, NOT NULL, CHECK) that rows of the file break.

    SQLite's own integrity check skips CHECK constraints on a read-only connection, so the
    opening check asks explicitly: one scan per table, with ``typeof``/``length`` only, which
    never read the overflow pages where image bytes live.
    """
    problems = []
    for (kind, table), sql in expected_schema(version).items():
        # Our own tables are STRICT; the search index's virtual and shadow tables are
        # SQLite's (their integrity is SQLite's own check's business).
        if kind != "table" or not sql.endswith(" STRICT"):
            continue
        rules: list[tuple[str, str]] = []
        for _, column, declared, notnull, _, _ in conn.execute(f"PRAGMA table_info({table})"):
            kinds = f"'{declared.lower()}', 'null'"
            rules.append((f"typeof({column}) NOT IN ({kinds})", f"{column} holds a wrong type"))
            if notnull:
                rules.append((f"typeof({column}) = 'null'", f"{column} is empty"))
        for check in _checks_of(sql):
            rules.append((f"NOT coalesce(({check}), 1)", f"CHECK ({check})"))
        cases = " ".join(f"WHEN {test} THEN {k}" for k, (test, _) in enumerate(rules))
        row = conn.execute(
            f"SELECT rowid, rule FROM (SELECT rowid, CASE {cases} END AS rule FROM {table}) "
            "WHERE rule IS NOT NULL LIMIT 1"
        ).fetchone()
        if row is not None:
            problems.append(f"row {row[0]} of table {table} breaks the rule {rules[row[1]][1]}")
    return problems
