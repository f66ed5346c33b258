"""Content checksums of stored images: what damage a SHA-256 mismatch reveals, and where.

SQLite keeps no checksums of its pages, so a flipped bit inside a PNG blob passes every check
SQLite has. Each image's PNG, thumbnail and embedding get a SHA-256 written in the same
transaction as the bytes (table ``image_checksum``); reading compares them. Damage is reported
by frame number and round, with the frame's newest intact earlier image as the way out.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from storyboard_app.project.errors import DamagedImageError

# The parts of an image and where they live: (name, table, column).
PARTS = (
    ("PNG", "image_png", "png"),
    ("thumbnail", "image_thumbnail", "png"),
    ("embedding", "image_embedding", "data"),
)
_CHECKSUM_COLUMN = {
    "PNG": "png_sha256",
    "thumbnail": "thumbnail_sha256",
    "embedding": "embedding_sha256",
}


def sha256(data: bytes) -> bytes:
    """The 32-byte SHA-256 digest stored beside every blob."""
    return hashlib.sha256(data).digest()


@dataclass(frozen=True)
class ImageDamage:
    """One damaged image: which frame (1-based number) and round, and what is wrong."""

    image_id: int
    frame_id: int
    frame_number: int
    round: int
    problems: tuple[str, ...]  # e.g. ("its PNG does not match its checksum",)

    def describe(self) -> str:
        return (
            f"frame {self.frame_number}, round {self.round} (image {self.image_id}): "
            + "; ".join(self.problems)
        )


def part_problem(name: str, data: bytes | None, digest: bytes | None) -> str | None:
    """What is wrong with one stored part (None when it matches its checksum)."""
    if data is None:
        return f"its {name} is missing"
    if digest is None:
        return "it has no checksum"
    if sha256(bytes(data)) != bytes(digest):
        return f"its {name} does not match its checksum"
    return None


def _where(conn: sqlite3.Connection, image_id: int) -> tuple[int, int, int]:
    row = conn.execute(
        "SELECT i.frame_id, f.position + 1, i.round FROM image i JOIN frame f ON f.id = i.frame_id "
        "WHERE i.id = ?",
        (image_id,),
    ).fetchone()
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)


def check_part(
    conn: sqlite3.Connection, image_id: int, name: str, path: Path | None = None
) -> bytes | None:
    """One part's bytes after comparing them with their checksum (None: no such image).

    Raises DamagedImageError naming the frame and round when they differ.
    """
    table, column = next((t, c) for n, t, c in PARTS if n == name)
    row = conn.execute(
        f"SELECT x.{column}, c.{_CHECKSUM_COLUMN[name]} FROM image i "
        f"LEFT JOIN {table} x ON x.image_id = i.id "
        "LEFT JOIN image_checksum c ON c.image_id = i.id WHERE i.id = ?",
        (image_id,),
    ).fetchone()
    if row is None:
        return None
    problem = part_problem(name, row[0], row[1])
    if problem is not None:
        raise damaged_error(conn, image_id, (problem,), path)
    return bytes(row[0])


def image_problems(conn: sqlite3.Connection, image_id: int) -> tuple[str, ...]:
    """Everything wrong with one image's stored parts (empty when it is intact)."""
    columns = ", ".join(f"x{k}.{c}, c.{_CHECKSUM_COLUMN[n]}" for k, (n, _, c) in enumerate(PARTS))
    joins = " ".join(
        f"LEFT JOIN {t} x{k} ON x{k}.image_id = i.id" for k, (_, t, _) in enumerate(PARTS)
    )
    row = conn.execute(
        f"SELECT {columns} FROM image i {joins} "
        "LEFT JOIN image_checksum c ON c.image_id = i.id WHERE i.id = ?",
        (image_id,),
    ).fetchone()
    if row is None:
        return ()
    problems = [part_problem(n, row[2 * k], row[2 * k + 1]) for k, (n, _, _) in enumerate(PARTS)]
    unique = dict.fromkeys(p for p in problems if p is not None)
    return tuple(unique)


def scan_images(
    conn: sqlite3.Connection, image_ids: Sequence[int] | None = None
) -> Iterator[ImageDamage]:
    """The damaged ones among ``image_ids`` (default: every image), one image read at a time,
    in story order then round."""
    rows = conn.execute(
        "SELECT i.id, i.frame_id, f.position + 1, i.round FROM image i "
        "JOIN frame f ON f.id = i.frame_id ORDER BY f.position, i.round, i.id"
    ).fetchall()
    wanted = None if image_ids is None else set(image_ids)
    for image_id, frame_id, number, rnd in rows:
        if wanted is not None and image_id not in wanted:
            continue
        problems = image_problems(conn, image_id)
        if problems:
            yield ImageDamage(image_id, frame_id, number, rnd, problems)


def intact_earlier_image(conn: sqlite3.Connection, image_id: int) -> tuple[int, int] | None:
    """(id, round) of the frame's newest intact image before ``image_id``, if there is one."""
    frame_id, _, rnd = _where(conn, image_id)
    rows = conn.execute(
        "SELECT id, round FROM image WHERE frame_id = ? AND id != ? AND (round < ? OR "
        "(round = ? AND id < ?)) ORDER BY round DESC, id DESC",
        (frame_id, image_id, rnd, rnd, image_id),
    ).fetchall()
    for other_id, other_round in rows:
        if not image_problems(conn, other_id):
            return int(other_id), int(other_round)
    return None


def damaged_error(
    conn: sqlite3.Connection, image_id: int, problems: Sequence[str], path: Path | None = None
) -> DamagedImageError:
    """The error for a damaged image: frame number, round, and the intact earlier round."""
    frame_id, number, rnd = _where(conn, image_id)
    damage = ImageDamage(image_id, frame_id, number, rnd, tuple(problems))
    where = f" in {path}" if path is not None else ""
    message = f"Frame {number}'s image {image_id} (round {rnd}) is damaged{where}: " + "; ".join(
        problems
    )
    earlier = intact_earlier_image(conn, image_id)
    if earlier is not None:
        target = path if path is not None else "PROJECT"
        message += (
            f". Its round {earlier[1]} (image {earlier[0]}) is intact: make it the frame's "
            f"image (storyboard choose {target} --frame {number} --image {earlier[0]}), or "
            "re-draw the frame."
        )
    else:
        message += ". No earlier round of this frame is intact; re-draw the frame."
    return DamagedImageError(message, path=path, damage=damage, earlier=earlier)
