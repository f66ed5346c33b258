"""Checks that re-read a written export before it replaces anything (see ``project.safe_write``).

Each function returns a check for :func:`~storyboard_app.project.safe_write.safe_output`: it
opens the temp file the way a reader would and raises ``OutputCheckError`` when the file is
not what was meant to be written (a PDF truncated by a full disk, a ZIP missing an entry).
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from storyboard_app.project.safe_write import OutputCheckError, Verify


def pdf_pages(expected: int) -> Verify:
    """The file opens as a PDF without repair and has ``expected`` pages."""

    def check(path: Path) -> None:
        import pikepdf

        try:
            with pikepdf.open(path, attempt_recovery=False) as pdf:
                count = len(pdf.pages)
        except pikepdf.PdfError as exc:
            raise OutputCheckError(f"it is not a readable PDF: {exc}") from None
        if count != expected:
            raise OutputCheckError(f"it has {count} pages instead of {expected}")

    return check


def image_file(kind: str, size: tuple[int, int], frames: int = 1, total_ms: int = 0) -> Verify:
    """The file decodes as a ``kind`` image ("PNG", "GIF") of ``size`` pixels.

    For an animation, at most ``frames`` frames (identical neighbours merge) lasting
    ``total_ms`` milliseconds in all.
    """

    def check(path: Path) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path) as image:
                    found = (image.format, image.size)
                    count = getattr(image, "n_frames", 1)
                    duration = 0
                    for index in range(count):
                        image.seek(index)
                        duration += int(image.info.get("duration", 0))
                    image.load()
        except (OSError, ValueError, SyntaxError) as exc:
            raise OutputCheckError(f"it is not a readable {kind} image: {exc}") from None
        if found != (kind, size):
            raise OutputCheckError(f"it is a {found[0]} of {found[1]} instead of {kind} {size}")
        if count > frames or (total_ms and duration != total_ms):
            raise OutputCheckError(
                f"it has {count} frames lasting {duration} ms instead of {frames} "
                f"lasting {total_ms} ms"
            )

    return check


def zip_entries(names: Sequence[str]) -> Verify:
    """The file is a ZIP whose entries are ``names``, every one passing its CRC check."""

    def check(path: Path) -> None:
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                found = archive.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise OutputCheckError(f"it is not a readable ZIP: {exc}") from None
        if bad is not None:
            raise OutputCheckError(f"its entry {bad} is damaged")
        if found != list(names):
            raise OutputCheckError(f"it holds {len(found)} entries instead of {len(names)}")

    return check
