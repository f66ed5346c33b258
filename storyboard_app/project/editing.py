"""The writer's side of a project: the story, its cast and its frame cards, and what a card
compiles to (prompt, seed, source hash for staleness).

Every edit is one small transaction. Frame positions stay dense (0..n-1) through every
insert, move and delete; frame ids never change and are never reused.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from engine.api import MAX_FRAMES
from engine.errors import PoseError
from engine.pose import parse_openpose, pose_fingerprint
from engine.prompts import compile_card
from storyboard_app.project.connection import (
    StoreConnection,
    StoredDataError,
    parse_time,
    stored_ids,
    stored_json,
)
from storyboard_app.project.errors import (
    CastNameTakenError,
    InvalidPoseError,
    InvalidValueError,
    PassStateError,
)
from storyboard_app.project.headings import prompt_scene_text
from storyboard_app.project.model import (
    CAST_PALETTE,
    FRAME_TEXT_FIELDS,
    CastMember,
    Frame,
    Story,
    StorySettings,
    check_color,
    check_frame_fields,
)
from storyboard_app.project.scene_order import (
    check_scene_order,
    end_of_scene,
    scene_for_new_frames,
    scene_in,
)

_CAST_NAME = re.compile(r"\w{1,100}")
FRAME_COLUMNS = (
    "id, position, character, interaction, scene, caption, notes, shot_label, duration, "
    "pose_json, seed_override, locked, chosen_image_id, scene_id"
)
FRAME_COLUMN_COUNT = len(FRAME_COLUMNS.split(","))
SOURCE_HASH_VERSION = "storyiter-source-v1"


def frame_from_row(row: tuple[Any, ...]) -> Frame:
    """A Frame from a row selected with ``FRAME_COLUMNS``."""
    (fid, position, character, interaction, scene, caption, notes, shot, duration, pose) = row[:10]
    seed_override, locked, chosen, scene_id = row[10:14]
    return Frame(
        id=fid,
        position=position,
        character=character,
        interaction=interaction,
        scene=scene,
        caption=caption,
        notes=notes,
        shot_label=shot,
        duration=float(duration),
        pose_json=pose,
        seed_override=seed_override,
        locked=bool(locked),
        chosen_image_id=chosen,
        scene_id=scene_id,
    )


@lru_cache(maxsize=1024)
def pose_json_fingerprint(pose_json: str | None) -> str:
    """The engine's pose fingerprint of stored pose JSON ("" for none).

    A stored pose the parser no longer accepts is fingerprinted by its raw text, so the
    board still opens and the frame shows as changed once the pose is fixed.
    """
    if pose_json is None:
        return ""
    try:
        return pose_fingerprint(parse_openpose(pose_json))
    except PoseError:
        return "raw:" + hashlib.sha256(pose_json.encode("utf-8", "surrogatepass")).hexdigest()


def card_source_hash(prompt: str, pose_json: str | None, seed_override: int | None) -> str:
    """sha256 of what makes a frame's image: compiled prompt, pose fingerprint, seed override."""
    seed = "" if seed_override is None else str(seed_override)
    text = "\0".join((SOURCE_HASH_VERSION, prompt, pose_json_fingerprint(pose_json), seed))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _check_pose(fields: Mapping[str, Any]) -> None:
    pose_json = fields.get("pose_json")
    if pose_json is not None:
        try:
            parse_openpose(pose_json)
        except PoseError as e:
            raise InvalidPoseError(str(e)) from None


def _mention(name: str) -> re.Pattern[str]:
    # The same boundaries the engine's prompt compiler uses for @Name.
    return re.compile(rf"(?<![\w@])@{re.escape(name)}(?!\w)", re.IGNORECASE)


class StoryEditing(StoreConnection):
    """Story, cast and frame cards (a part of ProjectStore)."""

    # ------------------------------------------------------------------ story

    def story(self) -> Story:
        """The story's title, settings, model configuration reference and times."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT title, settings_json, models_config, created, modified FROM story"
            ).fetchone()
            if row is None:
                raise StoredDataError("its story row is missing")
            title, settings_json, models_config, created, modified = row
            try:
                settings = StorySettings.from_dict(
                    stored_json(settings_json, dict, "The story settings")
                )
            except InvalidValueError as e:
                raise StoredDataError(f"the story settings are invalid ({e})") from None
            return Story(
                title=title,
                settings=settings,
                models_config=models_config,
                created=parse_time(created),
                modified=parse_time(modified),
            )

    def settings(self) -> StorySettings:
        """The story's settings (shortcut for ``story().settings``)."""
        return self.story().settings

    def update_story(
        self, *, title: str | None = None, settings: StorySettings | None = None
    ) -> Story:
        """Change the title and/or the settings."""
        changes: dict[str, str] = {}
        if title is not None:
            if not isinstance(title, str) or not title.strip() or len(title) > 1000:
                raise InvalidValueError(f"A story title must be non-empty text; got {title!r}.")
            changes["title"] = title.strip()
        if settings is not None:
            if not isinstance(settings, StorySettings):
                raise InvalidValueError("Story settings must be a StorySettings value.")
            changes["settings_json"] = json.dumps(settings.to_dict())
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            with self._write() as conn:
                conn.execute(
                    f"UPDATE story SET {assignments} WHERE id = 1", tuple(changes.values())
                )
        return self.story()

    def set_models_config(self, models_config: str | None) -> Story:
        """Name the model configuration (an entry or path in the user's config; None = default)."""
        if models_config is not None and (
            not isinstance(models_config, str) or len(models_config) > 4096
        ):
            raise InvalidValueError("A model configuration reference must be text or None.")
        with self._write() as conn:
            conn.execute("UPDATE story SET models_config = ? WHERE id = 1", (models_config,))
        return self.story()

    # ------------------------------------------------------------------ cast

    def cast(self) -> list[CastMember]:
        """Every cast member, in the order they were added."""
        with self._read() as conn:
            rows = conn.execute("SELECT id, name, description, color FROM cast_member ORDER BY id")
            return [CastMember(*row) for row in rows]

    def cast_member(self, member_id: int) -> CastMember:
        """One cast member (NotFoundError if there is none with this id)."""
        with self._read() as conn:
            return self._cast_member_in(conn, member_id)

    def cast_descriptions(self) -> dict[str, str]:
        """name -> description: the mapping the prompt compiler resolves ``@Name`` with."""
        return {member.name: member.description for member in self.cast()}

    def add_cast_member(
        self, name: str, description: str = "", color: str | None = None
    ) -> CastMember:
        """Add a character; ``name`` is how cards mention it (``@Name``), unique ignoring case.

        Without a colour the next one of the palette is given.
        """
        name = self._check_cast_name(name)
        description = self._check_description(description)
        color = None if color is None else check_color(color)
        with self._write() as conn:
            return self._insert_cast_member(conn, name, description, color)

    def update_cast_member(
        self,
        member_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        color: str | None = None,
    ) -> CastMember:
        """Change a cast member. Renaming also rewrites ``@OldName`` in every card to the new
        name, so the cards keep referring to the same character."""
        changes: dict[str, str] = {}
        if name is not None:
            changes["name"] = self._check_cast_name(name)
        if description is not None:
            changes["description"] = self._check_description(description)
        if color is not None:
            changes["color"] = check_color(color)
        with self._write() as conn:
            old = self._cast_member_in(conn, member_id)
            if not changes:
                return old
            if "name" in changes:
                self._refuse_taken_name(conn, changes["name"], member_id)
            assignments = ", ".join(f"{column} = ?" for column in changes)
            conn.execute(
                f"UPDATE cast_member SET {assignments} WHERE id = ?", (*changes.values(), member_id)
            )
            if "name" in changes and changes["name"] != old.name:
                self._rename_mentions(conn, old.name, changes["name"])
            return self._cast_member_in(conn, member_id)

    def remove_cast_member(self, member_id: int) -> None:
        """Remove a cast member. Cards that mention it keep the ``@Name`` text, which the
        prompt compiler then leaves as written (and those frames become stale)."""
        with self._write() as conn:
            self._cast_member_in(conn, member_id)
            conn.execute("DELETE FROM cast_member WHERE id = ?", (member_id,))

    def _insert_cast_member(
        self, conn: sqlite3.Connection, name: str, description: str, color: str | None
    ) -> CastMember:
        self._refuse_taken_name(conn, name, None)
        if color is None:
            (count,) = conn.execute("SELECT count(*) FROM cast_member").fetchone()
            color = CAST_PALETTE[count % len(CAST_PALETTE)]
        cursor = conn.execute(
            "INSERT INTO cast_member (name, description, color) VALUES (?, ?, ?)",
            (name, description, color),
        )
        return self._cast_member_in(conn, cursor.lastrowid)

    def _insert_new_cast(self, conn: sqlite3.Connection, cast: list[tuple[str, str]]) -> None:
        """Add the imported cast members (checked names and descriptions) whose names are
        not taken yet, ignoring case; a name already in the cast keeps its description.

        Linear in the cast's size: the taken names and the palette position are read once,
        not once per member (10,000 members in one story text import).
        """
        names = [name for (name,) in conn.execute("SELECT name FROM cast_member")]
        taken, count = {name.casefold() for name in names}, len(names)
        rows = []
        for name, description in cast:
            if name.casefold() not in taken:
                taken.add(name.casefold())
                rows.append((name, description, CAST_PALETTE[count % len(CAST_PALETTE)]))
                count += 1
        conn.executemany(
            "INSERT INTO cast_member (name, description, color) VALUES (?, ?, ?)", rows
        )

    def _cast_member_in(self, conn: sqlite3.Connection, member_id: int) -> CastMember:
        row = conn.execute(
            "SELECT id, name, description, color FROM cast_member WHERE id = ?", (member_id,)
        ).fetchone()
        if row is None:
            raise self._missing("cast member", member_id)
        return CastMember(*row)

    @staticmethod
    def _check_cast_name(name: Any) -> str:
        if not isinstance(name, str):
            raise InvalidValueError(f"A cast member's name must be text, not {name!r}.")
        name = name.strip().removeprefix("@")
        if not _CAST_NAME.fullmatch(name):
            raise InvalidValueError(
                f"A cast member's name is one word of letters, digits or _ (how cards mention "
                f"it: @Name); got {name!r}."
            )
        return name

    @staticmethod
    def _check_description(description: Any) -> str:
        if not isinstance(description, str) or len(description) > 20_000:
            raise InvalidValueError("A cast member's description must be text (20,000 at most).")
        return description.strip()

    def _refuse_taken_name(
        self, conn: sqlite3.Connection, name: str, member_id: int | None
    ) -> None:
        for other_id, other in conn.execute("SELECT id, name FROM cast_member"):
            if other_id != member_id and other.casefold() == name.casefold():
                raise CastNameTakenError(f"The cast already has a member called {other!r}.")

    def _rename_mentions(self, conn: sqlite3.Connection, old: str, new: str) -> None:
        pattern = _mention(old)
        rows = conn.execute(f"SELECT id, {', '.join(FRAME_TEXT_FIELDS)} FROM frame").fetchall()
        for frame_id, *texts in rows:
            renamed = [pattern.sub("@" + new, text) for text in texts]
            if renamed != texts:
                assignments = ", ".join(f"{column} = ?" for column in FRAME_TEXT_FIELDS)
                conn.execute(f"UPDATE frame SET {assignments} WHERE id = ?", (*renamed, frame_id))

    # ------------------------------------------------------------------ frames

    def frames(self) -> list[Frame]:
        """Every frame card in story order."""
        with self._read() as conn:
            rows = conn.execute(f"SELECT {FRAME_COLUMNS} FROM frame ORDER BY position")
            return [frame_from_row(row) for row in rows]

    def frame(self, frame_id: int) -> Frame:
        """One frame card (NotFoundError if there is none with this id)."""
        with self._read() as conn:
            return self._frame_in(conn, frame_id)

    def add_frame(
        self, position: int | None = None, *, scene_id: int | None = None, **fields: Any
    ) -> Frame:
        """Insert a frame card at ``position`` (0-based; None appends) and return it.

        ``fields`` are any of character, interaction, scene, caption, notes, shot_label
        (text), duration (seconds), pose_json (OpenPose JSON text or None), seed_override
        (int or None), locked (bool). A bad pose is refused with the pose parser's message.
        ``scene_id`` puts the frame in that scene (with no position: at its end); without
        it the frame joins the scene of the frame before it (else after it, else the last).
        """
        return self.add_frames([fields], position=position, scene_id=scene_id)[0]

    def add_frames(
        self,
        cards: Iterable[Mapping[str, Any]],
        position: int | None = None,
        *,
        scene_id: int | None = None,
    ) -> list[Frame]:
        """Insert several frame cards in one transaction (all or none), from ``position`` on
        (the scene as for ``add_frame``)."""
        checked = [check_frame_fields(card) for card in cards]
        for card in checked:
            _check_pose(card)
        with self._write() as conn:
            return self._insert_frames(conn, checked, position, scene_id)

    def _insert_frames(
        self,
        conn: sqlite3.Connection,
        cards: list[dict[str, Any]],
        position: int | None,
        scene_id: int | None = None,
    ) -> list[Frame]:
        """Insert checked cards from ``position`` (None: at the end of the story or of the
        scene), shifting later frames."""
        (count,) = conn.execute("SELECT count(*) FROM frame").fetchone()
        if count + len(cards) > MAX_FRAMES:
            raise InvalidValueError(
                f"A story holds at most {MAX_FRAMES:,} frames; this one has {count:,} and "
                f"{len(cards):,} more were to be added."
            )
        if position is not None:
            start = self._check_position(position, count + 1)
        elif scene_id is not None:
            start = end_of_scene(conn, scene_in(conn, scene_id))
        else:
            start = count
        if scene_id is None:
            scene_id = scene_for_new_frames(conn, start)
        else:
            scene_in(conn, scene_id)
        conn.execute(
            "UPDATE frame SET position = position + ? WHERE position >= ?", (len(cards), start)
        )
        ids = []
        for offset, card in enumerate(cards):
            columns = ["position", "scene_id", *card]
            cursor = conn.execute(
                f"INSERT INTO frame ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                (start + offset, scene_id, *card.values()),
            )
            ids.append(cursor.lastrowid)
        check_scene_order(conn)
        return [self._frame_in(conn, frame_id) for frame_id in ids]

    def update_frame(self, frame_id: int, **fields: Any) -> Frame:
        """Change fields of a frame card (the same fields as ``add_frame``) and return it."""
        checked = check_frame_fields(fields)
        _check_pose(checked)
        with self._write() as conn:
            self._frame_in(conn, frame_id)
            if checked:
                assignments = ", ".join(f"{column} = ?" for column in checked)
                conn.execute(
                    f"UPDATE frame SET {assignments} WHERE id = ?", (*checked.values(), frame_id)
                )
            return self._frame_in(conn, frame_id)

    def delete_frame(self, frame_id: int) -> None:
        """Delete a frame card together with all of its images (their history goes too).

        Refused while a running pass is drawing the frame: cancel the pass first.
        """
        with self._write() as conn:
            frame = self._frame_in(conn, frame_id)
            for (frame_ids_json,) in conn.execute(
                "SELECT frame_ids_json FROM render_pass WHERE status = 'running'"
            ):
                if frame_id in stored_ids(frame_ids_json, "A running pass's frame list"):
                    raise PassStateError(
                        f"Frame {frame.position + 1} is being drawn right now; cancel the "
                        "running pass before deleting it."
                    )
            conn.execute("DELETE FROM frame WHERE id = ?", (frame_id,))
            conn.execute(
                "UPDATE frame SET position = position - 1 WHERE position > ?", (frame.position,)
            )

    def move_frame(self, frame_id: int, new_position: int, *, scene_id: int | None = None) -> Frame:
        """Move a frame card to ``new_position`` (0-based); the others close up around it.

        ``scene_id`` says which scene it lands in (it must be one beside that place). Without
        it the frame stays in its scene when it lands beside a frame of it, else it joins
        the scene it moved into: the one of the frame it now follows when moved later in
        the story, of the frame it now precedes when moved earlier.
        """
        with self._write() as conn:
            frame = self._frame_in(conn, frame_id)
            old = frame.position
            (count,) = conn.execute("SELECT count(*) FROM frame").fetchone()
            new = self._check_position(new_position, count)
            if new < old:
                conn.execute(
                    "UPDATE frame SET position = position + 1 WHERE position >= ? AND position < ?",
                    (new, old),
                )
            elif new > old:
                conn.execute(
                    "UPDATE frame SET position = position - 1 WHERE position > ? AND position <= ?",
                    (old, new),
                )
            conn.execute("UPDATE frame SET position = ? WHERE id = ?", (new, frame_id))
            if scene_id is None:
                scene_id = self._scene_after_move(conn, frame, new)
            scene_in(conn, scene_id)
            conn.execute("UPDATE frame SET scene_id = ? WHERE id = ?", (scene_id, frame_id))
            check_scene_order(conn)
            return self._frame_in(conn, frame_id)

    @staticmethod
    def _scene_after_move(conn: sqlite3.Connection, frame: Frame, new: int) -> int:
        neighbours = {}
        for side, at in (("before", new - 1), ("after", new + 1)):
            row = conn.execute("SELECT scene_id FROM frame WHERE position = ?", (at,)).fetchone()
            if row is not None:
                neighbours[side] = row[0]
        if frame.scene_id in neighbours.values() or not neighbours:
            return int(frame.scene_id)  # type: ignore[arg-type]
        preferred = "before" if new > frame.position else "after"
        return int(neighbours.get(preferred, next(iter(neighbours.values()))))

    def duplicate_frame(self, frame_id: int) -> Frame:
        """A copy of a card's text, pose, duration and seed override, right after it.

        Images are not copied, and the copy is not locked.
        """
        source = self.frame(frame_id)
        copied = {name: getattr(source, name) for name in FRAME_TEXT_FIELDS}
        copied.update(
            duration=source.duration,
            pose_json=source.pose_json,
            seed_override=source.seed_override,
        )
        return self.add_frames([copied], position=source.position + 1, scene_id=source.scene_id)[0]

    def _frame_in(self, conn: sqlite3.Connection, frame_id: int) -> Frame:
        row = conn.execute(
            f"SELECT {FRAME_COLUMNS} FROM frame WHERE id = ?", (frame_id,)
        ).fetchone()
        if row is None:
            raise self._missing("frame", frame_id)
        return frame_from_row(row)

    @staticmethod
    def _check_position(position: Any, limit: int) -> int:
        if isinstance(position, bool) or not isinstance(position, int):
            raise InvalidValueError(f"A frame position must be a whole number, not {position!r}.")
        if not 0 <= position < limit:
            raise InvalidValueError(
                f"Frame position {position} is outside 0..{limit - 1} (positions are 0-based)."
            )
        return position

    # ------------------------------------------------------------------ what a card compiles to

    def compiled_prompt(self, frame: Frame | int) -> str:
        """The card's prompt as the engine gets it (before the style wrapper)."""
        with self._read() as conn:
            frame = frame if isinstance(frame, Frame) else self._frame_in(conn, frame)
            scene = None if frame.scene_id is None else scene_in(conn, frame.scene_id)
            return compile_card(
                frame.character,
                frame.interaction,
                prompt_scene_text(frame, scene),
                self.cast_descriptions(),
            )

    def source_hash(self, frame: Frame | int) -> str:
        """sha256 of the compiled prompt, the pose fingerprint and the seed override.

        The runner stores it with each image; a frame whose hash has moved on since its
        current image was made is stale.
        """
        frame = frame if isinstance(frame, Frame) else self.frame(frame)
        return card_source_hash(self.compiled_prompt(frame), frame.pose_json, frame.seed_override)

    def frame_seed(self, frame: Frame | int) -> int:
        """The seed the frame is drawn with (its override, else the story's seed policy)."""
        frame = frame if isinstance(frame, Frame) else self.frame(frame)
        return self.settings().seed_for(frame)
