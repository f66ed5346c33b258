"""Writing export files all-or-nothing: a temp file in the same folder, renamed on success.

A failed export leaves no partial file behind, and a file that already exists at the
destination is replaced only once the new one is completely written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from storyboard_app.export.board import ExportError


@contextlib.contextmanager
def atomic_output(path: Path | str, what: str) -> Iterator[Path]:
    """Yield a temp path to write ``what`` (e.g. "the PDF") to; it becomes ``path`` on success.

    Problems with the destination are reported as :class:`ExportError` before anything is
    written; any error inside the block removes the temp file and leaves ``path`` as it was.
    """
    path = Path(path).expanduser().absolute()
    folder = path.parent
    if path.is_dir():
        raise ExportError(f"Cannot write {what} to {path}: a folder of that name is in the way.")
    if not folder.is_dir():
        raise ExportError(f"Cannot write {what} to {path}: the folder {folder} does not exist.")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ExportError(
            f"Cannot write {what} to {path}: the folder {folder} is not writable "
            f"({exc.strerror or exc})."
        ) from None
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        _finish(temp, path)
    except OSError as exc:
        _discard(temp)
        raise ExportError(f"Writing {what} to {path} failed: {exc.strerror or exc}.") from None
    except BaseException:
        _discard(temp)
        raise


def _finish(temp: Path, path: Path) -> None:
    with open(temp, "rb+") as stream:
        os.fsync(stream.fileno())
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    os.chmod(temp, mode)
    os.replace(temp, path)
    with contextlib.suppress(OSError):  # make the rename itself durable where supported
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _discard(temp: Path) -> None:
    with contextlib.suppress(OSError):
        temp.unlink()
