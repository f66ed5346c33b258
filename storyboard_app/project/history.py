"""Every round of every frame: committed images, the current image, and the board.

One generated image is one transaction (metadata, full PNG, thumbnail, embedding and the
engine's record together), so a crash loses at most the image in flight. Full PNGs live in a
table of their own that the board and the history never read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.prompts import compile_card
from storyboard_app.project.checksums import (
    ImageDamage,
    check_part,
    damaged_error,
    part_problem,
    scan_images,
    sha256,
)
from storyboard_app.project.connection import now_text, parse_time, stored_json
from storyboard_app.project.editing import FRAME_COLUMN_COUNT, FRAME_COLUMNS, card_source_hash
from storyboard_app.project.editing import frame_from_row as _frame_from_row
from storyboard_app.project.errors import InvalidImageError, InvalidValueError, PassStateError
from storyboard_app.project.headings import prompt_scene_text
from storyboard_app.project.imaging import (
    EMBEDDING_DTYPE,
    decode_embedding,
    encode_embedding,
    make_thumbnail,
    png_size,
)
from storyboard_app.project.model import BoardCard, ImageInfo
from storyboard_app.project.passes import PassLog, id_list, json_text
from storyboard_app.project.readouts import (
    Readout,
    ReadoutFrame,
    ReadoutTracker,
    frame_cast,
    insert_readout,
    read_readouts,
    readout_from_row,
)
from storyboard_app.project.scene_order import scenes_in
from storyboard_app.project.search import BoardQuery, matching_frame_ids

_IMAGE_COLUMNS = (
    "i.id, i.frame_id, i.pass_id, i.round, i.seed, i.ip_scale, i.width, i.height, i.created, "
    "i.source_hash, i.record_json, e.image_id IS NOT NULL"
)
_IMAGE_FROM = "image i LEFT JOIN image_embedding e ON e.image_id = i.id"
# The card text the read-outs look for @mentions in (Character, Interaction, Scene).
_CARD_TEXT = "f.character || ' ' || f.interaction || ' ' || f.scene"
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
        record=stored_json(record, dict, f"The record of image {image_id}"),
        has_embedding=bool(row[11]),
    )


class ImageHistory(PassLog):
    """Images, current images and the board (a part of ProjectStore)."""

    def images_of_pass(self, pass_id: int) -> list[ImageInfo]:
        """The images a pass committed, in commit order."""
        with self._read() as conn:
            self._pass_in(conn, pass_id)
            rows = conn.execute(
                f"SELECT {_IMAGE_COLUMNS} FROM {_IMAGE_FROM} WHERE i.pass_id = ? ORDER BY i.id",
                (pass_id,),
            )
            return [_image_from_row(r) for r in rows]

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
        readout: Readout | None = None,
    ) -> int:
        """Store one generated image in one transaction and return its id.

        The image row, full PNG, thumbnail (made from ``png`` when None), embedding (float32
        in, float16 stored), their SHA-256 checksums and the engine's record go in together
        or not at all. The pass
        must be running; ``source_hash`` is the frame's ``source_hash`` when the job was
        planned; ``width``/``height`` must match the PNG. ``readout`` (its consistency
        figures) is stored with it.
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
        record_json = json_text(dict(record), "An image record")
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
            conn.execute(
                "INSERT INTO image_checksum (image_id, png_sha256, thumbnail_sha256, "
                "embedding_sha256) VALUES (?, ?, ?, ?)",
                (image_id, sha256(bytes(png)), sha256(bytes(thumbnail)), sha256(embedding_bytes)),
            )
            if readout is not None:
                insert_readout(conn, image_id, readout)
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
        """The full-size PNG bytes of an image, checked against their checksum
        (DamagedImageError naming the frame and round when they do not match)."""
        return self._checked_part(image_id, "PNG")

    def thumbnail_png(self, image_id: int) -> bytes:
        """The thumbnail PNG bytes of an image, checked against their checksum."""
        return self._checked_part(image_id, "thumbnail")

    def damaged_images(self, image_ids: Sequence[int] | None = None) -> list[ImageDamage]:
        """The damaged ones among ``image_ids`` (default: every image): parts that no longer
        match their checksums or are missing. Reads every byte of those images."""
        with self._read() as conn:
            return list(scan_images(conn, image_ids))

    def image_count(self) -> int:
        """How many images the project holds (every round of every frame)."""
        with self._read() as conn:
            return int(conn.execute("SELECT count(*) FROM image").fetchone()[0])

    def check_images(self, image_ids: Sequence[int]) -> None:
        """Raise DamagedImageError for the first damaged image of ``image_ids``: its message
        names the frame and round, and the frame's intact earlier round if there is one."""
        ids = id_list(image_ids, "Image ids")
        with self._read() as conn:
            for damage in scan_images(conn, ids):
                raise damaged_error(conn, damage.image_id, damage.problems, self.path)

    def _checked_part(self, image_id: int, part: str) -> bytes:
        with self._read() as conn:
            data = check_part(conn, image_id, part, self.path)
        if data is None:
            raise self._missing("image", image_id)
        return data

    def image_embedding(self, image_id: int) -> np.ndarray:
        """An image's embedding as a float32 vector."""
        return self.image_embeddings([image_id])[0]

    def image_embeddings(self, image_ids: Sequence[int]) -> np.ndarray:
        """The embeddings of ``image_ids`` stacked in that order: (N, D) float32.

        Raises NotFoundError for an unknown id and InvalidValueError when dimensions differ.
        """
        ids = id_list(image_ids, "Image ids")
        with self._read() as conn:
            rows = {}
            for image_id, dim, data, digest in conn.execute(
                "SELECT e.image_id, e.dim, e.data, c.embedding_sha256 FROM image_embedding e "
                "LEFT JOIN image_checksum c ON c.image_id = e.image_id "
                "WHERE e.image_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            ).fetchall():
                problem = part_problem("embedding", data, digest)
                if problem is not None:
                    raise damaged_error(conn, image_id, (problem,), self.path)
                rows[image_id] = (dim, data)
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
                order = id_list(frame_ids, "Frame ids")
                self._require_ids(conn, "frame", order, "frame")
            ids = [current[f] for f in order if current[f] is not None]
            return ids, self.image_embeddings(ids)

    # ------------------------------------------------------------------ read-outs

    def image_readouts(self, image_ids: Sequence[int]) -> dict[int, Readout]:
        """The stored consistency read-outs of ``image_ids`` (those without one are left out)."""
        with self._read() as conn:
            return read_readouts(conn, id_list(image_ids, "Image ids"))

    def readout_frames(self) -> list[ReadoutFrame]:
        """Every frame in story order as the read-outs see it (no image is read)."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT f.id, {_CARD_TEXT}, {_CURRENT_IMAGE} FROM frame f ORDER BY f.position"
            ).fetchall()
        return [ReadoutFrame(int(i), str(t), None if c is None else int(c)) for i, t, c in rows]

    def readout_rows(self) -> list[tuple[int, int, int, Readout | None]]:
        """Every image as (frame id, image id, round, read-out or None), in commit order."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT i.frame_id, i.id, i.round, r.image_id IS NOT NULL, r.alignment, "
                "r.consistency, r.change, r.cast_json "
                "FROM image i LEFT JOIN image_readout r ON r.image_id = i.id ORDER BY i.id"
            ).fetchall()
        return [
            (int(f), int(i), int(rnd), readout_from_row(row[4:]) if has else None)
            for row in rows
            for f, i, rnd, has in (row[:4],)
        ]

    def images_without_alignment(self) -> list[tuple[int, str]]:
        """Images whose read-out has no alignment yet, as (image id, the card prompt it was
        drawn from), oldest first (images from before read-outs existed)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT i.id, json_extract(i.record_json, '$.prompt') FROM image i "
                "JOIN image_readout r ON r.image_id = i.id "
                "WHERE r.alignment IS NULL ORDER BY i.id"
            ).fetchall()
        return [(int(i), str(p)) for i, p in rows if isinstance(p, str) and p]

    def set_alignments(self, alignments: Mapping[int, float]) -> None:
        """Fill in the alignment of images' read-outs (one transaction)."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE image_readout SET alignment = ? WHERE image_id = ?",
                [(min(max(float(a), -1.0), 1.0), int(i)) for i, a in alignments.items()],
            )

    def readout_tracker(self) -> ReadoutTracker:
        """Cast per frame and every current image's embedding, for read-outs at commit."""
        with self._read() as conn:
            cast_names = [name for (name,) in conn.execute("SELECT name FROM cast_member")]
            rows = conn.execute(
                f"SELECT f.id, {_CARD_TEXT}, "
                f"f.chosen_image_id IS NOT NULL, {_CURRENT_IMAGE} FROM frame f"
            ).fetchall()
        texts = {int(r[0]): str(r[1]) for r in rows}
        chosen = {int(r[0]) for r in rows if r[2]}
        current_of = {int(r[0]): int(r[3]) for r in rows if r[3] is not None}
        try:
            embeddings = self.image_embeddings(list(current_of.values())) if current_of else []
        except InvalidValueError:  # embeddings of different widths: models were changed
            embeddings, current_of = [], {}
        current = dict(zip(current_of, embeddings, strict=True))
        return ReadoutTracker(frame_cast(texts, cast_names), current, chosen)

    # ------------------------------------------------------------------ the board

    def board(self) -> list[BoardCard]:
        """Every frame in story order with its compiled prompt, current thumbnail, history
        size and staleness: one snapshot, one query; full-size PNGs are never read."""
        with self._read() as conn:
            cast = {
                name: text
                for name, text in conn.execute("SELECT name, description FROM cast_member")
            }
            scenes = {scene.id: scene for scene in scenes_in(conn)}
            rows = conn.execute(
                f"""
                WITH card AS (
                    SELECT {", ".join("f." + c.strip() for c in FRAME_COLUMNS.split(","))},
                           {_CURRENT_IMAGE} AS current_id,
                           (SELECT count(*) FROM image i WHERE i.frame_id = f.id) AS image_count,
                           (SELECT max(round) FROM image i WHERE i.frame_id = f.id) AS latest
                    FROM frame f
                )
                SELECT card.*, ci.source_hash, t.png, ci.round, c.thumbnail_sha256
                FROM card
                LEFT JOIN image ci ON ci.id = card.current_id
                LEFT JOIN image_thumbnail t ON t.image_id = card.current_id
                LEFT JOIN image_checksum c ON c.image_id = card.current_id
                ORDER BY card.position
                """
            ).fetchall()
        cards = []
        for row in rows:
            frame = _frame_from_row(row[:FRAME_COLUMN_COUNT])
            current_id, image_count, latest, image_hash, thumbnail, current_round, digest = row[
                FRAME_COLUMN_COUNT:
            ]
            damaged = current_id is not None and (
                part_problem("thumbnail", thumbnail, digest) is not None
            )
            scene_text = prompt_scene_text(frame, scenes.get(frame.scene_id or 0))
            prompt = compile_card(frame.character, frame.interaction, scene_text, cast)
            stale = current_id is not None and image_hash != card_source_hash(
                prompt, frame.pose_json, frame.seed_override
            )
            cards.append(
                BoardCard(
                    frame=frame,
                    compiled_prompt=prompt,
                    current_image_id=current_id,
                    thumbnail_png=None if damaged or thumbnail is None else bytes(thumbnail),
                    image_count=image_count,
                    latest_round=latest,
                    stale=stale,
                    posed=frame.posed,
                    current_round=current_round,
                    thumbnail_damaged=damaged,
                )
            )
        return cards

    def frames_matching(self, text: str) -> frozenset[int] | None:
        """Ids of the frames whose card text has every word of ``text`` (each as a word's
        start, ignoring case and accents); None when ``text`` has no words (no filter)."""
        with self._read() as conn:
            return matching_frame_ids(conn, text)

    def find_cards(self, query: BoardQuery) -> list[BoardCard]:
        """The board's cards that ``query`` admits, in story order (one snapshot)."""
        with self._read():
            cards = self.board()
            matches = self.frames_matching(query.text)
        return [card for card in cards if query.admits(card, matches)]

    def stale_frame_ids(self) -> list[int]:
        """Frames whose card changed since their current image was made, in story order."""
        return [card.frame.id for card in self.board() if card.stale]

    def is_stale(self, frame_id: int) -> bool:
        """Whether a frame's card changed since its current image was made."""
        current = self.current_image_id(frame_id)
        if current is None:
            return False
        return self.image_info(current).source_hash != self.source_hash(frame_id)
