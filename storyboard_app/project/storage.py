"""Why a project file or its folder cannot be read or written, in the writer's words.

SQLite reports "unable to open database file" or "attempt to write a readonly database" for
half a dozen causes; the operating system reports an errno. These functions look at the file
and its folder and say which cause it is (a missing folder, read-only storage, a folder or
file the user may not write, a full disk), so every message names the file and the cause.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

# The one table of operating-system errors in words: every message about a file that cannot
# be read or written (the project, its lock, exports, settings) takes its cause from here.
CAUSES = {
    errno.ENOSPC: "the disk is full (no space left on device)",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "it is on read-only storage",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "it does not exist",
    errno.ENOTDIR: "a part of its path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.EIO: "an input/output error (the disk or its connection failed)",
    errno.EFBIG: "the file is too large for this disk",
    errno.ENAMETOOLONG: "its name is too long",
}


def _exists(path: Path) -> bool:
    """``Path.exists`` that answers False instead of raising when a folder is not searchable."""
    try:
        return path.exists()
    except OSError:
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def on_read_only_storage(path: Path) -> bool:
    """Whether ``path`` (or its nearest existing folder) is on a file system mounted read-only."""
    probe = path
    while not _exists(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        return bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return False


def write_problem(path: Path) -> str | None:
    """Why ``path`` (an existing file, or one to create) cannot be written; None if it can.

    Permission bits are judged by ``os.access``, so they do not stop the superuser; read-only
    storage stops everyone.
    """
    folder = path.parent
    if not _is_dir(folder):
        return f"the folder {folder} does not exist"
    if on_read_only_storage(folder):
        return f"{folder} is on read-only storage"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"you may not create files in the folder {folder}"
    if _exists(path) and not os.access(path, os.W_OK):
        return f"the file {path} is read-only for you"
    for suffix in ("-wal", "-shm"):
        log = path.with_name(path.name + suffix)
        if _exists(log) and not os.access(log, os.W_OK):
            return f"SQLite's file {log} beside it is read-only for you"
    return None


def read_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read; None if it can."""
    if not _is_dir(path.parent):
        return f"the folder {path.parent} does not exist"
    if not os.access(path.parent, os.X_OK):
        return f"you may not open the folder {path.parent}"
    if not _exists(path):
        return f"{path} does not exist"
    if _is_dir(path):
        return f"{path} is a folder, not a file"
    if not os.access(path, os.R_OK):
        return f"you may not read {path}"
    return None


def os_error_cause(error: OSError) -> str:
    """The cause of an operating-system error in words ("the disk is full")."""
    return CAUSES.get(error.errno or 0, error.strerror or str(error))


def os_error_message(path: Path, error: OSError, doing: str, *, reading: bool = False) -> str:
    """A message naming the file, what was being done and why it failed.

    ``doing`` completes "cannot ...": e.g. "be created", "be written"; ``reading`` says
    that it was a read (a denied read is explained by read permissions, not write ones).
    """
    target = Path(error.filename) if error.filename else path
    cause = os_error_cause(error)
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        detail = read_problem(target) if reading else write_problem(target)
        cause = f"{cause}: {detail}" if detail else cause
    elif error.errno == errno.ENOENT and not _is_dir(target.parent):
        cause = f"the folder {target.parent} does not exist"
    return f"{target} cannot {doing}: {cause}."
