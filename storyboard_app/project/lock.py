"""One writer per project: an advisory lock on a sidecar file next to the project.

The lock is ``PATH.lock``, held with ``flock`` (POSIX) or ``msvcrt.locking`` (Windows). The
operating system releases it when the holding process dies, so a lock left by a crash recovers
by itself. The file carries the holder's pid and host for the "already open" message; its
content is informational only; whether it is locked is what counts.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

from storyboard_app.project.errors import ProjectError, ProjectLockedError
from storyboard_app.project.storage import os_error_cause, write_problem

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    _WIN_LOCK_OFFSET = 1 << 20  # lock a byte past the text so other processes can read it

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(project_path: Path) -> Path:
    """The sidecar lock file of a project."""
    return project_path.with_name(project_path.name + ".lock")


def read_holder(project_path: Path) -> tuple[int | None, str | None]:
    """The (pid, host) written by the current or last holder, if readable."""
    try:
        text = lock_path(project_path).read_text(encoding="utf-8")[:1000]
        data = json.loads(text)
        pid = data.get("pid")
        host = data.get("host")
        return (
            pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
            host if isinstance(host, str) else None,
        )
    except (OSError, ValueError, AttributeError):
        return None, None


class WriteLock:
    """The process-wide right to write one project; release() it (or let the process end)."""

    def __init__(self, project_path: Path, fd: int) -> None:
        self._project_path = project_path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, project_path: Path) -> WriteLock:
        """Take the lock or raise ProjectLockedError naming the holder's pid and host."""
        path = lock_path(project_path)
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                cause = write_problem(path) or os_error_cause(e)
                advice = (
                    " Open it read-only (storyboard info, history and export do), or copy the "
                    "project to a folder you can write to."
                    if path.parent.is_dir()
                    else ""
                )
                raise ProjectError(
                    f"{project_path} cannot be opened for writing: its lock file {path} cannot "
                    f"be created ({cause}).{advice}",
                    path=project_path,
                ) from e
            if not _try_lock(fd):
                os.close(fd)
                raise _locked_error(project_path)
            # A releasing holder unlinks the file while it still holds the lock; if we locked
            # a file that was unlinked meanwhile, the lock is worthless: start again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        lock = cls(project_path, fd)
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(holder) + "\n").encode("utf-8"))
        except OSError as e:
            lock.release()
            raise ProjectError(
                f"{project_path} cannot be opened for writing: its lock file {path} cannot be "
                f"written ({os_error_cause(e)}).",
                path=project_path,
            ) from e
        return lock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up and remove the sidecar file (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if sys.platform != "win32":
            # Unlink while still locked, so nobody can lock the old file after we let go.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock_path(self._project_path))
        try:
            _unlock(fd)
        finally:
            os.close(fd)


def _locked_error(project_path: Path) -> ProjectLockedError:
    pid, host = read_holder(project_path)
    here = socket.gethostname()
    if pid == os.getpid() and host == here:
        where = "in this process"
    elif pid is not None:
        where = f"in process {pid}" + (f" on host {host}" if host else "")
    else:
        where = "in another process"
    return ProjectLockedError(
        f"{project_path} is already open {where}. Close it there first; if that process has "
        "ended, the lock is released by itself.",
        path=project_path,
        pid=pid,
        host=host,
    )
