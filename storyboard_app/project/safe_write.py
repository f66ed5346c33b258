"""Writing a file so that nothing already saved is ever lost: the one helper every writer uses.

Exports, pose files, the model settings and copies of a project all go through
:func:`safe_output` (or :func:`write_bytes` / :func:`write_text` for data already in memory):

1. the target is checked first: a folder in the way, a missing folder, a suffix that
   contradicts the format (``--pdf out.png``) and a target that is a StoryIter project (by
   content: SQLite's header carrying the project's ``application_id``, so the open project
   too, whatever its name) are refused before anything is written;
2. the new file is written to a temp file beside the target (same folder, so the rename
   cannot cross file systems);
3. the caller's check re-reads the temp file (a PDF re-opened and its pages counted, a
   video probed, a ZIP tested); the data is fsynced;
4. the temp file replaces the target in one rename, and the folder is fsynced.

Any failure (disk full, I/O error, permission, a check that fails, a cancel requested through
``project.cancel``) removes the temp file and leaves the previous file byte for byte as it
was; errors are :class:`FileWriteError` naming the file and the cause.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from storyboard_app.project.cancel import check_cancel
from storyboard_app.project.database import is_project_file
from storyboard_app.project.errors import ProjectError
from storyboard_app.project.storage import CAUSES, os_error_cause

TEMP_SUFFIX = ".part"
_NEARLY_FULL_BYTES = 1024 * 1024  # a failed check on a disk this full is a full disk

Verify = Callable[[Path], None]


class FileWriteError(ProjectError):
    """A file could not be written, or may not be; the file at the target is unchanged."""


class OutputCheckError(Exception):
    """Raised by a caller's check when the written file is not what was meant to be written."""


def check_target(
    target: Path | str, what: str, *, suffixes: Sequence[str] = (), replaces_project: bool = False
) -> Path:
    """The absolute target path, after refusing targets that must not be written.

    ``suffixes`` are the file name endings the format may have (lower case, with the dot);
    a name with another suffix is refused, a name without one is accepted. Unless
    ``replaces_project`` (a project copy), a target holding a StoryIter project is refused.
    """
    path = Path(target).expanduser().absolute()
    if path.is_symlink():  # write the file the link points at; the link stays a link
        path = path.resolve()
    if path.is_dir():
        raise FileWriteError(f"Cannot write {what} to {path}: a folder of that name is in the way.")
    if not path.parent.is_dir():
        raise FileWriteError(
            f"Cannot write {what} to {path}: the folder {path.parent} does not exist."
        )
    if not replaces_project:
        _refuse_project(path, what)
    if suffixes and path.suffix and path.suffix.lower() not in suffixes:
        wanted = " or ".join(suffixes)
        raise FileWriteError(
            f"Cannot write {what} to {path}: a {path.suffix} name does not fit {what}; "
            f"use a name ending in {wanted}."
        )
    return path


def _refuse_project(path: Path, what: str) -> None:
    sidecar_of = None
    for ending in ("-wal", "-shm", "-journal"):
        if path.name.endswith(ending):
            sidecar_of = path.with_name(path.name[: -len(ending)])
    try:
        if path.exists() and is_project_file(path):
            raise FileWriteError(
                f"Refusing to write {what} to {path}: that file is a StoryIter project, and "
                "writing there would destroy its whole history. Choose another file name."
            )
        if sidecar_of is not None and sidecar_of.exists() and is_project_file(sidecar_of):
            raise FileWriteError(
                f"Refusing to write {what} to {path}: it is part of the project {sidecar_of}."
            )
    except OSError as exc:
        raise FileWriteError(
            f"Cannot write {what} to {path}: the file there cannot be read to make sure it "
            f"is not a project ({os_error_cause(exc)})."
        ) from None


@contextlib.contextmanager
def safe_output(
    target: Path | str,
    what: str,
    *,
    suffixes: Sequence[str] = (),
    verify: Verify | None = None,
    replaces_project: bool = False,
) -> Iterator[Path]:
    """Yield a temp path beside ``target`` to write ``what`` (e.g. "the PDF") to.

    When the block ends, ``verify(temp)`` checks the written file (raising
    :class:`OutputCheckError`), then the file is fsynced and renamed over ``target``. On any
    error, and on Ctrl-C, the temp file is removed and ``target`` is left as it was.
    """
    path = check_target(target, what, suffixes=suffixes, replaces_project=replaces_project)
    existed = path.exists()
    temp = _new_temp(path, what)
    try:
        yield temp
        check_cancel()
        if not temp.exists():
            raise OutputCheckError("no file was written")
        if verify is not None:
            verify(temp)
        fsync_file(temp)
        check_cancel()  # the last moment a cancel may still keep the previous file
        mode = path.stat().st_mode & 0o777 if existed else 0o644
        os.chmod(temp, mode)
        os.replace(temp, path)
        with contextlib.suppress(OSError):  # the rename happened; durability is best effort
            fsync_folder(path.parent)
    except OSError as exc:
        raise FileWriteError(_failed(what, path, os_error_cause(exc), existed)) from None
    except OutputCheckError as exc:
        cause = f"the written file does not check out ({exc})"
        if _nearly_full(path.parent):
            cause = f"{CAUSES[errno.ENOSPC]}; {cause}"
        raise FileWriteError(_failed(what, path, cause, existed)) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()


def write_bytes(
    target: Path | str,
    data: bytes,
    what: str,
    *,
    suffixes: Sequence[str] = (),
    verify: Verify | None = None,
) -> Path:
    """Write ``data`` to ``target`` through :func:`safe_output`; returns the absolute path."""
    path = check_target(target, what, suffixes=suffixes)
    with safe_output(path, what, suffixes=suffixes, verify=verify) as temp:
        with open(temp, "wb") as stream:
            stream.write(data)
        if temp.stat().st_size != len(data):
            raise OutputCheckError(f"{temp.stat().st_size} of {len(data)} bytes were written")
    return path


def write_text(
    target: Path | str,
    text: str,
    what: str,
    *,
    suffixes: Sequence[str] = (),
    verify: Verify | None = None,
) -> Path:
    """Write ``text`` as UTF-8 to ``target`` through :func:`safe_output`."""
    return write_bytes(target, text.encode("utf-8"), what, suffixes=suffixes, verify=verify)


def json_document(path: Path) -> None:
    """A check for :func:`safe_output`: the written file is UTF-8 JSON."""
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OutputCheckError(f"it is not valid JSON: {exc}") from None


def _failed(what: str, path: Path, cause: str, existed: bool) -> str:
    kept = f"the previous {path.name} is unchanged" if existed else "nothing was written"
    return f"Writing {what} to {path} failed: {cause}; {kept}."


def _new_temp(path: Path, what: str) -> Path:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    try:
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise FileWriteError(
            f"Cannot write {what} to {path}: the folder {path.parent} is not writable "
            f"({os_error_cause(exc)})."
        ) from None
    return temp


def _nearly_full(folder: Path) -> bool:
    try:
        return shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def fsync_file(path: Path) -> None:
    """Flush a written file's data to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX; folders cannot be opened on Windows)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
