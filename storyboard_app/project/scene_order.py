"""The order of scenes and of the frames in them, at the level of one open transaction.

A story's frames keep one dense, 0-based ``position`` across the whole story; each belongs
to one scene, and the frames of a scene are consecutive, scenes following one another in
their own dense ``position`` order. A scene may be empty. These helpers take the writer's
connection inside its transaction, so a rule broken half-way rolls the whole edit back.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from storyboard_app.project.connection import StoredDataError
from storyboard_app.project.errors import InvalidValueError, NotFoundError
from storyboard_app.project.model import Scene

SCENE_COLUMNS = "id, position, heading, number, color, notes, heading_in_prompt"


def scene_from_row(row: tuple[Any, ...]) -> Scene:
    """A Scene from a row selected with ``SCENE_COLUMNS``."""
    scene_id, position, heading, number, color, notes, in_prompt = row
    return Scene(scene_id, position, heading, number, color, notes, bool(in_prompt))


def scenes_in(conn: sqlite3.Connection) -> list[Scene]:
    """Every scene in story order."""
    rows = conn.execute(f"SELECT {SCENE_COLUMNS} FROM scene ORDER BY position")
    return [scene_from_row(row) for row in rows]


def scene_in(conn: sqlite3.Connection, scene_id: int) -> Scene:
    """One scene; NotFoundError when there is none with this id."""
    row = conn.execute(f"SELECT {SCENE_COLUMNS} FROM scene WHERE id = ?", (scene_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"There is no scene with id {scene_id}.")
    return scene_from_row(row)


def scene_frame_ids(conn: sqlite3.Connection, scene_id: int) -> list[int]:
    """The ids of a scene's frames in story order."""
    rows = conn.execute(
        "SELECT id FROM frame WHERE scene_id = ? ORDER BY position", (scene_id,)
    ).fetchall()
    return [frame_id for (frame_id,) in rows]


def scene_for_new_frames(conn: sqlite3.Connection, position: int) -> int:
    """The scene that frames inserted at ``position`` join when none is named: the scene of
    the frame before them, else of the frame after them, else the last scene."""
    for sql, at in (
        ("SELECT scene_id FROM frame WHERE position = ?", position - 1),
        ("SELECT scene_id FROM frame WHERE position = ?", position),
        ("SELECT id FROM scene ORDER BY position DESC LIMIT 1", None),
    ):
        row = conn.execute(sql, () if at is None else (at,)).fetchone()
        if row is not None:
            return int(row[0])
    raise StoredDataError("it has no scene")


def end_of_scene(conn: sqlite3.Connection, scene: Scene) -> int:
    """The frame position just after the scene's last frame (for an empty scene: after the
    last frame of the scenes before it)."""
    (last,) = conn.execute(
        "SELECT max(f.position) FROM frame f JOIN scene s ON s.id = f.scene_id "
        "WHERE s.position <= ?",
        (scene.position,),
    ).fetchone()
    return 0 if last is None else last + 1


def check_scene_order(conn: sqlite3.Connection) -> None:
    """Refuse (InvalidValueError) an edit that leaves a scene's frames apart or its scenes
    out of order; called before an edit that moves frames between scenes commits."""
    rows = conn.execute(
        "SELECT f.position, s.position FROM frame f JOIN scene s ON s.id = f.scene_id "
        "ORDER BY f.position"
    ).fetchall()
    previous = -1
    for frame_position, scene_position in rows:
        if scene_position < previous:
            raise InvalidValueError(
                f"Frame {frame_position + 1} would sit outside its scene: a scene's frames "
                "stay together, in scene order."
            )
        previous = scene_position


def rewrite_order(conn: sqlite3.Connection, scene_ids: list[int]) -> None:
    """Give scenes the order ``scene_ids`` and renumber every frame so each scene's frames
    follow one another in that order (their order within a scene is kept)."""
    frames = [(sid, scene_frame_ids(conn, sid)) for sid in scene_ids]
    for position, scene_id in enumerate(scene_ids):
        conn.execute("UPDATE scene SET position = ? WHERE id = ?", (position, scene_id))
    position = 0
    for _, frame_ids in frames:
        for frame_id in frame_ids:
            conn.execute("UPDATE frame SET position = ? WHERE id = ?", (position, frame_id))
            position += 1
