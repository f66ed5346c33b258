"""The writer's side of scenes: add, edit, split, merge, move and remove them.

Every story has at least one scene and every frame is in exactly one; a scene's frames are
consecutive (``scene_order``). Each verb is one transaction and has an inverse, so an undo
stack can take any of them back exactly: ``add_scene`` / ``delete_scene``, ``update_scene``
with the old fields, ``split_scene`` / ``merge_scene`` (which returns what ``restore_scene``
needs to split it off again, with the same id), ``move_scene`` to the old position.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from storyboard_app.project.editing import StoryEditing
from storyboard_app.project.errors import InvalidValueError
from storyboard_app.project.model import Scene, check_frame_fields, check_scene_fields
from storyboard_app.project.scene_order import (
    check_scene_order,
    rewrite_order,
    scene_frame_ids,
    scene_in,
    scenes_in,
)
from storyboard_app.project.screenplay import ParsedScript


@dataclass(frozen=True)
class SceneMerge:
    """What ``merge_scene`` removed: the scene as it was, and its first frame (None when it
    was empty). ``restore_scene(merge.scene, merge.first_frame_id)`` undoes the merge."""

    scene: Scene
    first_frame_id: int | None


@dataclass(frozen=True)
class Arrangement:
    """The story's order: scene ids in order, and (frame id, scene id) for every frame in
    order."""

    scene_ids: tuple[int, ...]
    frames: tuple[tuple[int, int], ...]


class SceneEditing(StoryEditing):
    """Scenes of the story (a part of ProjectStore)."""

    def scenes(self) -> list[Scene]:
        """Every scene in story order."""
        with self._read() as conn:
            return scenes_in(conn)

    def scene(self, scene_id: int) -> Scene:
        """One scene (NotFoundError if there is none with this id)."""
        with self._read() as conn:
            return scene_in(conn, scene_id)

    def scene_frame_ids(self, scene_id: int) -> list[int]:
        """The ids of a scene's frames in story order."""
        with self._read() as conn:
            scene_in(conn, scene_id)
            return scene_frame_ids(conn, scene_id)

    def add_scene(self, position: int | None = None, **fields: Any) -> Scene:
        """Insert an empty scene at scene ``position`` (0-based; None: after the last) with
        the given fields (heading, number, color, notes, heading_in_prompt)."""
        checked = check_scene_fields(fields)
        with self._write() as conn:
            (count,) = conn.execute("SELECT count(*) FROM scene").fetchone()
            at = count if position is None else _check_scene_position(position, count + 1)
            return self._insert_scene(conn, at, checked, None)

    def delete_scene(self, scene_id: int) -> None:
        """Remove an empty scene (the inverse of ``add_scene``). A scene with frames, or the
        story's only scene, is refused: merge it instead, or move its frames first."""
        with self._write() as conn:
            scene = scene_in(conn, scene_id)
            if scene_frame_ids(conn, scene_id):
                raise InvalidValueError(
                    f"Scene {scene.position + 1} still has frames; merge it into the scene "
                    "before it, or move or delete its frames first."
                )
            (count,) = conn.execute("SELECT count(*) FROM scene").fetchone()
            if count == 1:
                raise InvalidValueError("A story keeps at least one scene.")
            conn.execute("DELETE FROM scene WHERE id = ?", (scene_id,))
            conn.execute(
                "UPDATE scene SET position = position - 1 WHERE position > ?", (scene.position,)
            )

    def update_scene(self, scene_id: int, **fields: Any) -> Scene:
        """Change a scene's heading, number, colour, notes or heading_in_prompt."""
        checked = check_scene_fields(fields)
        with self._write() as conn:
            scene_in(conn, scene_id)
            if checked:
                assignments = ", ".join(f"{column} = ?" for column in checked)
                conn.execute(
                    f"UPDATE scene SET {assignments} WHERE id = ?", (*checked.values(), scene_id)
                )
            return scene_in(conn, scene_id)

    def split_scene(self, frame_id: int, **fields: Any) -> Scene:
        """Start a new scene at a frame: it and the frames after it in its scene move into a
        new scene right after (with ``fields``). Undo with ``merge_scene`` of the new one."""
        checked = check_scene_fields(fields)
        with self._write() as conn:
            frame = self._frame_in(conn, frame_id)
            old = scene_in(conn, frame.scene_id)  # type: ignore[arg-type]
            new = self._insert_scene(conn, old.position + 1, checked, None)
            self._move_tail(conn, old.id, frame.position, new.id)
            return new

    def merge_scene(self, scene_id: int) -> SceneMerge:
        """Merge a scene into the one before it: its frames join that scene, the scene row
        goes. The first scene has nothing before it and is refused."""
        with self._write() as conn:
            scene = scene_in(conn, scene_id)
            if scene.position == 0:
                raise InvalidValueError("The first scene has no scene before it to merge into.")
            (previous_id,) = conn.execute(
                "SELECT id FROM scene WHERE position = ?", (scene.position - 1,)
            ).fetchone()
            frame_ids = scene_frame_ids(conn, scene_id)
            conn.execute(
                "UPDATE frame SET scene_id = ? WHERE scene_id = ?", (previous_id, scene_id)
            )
            conn.execute("DELETE FROM scene WHERE id = ?", (scene_id,))
            conn.execute(
                "UPDATE scene SET position = position - 1 WHERE position > ?", (scene.position,)
            )
            check_scene_order(conn)
            return SceneMerge(scene, frame_ids[0] if frame_ids else None)

    def restore_scene(self, scene: Scene, first_frame_id: int | None) -> Scene:
        """Put back a scene exactly as it was (same id, fields and place), taking from
        ``first_frame_id`` to the end of that frame's scene: the inverse of ``merge_scene``
        and of ``delete_scene``."""
        checked = check_scene_fields(scene.fields())
        with self._write() as conn:
            (count,) = conn.execute("SELECT count(*) FROM scene").fetchone()
            at = _check_scene_position(scene.position, count + 1)
            restored = self._insert_scene(conn, at, checked, scene.id)
            if first_frame_id is not None:
                frame = self._frame_in(conn, first_frame_id)
                self._move_tail(conn, frame.scene_id, frame.position, restored.id)  # type: ignore[arg-type]
            check_scene_order(conn)
            return restored

    def move_scene(self, scene_id: int, new_position: int) -> Scene:
        """Move a whole scene, its frames with it, to scene ``new_position`` (0-based)."""
        with self._write() as conn:
            scene = scene_in(conn, scene_id)
            order = [s.id for s in scenes_in(conn)]
            at = _check_scene_position(new_position, len(order))
            order.remove(scene_id)
            order.insert(at, scene_id)
            if at != scene.position:
                rewrite_order(conn, order)
            return scene_in(conn, scene_id)

    def arrangement(self) -> Arrangement:
        """The order of scenes and frames and which scene each frame is in: what
        ``arrange`` restores."""
        with self._read() as conn:
            scenes = tuple(s.id for s in scenes_in(conn))
            rows = conn.execute("SELECT id, scene_id FROM frame ORDER BY position")
            return Arrangement(scenes, tuple((frame_id, scene_id) for frame_id, scene_id in rows))

    def arrange(self, arrangement: Arrangement) -> None:
        """Put scenes and frames in the order of ``arrangement``, each frame in its scene
        there, in one transaction: the exact inverse of any reordering (give it the
        ``arrangement()`` from before). It must name every scene and frame once."""
        with self._write() as conn:
            scenes = {s.id for s in scenes_in(conn)}
            frames = {frame_id for (frame_id,) in conn.execute("SELECT id FROM frame")}
            frame_ids = [f for f, _ in arrangement.frames]
            if sorted(arrangement.scene_ids) != sorted(scenes) or sorted(frame_ids) != sorted(
                frames
            ):
                raise InvalidValueError("An arrangement names every scene and frame once.")
            if not {s for _, s in arrangement.frames} <= scenes:
                raise InvalidValueError("An arrangement puts a frame in a scene it does not name.")
            for position, scene_id in enumerate(arrangement.scene_ids):
                conn.execute("UPDATE scene SET position = ? WHERE id = ?", (position, scene_id))
            for position, (frame_id, scene_id) in enumerate(arrangement.frames):
                conn.execute(
                    "UPDATE frame SET position = ?, scene_id = ? WHERE id = ?",
                    (position, scene_id, frame_id),
                )
            check_scene_order(conn)

    def import_script(self, script: ParsedScript) -> list[Scene]:
        """Add a parsed screenplay's scenes, cast and frames in one transaction (all or
        nothing) after the story's scenes; a story's only scene, still empty and without a
        heading, takes the script's first scene. Cast members already in the story (same
        name ignoring case) keep their descriptions. Returns the scenes made or filled."""
        cast = [
            (self._check_cast_name(name), self._check_description(text))
            for name, text in script.cast.items()
        ]
        scenes = [
            (
                check_scene_fields(
                    {"heading": s.heading, "number": s.number, "notes": "\n".join(s.notes)}
                ),
                [check_frame_fields(card) for card in s.frames],
            )
            for s in script.scenes
        ]
        with self._write() as conn:
            self._insert_new_cast(conn, cast)
            existing = scenes_in(conn)
            (frames,) = conn.execute("SELECT count(*) FROM frame").fetchone()
            made = []
            for index, (fields, cards) in enumerate(scenes):
                if index == 0 and len(existing) == 1 and not frames and not existing[0].heading:
                    conn.execute(
                        f"UPDATE scene SET {', '.join(f'{c} = ?' for c in fields)} WHERE id = ?",
                        (*fields.values(), existing[0].id),
                    )
                    scene = scene_in(conn, existing[0].id)
                else:
                    (count,) = conn.execute("SELECT count(*) FROM scene").fetchone()
                    scene = self._insert_scene(conn, count, fields, None)
                self._insert_frames(conn, cards, None, scene.id)
                made.append(scene)
            return made

    # ------------------------------------------------------------------ helpers

    def _insert_scene(
        self, conn: sqlite3.Connection, position: int, fields: dict[str, Any], scene_id: int | None
    ) -> Scene:
        conn.execute("UPDATE scene SET position = position + 1 WHERE position >= ?", (position,))
        columns, values = ["position", *fields], [position, *fields.values()]
        if scene_id is not None:  # restoring a scene: it keeps its id
            columns.insert(0, "id")
            values.insert(0, scene_id)
        cursor = conn.execute(
            f"INSERT INTO scene ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            values,
        )
        return scene_in(conn, cursor.lastrowid)

    @staticmethod
    def _move_tail(conn: sqlite3.Connection, from_scene: int, position: int, to_scene: int) -> None:
        """Frames of ``from_scene`` at ``position`` and later join ``to_scene``."""
        conn.execute(
            "UPDATE frame SET scene_id = ? WHERE scene_id = ? AND position >= ?",
            (to_scene, from_scene, position),
        )


def _check_scene_position(position: Any, limit: int) -> int:
    if isinstance(position, bool) or not isinstance(position, int):
        raise InvalidValueError(f"A scene position must be a whole number, not {position!r}.")
    if not 0 <= position < limit:
        raise InvalidValueError(
            f"Scene position {position} is outside 0..{limit - 1} (positions are 0-based)."
        )
    return position
