"""``storyboard thumbnail INPUT OUTPUT --size N``: a project's cover image, for file managers.

The cover is the first frame's current image; a story with no image yet gets a title card.
The file manager's thumbnailer calls this for every project it shows, on files from anywhere,
so it opens the project read-only (the file is not changed and no ``-wal``/``-shm`` files
appear), decodes at most one image under the project layer's pixel cap, imports neither torch
nor Qt, and answers a damaged or foreign file with a message and exit status 2, writing nothing.
"""

from __future__ import annotations

import argparse
import io
import sqlite3
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL.ImageFont import FreeTypeFont

from storyboard_app.project.errors import DamagedImageError, DamagedProjectError, ProjectError

DEFAULT_SIZE = 256
MAX_SIZE = 1024  # freedesktop's largest thumbnail ("xx-large") is 1024 pixels
_TITLE_CARD_ASPECT = 4 / 3
_INK = (236, 230, 218)
_PAPER = (38, 44, 58)
_ACCENT = (232, 168, 56)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``thumbnail`` to the ``storyboard`` parser."""
    p = sub.add_parser(
        "thumbnail", help="write a project's cover image as a PNG (what file managers show)"
    )
    p.add_argument("input", type=Path, help="a project file")
    p.add_argument("output", type=Path, help="the PNG to write")
    p.add_argument(
        "--size",
        type=int,
        default=DEFAULT_SIZE,
        help=f"longest side in pixels, 16-{MAX_SIZE} (default {DEFAULT_SIZE})",
    )
    p.set_defaults(run=cmd_thumbnail)


def cmd_thumbnail(args: argparse.Namespace) -> int:
    from storyboard_app.project.safe_write import write_bytes

    if not 16 <= args.size <= MAX_SIZE:
        raise ProjectError(f"--size must be between 16 and {MAX_SIZE} pixels, not {args.size}.")
    png = cover_png(args.input, args.size)
    write_bytes(args.output, png, "the thumbnail", suffixes=(".png",))
    return 0


def cover_png(path: Path, size: int) -> bytes:
    """The cover of the project at ``path`` as PNG bytes, its longest side ``size`` pixels.

    ProjectError (NotAProjectError, DamagedProjectError, ...) for a file that is not a
    project this version can read.
    """
    from storyboard_app.project.errors import OutdatedProjectError
    from storyboard_app.project.imaging import THUMBNAIL_SIDE, make_thumbnail
    from storyboard_app.project.store import ProjectStore

    try:
        store = ProjectStore.open_reader(path, snapshot=True)
    except OutdatedProjectError:
        return _older_format_card(path, size)
    with store:
        title = store.story().title
        frames = store.frames()
        image_id = store.current_image_id(frames[0].id) if frames else None
        if image_id is None:
            return title_card(title, len(frames), size)
        # The stored thumbnail is enough up to its own size; beyond it, the full image.
        small = size <= THUMBNAIL_SIDE
        try:  # the checksum finds a damaged image as it is read
            stored = store.thumbnail_png(image_id) if small else store.image_png(image_id)
        except DamagedImageError as exc:
            return _damaged_cover(path, exc, title, len(frames), size)
    try:
        return make_thumbnail(stored, size)
    except ProjectError as exc:  # the project opens but this one image is damaged
        return _damaged_cover(path, exc, title, len(frames), size)


def _damaged_cover(path: Path, exc: ProjectError, title: str, frames: int, size: int) -> bytes:
    print(
        f"warning: {path}: the cover image is damaged ({exc}); using a title card.", file=sys.stderr
    )
    return title_card(title, frames, size)


def _older_format_card(path: Path, size: int) -> bytes:
    """The title card of a project in an older file format too big to upgrade in memory
    (a quick look never copies it to disk): its title and frame count are in every format."""
    from storyboard_app.project.database import connect, sidecar

    conn = connect(path, mode="ro" if sidecar(path, "-wal").exists() else "immutable")
    try:
        (title,) = conn.execute("SELECT title FROM story WHERE id = 1").fetchone()
        (frames,) = conn.execute("SELECT count(*) FROM frame").fetchone()
    except (sqlite3.Error, TypeError) as exc:
        raise DamagedProjectError(f"{path} cannot be read ({exc}).", path=path) from None
    finally:
        conn.close()
    return title_card(str(title), int(frames), size)


def title_card(title: str, frame_count: int, size: int) -> bytes:
    """A card with the story's title, for a story that has no image yet."""
    width, height = size, max(1, round(size / _TITLE_CARD_ASPECT))
    card = Image.new("RGB", (width, height), _PAPER)
    draw = ImageDraw.Draw(card)
    margin = max(2, size // 16)
    draw.rectangle((0, height - margin // 2, width, height), fill=_ACCENT)
    font = ImageFont.load_default(size=max(8, size // 9))
    lines = _wrap(draw, title.strip() or "Untitled story", font, width - 2 * margin, 3)
    y = margin
    for line in lines:
        draw.text((margin, y), line, font=font, fill=_INK)
        y += round(font.size * 1.2)
    caption = f"{frame_count} frame{'s' if frame_count != 1 else ''}"
    small = ImageFont.load_default(size=max(6, size // 16))
    draw.text((margin, height - margin - small.size), caption, font=small, fill=_ACCENT)
    out = io.BytesIO()
    card.save(out, format="PNG")
    return out.getvalue()


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: FreeTypeFont, width: int, max_lines: int
) -> list[str]:
    """Words in lines no wider than ``width``; an ellipsis ends text that does not fit."""
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(joined, font=font) <= width:
            lines[-1] = joined
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += "…"
    return [_fit(draw, line, font, width) for line in lines]


def _fit(draw: ImageDraw.ImageDraw, line: str, font: FreeTypeFont, width: int) -> str:
    while len(line) > 1 and draw.textlength(line, font=font) > width:
        line = line[:-2] + "…"
    return line
