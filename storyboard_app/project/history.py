"""Every round of every frame: passes, committed images, the current image, and the board.

One generated image is one transaction (metadata, full PNG, thumbnail, embedding and the
engine's record together), so a crash loses at most the image in flight. Full PNGs live in a
table of their own that the board and the history never read.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from engine.prompts import compile_card
from storyboard_app.project.connection import now_text, parse_time
from storyboard_app.project.editing import FRAME_COLUMNS, StoryEditing, card_source_hash
from storyboard_app.project.editing import frame_from_row as _frame_from_row
from storyboard_app.project.errors import InvalidImageError, InvalidValueError, PassStateError
from storyboard_app.project.imaging import (
    EMBEDDING_DTYPE,
    decode_embedding,
    encode_embedding,
    make_thumbnail,
    png_size,
)
from storyboard_app.project.model import BoardCard, ImageInfo, PassInfo

FINAL_STATUSES = ("complete", "cancelled", "failed")
RESUMABLE_STATUSES = ("interrupted", "cancelled")
_IMAGE_COLUMNS = (
    "i.id, i.frame_id, i.pass_id, i.round, i.seed, i.ip_scale, i.width, i.height, i.created, "
    "i.source_hash, i.record_json, e.image_id IS NOT NULL"
)
_IMAGE_FROM = "image i LEFT JOIN image_embedding e ON e.image_id = i.id"
_PASS_COLUMNS = (
    "id, kind, status, frame_ids_json, reference_image_ids_json, settings_json, created, "
    "finished, error"
)
# A frame's current image: the chosen one, else the latest (highest round, then newest).
_CURRENT_IMAGE = (
    "COALESCE(f.chosen_image_id, (SELECT i.id FROM image i WHERE i.frame_id = f.id "
    "ORDER BY i.round DESC, i.id DESC LIMIT 1))"
)


def _image_from_row(row: tuple[Any, ...]) -> ImageInfo:
    image_id, frame_id, pass_id, rnd, seed, scale, width, height, created, source, record = row[:11]
    return ImageInfo(
        id=image_id,
        frame_id=frame_id,
        pass_id=pass_id,
        round=rnd,
        seed=seed,
        ip_scale=scale,
        width=width,
        height=height,
        created=parse_time(created),
        source_hash=source,
        record=json.loads(record),
        has_embedding=bool(row[11]),
    )


def _pass_from_row(row: tuple[Any, ...]) -> PassInfo:
    pass_id, kind, status, frames, references, settings, created, finished, error = row
    return PassInfo(
        id=pass_id,
        kind=kind,
        status=status,
        frame_ids=tuple(json.loads(frames)),
        reference_image_ids=tuple(json.loads(references)),
        settings=json.loads(settings),
        created=parse_time(created),
        finished=parse_time(finished) if finished else None,
        error=error,
    )


def _json_text(value: Any, what: str) -> str:
    try:
        return json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise InvalidValueError(f"{what} must be plain JSON data ({e}).") from None


def _id_list(values: Iterable[Any], what: str) -> list[int]:
    ids = list(values)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in ids):
        raise InvalidValueError(f"{what} must be whole-number ids; got {ids!r}.")
    return ids


class ImageHistory(StoryEditing):
    """Passes, images, current images and the board (a part of ProjectStore)."""

    # ------------------------------------------------------------------ passes

    def begin_pass(
        self,
        kind: str,
        frame_ids: Sequence[int],
        reference_image_ids: Sequence[int],
        settings: Mapping[str, Any],
    ) -> int:
        """Record a new running pass and return its id.

        ``reference_image_ids`` is the reference set every frame attends to (in order);
        ``settings`` is the pass's generation settings as JSON data. Only one pass runs at
        a time (PassStateError otherwise).
        """
        if not isinstance(kind, str) or not kind.strip():
            raise InvalidValueError(f"A pass kind must be non-empty text, not {kind!r}.")
        frames = _id_list(frame_ids, "Pass frames")
        references = _id_list(reference_image_ids, "Reference images")
        if len(set(frames)) != len(frames):
            raise InvalidValueError("A pass lists the same frame twice.")
        settings_json = _json_text(dict(settings), "Pass settings")
        with self._write() as conn:
            running = conn.execute("SELECT id FROM render_pass WHERE status = 'running'").fetchone()
            if running is not None:
                raise PassStateError(
                    f"Pass {running[0]} is still running; one pass runs at a time."
                )
            self._require_ids(conn, "frame", frames, "frame")
            self._require_ids(conn, "image", references, "reference image")
            cursor = conn.execute(
                "INSERT INTO render_pass (kind, status, frame_ids_json, reference_image_ids_json, "
                "settings_json, created) VALUES (?, 'running', ?, ?, ?, ?)",
                (
                    kind.strip(),
                    json.dumps(frames),
                    json.dumps(references),
                    settings_json,
                    now_text(),
                ),
            )
            return int(cursor.lastrowid)

    def finish_pass(self, pass_id: int, status: str, error: str = "") -> PassInfo:
        """End a running pass as "complete", "cancelled" or "failed" (with the error text)."""
        if status not in FINAL_STATUSES:
            raise InvalidValueError(
                f"A pass finishes as one of {', '.join(FINAL_STATUSES)}, not {status!r}."
            )
        if not isinstance(error, str):
            raise InvalidValueError("A pass error must be text.")
        with self._write() as conn:
            info = self._pass_in(conn, pass_id)
            if info.status != "running":
                raise PassStateError(f"Pass {pass_id} is {info.status}, not running.")
            conn.execute(
                "UPDATE render_pass SET status = ?, finished = ?, error = ? WHERE id = ?",
                (status, now_text(), error, pass_id),
            )
            return self._pass_in(conn, pass_id)

    def reopen_pass(self, pass_id: int) -> PassInfo:
        """Set an interrupted or cancelled pass running again, to resume it.

        Its frames, reference set and settings are unchanged; images it already committed
        stay. ``pending_frame_ids`` says which frames are still to draw.
        """
        with self._write() as conn:
            info = self._pass_in(conn, pass_id)
            if info.status not in RESUMABLE_STATUSES:
                raise PassStateError(f"Pass {pass_id} is {info.status}; it cannot be resumed.")
            running = conn.execute("SELECT id FROM render_pass WHERE status = 'running'").fetchone()
            if running is not None:
                raise PassStateError(
                    f"Pass {running[0]} is still running; one pass runs at a time."
                )
            missing = self._missing_ids(conn, "image", info.reference_image_ids)
            if missing:
                raise PassStateError(
                    f"Pass {pass_id} cannot be resumed: its reference images {missing} were "
                    "deleted with their frames."
                )
            conn.execute(
                "UPDATE render_pass SET status = 'running', finished = NULL, error = '' "
                "WHERE id = ?",
                (pass_id,),
            )
            return self._pass_in(conn, pass_id)

    def pass_info(self, pass_id: int) -> PassInfo:
        """One pass (NotFoundError if there is none with this id)."""
        with self._read() as conn:
            return self._pass_in(conn, pass_id)

    def passes(self) -> list[PassInfo]:
        """Every pass, oldest first."""
        with self._read() as conn:
            return [
                _pass_from_row(r)
                for r in conn.execute(f"SELECT {_PASS_COLUMNS} FROM render_pass ORDER BY id")
            ]

    def unfinished_passes(self) -> list[PassInfo]:
        """Interrupted and cancelled passes that can still be resumed, oldest first.

        A pass whose reference images were deleted (with their frames) cannot be resumed
        and is left out; so is one with no frame left to draw.
        """
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_PASS_COLUMNS} FROM render_pass "
                "WHERE status IN ('interrupted', 'cancelled') ORDER BY id"
            ).fetchall()
            return [
                info
                for info in map(_pass_from_row, rows)
                if not self._missing_ids(conn, "image", info.reference_image_ids)
                and self._pending_in(conn, info)
            ]

    def pending_frame_ids(self, pass_id: int) -> tuple[int, ...]:
        """Frames of a pass that have no image from it yet (and still exist), in pass order."""
        with self._read() as conn:
            return self._pending_in(conn, self._pass_in(conn, pass_id))

    def images_of_pass(self, pass_id: int) -> list[ImageInfo]:
        """The images a pass committed, in commit order."""
        with self._read() as conn:
            self._pass_in(conn, pass_id)
            rows = conn.execute(
                f"SELECT {_IMAGE_COLUMNS} FROM {_IMAGE_FROM} WHERE i.pass_id = ? ORDER BY i.id",
                (pass_id,),
            )
            return [_image_from_row(r) for r in rows]

    def _pass_in(self, conn: sqlite3.Connection, pass_id: int) -> PassInfo:
        row = conn.execute(
            f"SELECT {_PASS_COLUMNS} FROM render_pass WHERE id = ?", (pass_id,)
        ).fetchone()
        if row is None:
            raise self._missing("pass", pass_id)
        return _pass_from_row(row)

    def _pending_in(self, conn: sqlite3.Connection, info: PassInfo) -> tuple[int, ...]:
        done = {
            r[0] for r in conn.execute("SELECT frame_id FROM image WHERE pass_id = ?", (info.id,))
        }
        existing = set(info.frame_ids) - set(self._missing_ids(conn, "frame", info.frame_ids))
        return tuple(f for f in info.frame_ids if f in existing and f not in done)

    @staticmethod
    def _missing_ids(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> list[int]:
        if not ids:
            return []
        found = {
            r[0]
            for r in conn.execute(
                f"SELECT id FROM {table} WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(list(ids)),),
            )
        }
        return [i for i in ids if i not in found]

    def _require_ids(
        self, conn: sqlite3.Connection, table: str, ids: Sequence[int], what: str
    ) -> None:
        missing = self._missing_ids(conn, table, ids)
        if missing:
            raise self._missing(what, missing[0])

    # ------------------------------------------------------------------ committing images

    def commit_image(
        self,
        *,
        pass_id: int,
        frame_id: int,
        round: int,
        png: bytes,
        embedding: np.ndarray,
        record: Mapping[str, Any],
        source_hash: str,
        seed: int,
        ip_scale: float,
        width: int,
        height: int,
        thumbnail_png: bytes | None = None,
    ) -> int:
        """Store one generated image in one transaction and return its id.

        The image row, full PNG, thumbnail (made from ``png`` when None), embedding (float32
        in, float16 stored) and the engine's record go in together or not at all. The pass
        must be running; ``source_hash`` is the frame's ``source_hash`` when the job was
        planned; ``width``/``height`` must match the PNG.
        """
        if isinstance(round, bool) or not isinstance(round, int) or round < 0:
            raise InvalidValueError(f"An image round must be a whole number >= 0, not {round!r}.")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise InvalidValueError(f"An image seed must be a whole number >= 0, not {seed!r}.")
        if isinstance(ip_scale, bool) or not isinstance(ip_scale, int | float):
            raise InvalidValueError(f"An adapter scale must be a number, not {ip_scale!r}.")
        if not math.isfinite(ip_scale):
            raise InvalidValueError(f"An adapter scale must be finite, not {ip_scale!r}.")
        if not isinstance(source_hash, str) or not source_hash:
            raise InvalidValueError("An image needs its frame's source hash.")
        if png_size(png) != (width, height):
            raise InvalidImageError(
                f"The PNG is {'×'.join(map(str, png_size(png)))} but the image was recorded "
                f"as {width}×{height}."
            )
        thumbnail = make_thumbnail(png) if thumbnail_png is None else thumbnail_png
        png_size(thumbnail, "The thumbnail")
        dim, embedding_bytes = encode_embedding(embedding)
        record_json = _json_text(dict(record), "An image record")
        with self._write() as conn:
            self._frame_in(conn, frame_id)
            info = self._pass_in(conn, pass_id)
            if info.status != "running":
                raise PassStateError(f"Pass {pass_id} is {info.status}; it takes no more images.")
            cursor = conn.execute(
                "INSERT INTO image (frame_id, pass_id, round, seed, ip_scale, width, height, "
                "created, source_hash, record_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    frame_id,
                    pass_id,
                    round,
                    seed,
                    float(ip_scale),
                    width,
                    height,
                    now_text(),
                    source_hash,
                    record_json,
                ),
            )
            image_id = int(cursor.lastrowid)
            conn.execute(
                "INSERT INTO image_png (image_id, png) VALUES (?, ?)", (image_id, bytes(png))
            )
            conn.execute(
                "INSERT INTO image_thumbnail (image_id, png) VALUES (?, ?)",
                (image_id, bytes(thumbnail)),
            )
            conn.execute(
                "INSERT INTO image_embedding (image_id, dim, dtype, data) VALUES (?, ?, ?, ?)",
                (image_id, dim, EMBEDDING_DTYPE, embedding_bytes),
            )
            return image_id

    # ------------------------------------------------------------------ reading images

    def image_info(self, image_id: int) -> ImageInfo:
        """What is known about an image, without its pixels."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_IMAGE_COLUMNS} FROM {_IMAGE_FROM} WHERE i.id = ?", (image_id,)
            ).fetchone()
        if row is None:
            raise self._missing("image", image_id)
        return _image_from_row(row)

    def image_png(self, image_id: int) -> bytes:
        """The full-size PNG bytes of an image."""
        return self._blob("SELECT png FROM image_png WHERE image_id = ?", image_id)

    def thumbnail_png(self, image_id: int) -> bytes:
        """The thumbnail PNG bytes of an image."""
        return self._blob("SELECT png FROM image_thumbnail WHERE image_id = ?", image_id)

    def image_embedding(self, image_id: int) -> np.ndarray:
        """An image's embedding as a float32 vector."""
        return self.image_embeddings([image_id])[0]

    def image_embeddings(self, image_ids: Sequence[int]) -> np.ndarray:
        """The embeddings of ``image_ids`` stacked in that order: (N, D) float32.

        Raises NotFoundError for an unknown id and InvalidValueError when dimensions differ.
        """
        ids = _id_list(image_ids, "Image ids")
        with self._read() as conn:
            rows = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    "SELECT image_id, dim, data FROM image_embedding "
                    "WHERE image_id IN (SELECT value FROM json_each(?))",
                    (json.dumps(ids),),
                )
            }
        for image_id in ids:
            if image_id not in rows:
                raise self._missing("image embedding", image_id)
        dims = {rows[i][0] for i in ids}
        if len(dims) > 1:
            raise InvalidValueError(
                f"The images have embeddings of different sizes {sorted(dims)}."
            )
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([decode_embedding(*rows[i]) for i in ids])

    def images_of_frame(self, frame_id: int) -> list[ImageInfo]:
        """A frame's image history: by round, then in commit order."""
        with self._read() as conn:
            self._frame_in(conn, frame_id)
            rows = conn.execute(
                f"SELECT {_IMAGE_COLUMNS} FROM {_IMAGE_FROM} WHERE i.frame_id = ? "
                "ORDER BY i.round, i.id",
                (frame_id,),
            )
            return [_image_from_row(r) for r in rows]

    def current_image_id(self, frame_id: int) -> int | None:
        """The frame's chosen image, else its latest (highest round, then newest); None if none."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {_CURRENT_IMAGE} FROM frame f WHERE f.id = ?", (frame_id,)
            ).fetchone()
        if row is None:
            raise self._missing("frame", frame_id)
        return row[0]

    def choose_image(self, frame_id: int, image_id: int | None) -> None:
        """Make ``image_id`` (one of the frame's own images) its current image; None goes back
        to following the latest image."""
        with self._write() as conn:
            self._frame_in(conn, frame_id)
            if image_id is not None:
                row = conn.execute(
                    "SELECT frame_id FROM image WHERE id = ?", (image_id,)
                ).fetchone()
                if row is None:
                    raise self._missing("image", image_id)
                if row[0] != frame_id:
                    raise InvalidValueError(
                        f"Image {image_id} belongs to another frame; a frame can only show "
                        "its own images."
                    )
            conn.execute("UPDATE frame SET chosen_image_id = ? WHERE id = ?", (image_id, frame_id))

    def current_embeddings(
        self, frame_ids: Sequence[int] | None = None
    ) -> tuple[list[int], np.ndarray]:
        """The current images' embeddings of ``frame_ids`` (default: every frame, in story
        order): (image ids, (N, D) float32). Frames without an image are skipped."""
        with self._read() as conn:
            rows = conn.execute(f"SELECT f.id, {_CURRENT_IMAGE} FROM frame f ORDER BY f.position")
            current = {frame_id: image_id for frame_id, image_id in rows}
            if frame_ids is None:
                order = list(current)
            else:
                order = _id_list(frame_ids, "Frame ids")
                self._require_ids(conn, "frame", order, "frame")
            ids = [current[f] for f in order if current[f] is not None]
            return ids, self.image_embeddings(ids)

    def _blob(self, sql: str, image_id: int) -> bytes:
        with self._read() as conn:
            row = conn.execute(sql, (image_id,)).fetchone()
        if row is None:
            raise self._missing("image", image_id)
        return bytes(row[0])

    # ------------------------------------------------------------------ the board

    def board(self) -> list[BoardCard]:
        """Every frame in story order with its compiled prompt, current thumbnail, history
        size and staleness: one snapshot, one query; full-size PNGs are never read."""
        with self._read() as conn:
            cast = {
                name: text
                for name, text in conn.execute("SELECT name, description FROM cast_member")
            }
            rows = conn.execute(
                f"""
                WITH card AS (
                    SELECT {", ".join("f." + c.strip() for c in FRAME_COLUMNS.split(","))},
                           {_CURRENT_IMAGE} AS current_id,
                           (SELECT count(*) FROM image i WHERE i.frame_id = f.id) AS image_count,
                           (SELECT max(round) FROM image i WHERE i.frame_id = f.id) AS latest
                    FROM frame f
                )
                SELECT card.*, ci.source_hash, t.png
                FROM card
                LEFT JOIN image ci ON ci.id = card.current_id
                LEFT JOIN image_thumbnail t ON t.image_id = card.current_id
                ORDER BY card.position
                """
            ).fetchall()
        cards = []
        for row in rows:
            frame = _frame_from_row(row[:13])
            current_id, image_count, latest, image_hash, thumbnail = row[13:]
            prompt = compile_card(frame.character, frame.interaction, frame.scene, cast)
            stale = current_id is not None and image_hash != card_source_hash(
                prompt, frame.pose_json, frame.seed_override
            )
            cards.append(
                BoardCard(
                    frame=frame,
                    compiled_prompt=prompt,
                    current_image_id=current_id,
                    thumbnail_png=bytes(thumbnail) if thumbnail is not None else None,
                    image_count=image_count,
                    latest_round=latest,
                    stale=stale,
                    posed=frame.posed,
                )
            )
        return cards

    def stale_frame_ids(self) -> list[int]:
        """Frames whose card changed since their current image was made, in story order."""
        return [card.frame.id for card in self.board() if card.stale]

    def is_stale(self, frame_id: int) -> bool:
        """Whether a frame's card changed since its current image was made."""
        current = self.current_image_id(frame_id)
        if current is None:
            return False
        return self.image_info(current).source_hash != self.source_hash(frame_id)
