"""Passes: which frames a pass draws, the reference set they attend to, and how it ended.

One pass runs at a time. A pass left running by a crash is marked interrupted when the
project is next opened for writing; ``reopen_pass`` resumes an interrupted or cancelled pass
with its recorded frames, reference set and settings. A new pass that draws every frame an
unfinished pass still owed supersedes it (table ``pass_superseded``): those frames are then
drawn against newer references, and resuming the old pass would only add outdated rounds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from storyboard_app.project.connection import now_text, parse_time, stored_ids, stored_json
from storyboard_app.project.editing import StoryEditing
from storyboard_app.project.errors import InvalidValueError, PassStateError
from storyboard_app.project.model import PassInfo

FINAL_STATUSES = ("complete", "cancelled", "failed")
# A failed pass resumes too: once the writer fixes the cause (a moved model folder, a GPU that
# ran out of memory, a worker process that died), the rest of the pass is still worth drawing.
RESUMABLE_STATUSES = ("interrupted", "cancelled", "failed")
_PASS_COLUMNS = (
    "id, kind, status, frame_ids_json, reference_image_ids_json, settings_json, created, "
    "finished, error, "
    "(SELECT s.by_pass_id FROM pass_superseded s WHERE s.pass_id = render_pass.id)"
)


def _pass_from_row(row: tuple[Any, ...]) -> PassInfo:
    pass_id, kind, status, frames, references, settings, created, finished, error, by = row
    return PassInfo(
        id=pass_id,
        kind=kind,
        status=status,
        frame_ids=stored_ids(frames, f"The frame list of pass {pass_id}"),
        reference_image_ids=stored_ids(references, f"The reference set of pass {pass_id}"),
        settings=stored_json(settings, dict, f"The settings of pass {pass_id}"),
        created=parse_time(created),
        finished=parse_time(finished) if finished else None,
        error=error,
        superseded_by=by,
    )


def json_text(value: Any, what: str) -> str:
    """JSON text of plain data (no NaN); InvalidValueError naming ``what`` otherwise."""
    try:
        return json.dumps(value, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise InvalidValueError(f"{what} must be plain JSON data ({e}).") from None


def id_list(values: Iterable[Any], what: str) -> list[int]:
    """The ids as a list; InvalidValueError naming ``what`` if any is not an int."""
    ids = list(values)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in ids):
        raise InvalidValueError(f"{what} must be whole-number ids; got {ids!r}.")
    return ids


class PassLog(StoryEditing):
    """Passes (a part of ProjectStore)."""

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
        a time (PassStateError otherwise). Unfinished passes whose remaining frames are all
        among ``frame_ids`` are superseded by the new one.
        """
        if not isinstance(kind, str) or not kind.strip():
            raise InvalidValueError(f"A pass kind must be non-empty text, not {kind!r}.")
        frames = id_list(frame_ids, "Pass frames")
        references = id_list(reference_image_ids, "Reference images")
        if len(set(frames)) != len(frames):
            raise InvalidValueError("A pass lists the same frame twice.")
        settings_json = json_text(dict(settings), "Pass settings")
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
            pass_id = int(cursor.lastrowid)
            self._supersede(conn, pass_id, set(frames))
            return pass_id

    def _supersede(self, conn: sqlite3.Connection, pass_id: int, frames: set[int]) -> None:
        rows = conn.execute(
            f"SELECT {_PASS_COLUMNS} FROM render_pass WHERE id < ? "
            "AND status IN ('interrupted', 'cancelled', 'failed') "
            "AND id NOT IN (SELECT pass_id FROM pass_superseded)",
            (pass_id,),
        ).fetchall()
        for info in map(_pass_from_row, rows):
            pending = self._pending_in(conn, info)
            if pending and set(pending) <= frames:
                conn.execute(
                    "INSERT INTO pass_superseded (pass_id, by_pass_id) VALUES (?, ?)",
                    (info.id, pass_id),
                )

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
        """Set an interrupted, cancelled or failed pass running again, to resume it.

        Its frames, reference set and settings are unchanged; images it already committed
        stay. ``pending_frame_ids`` says which frames are still to draw.
        """
        with self._write() as conn:
            info = self._pass_in(conn, pass_id)
            if info.status not in RESUMABLE_STATUSES:
                raise PassStateError(f"Pass {pass_id} is {info.status}; it cannot be resumed.")
            if info.superseded_by is not None:
                raise PassStateError(
                    f"Pass {pass_id} was superseded by pass {info.superseded_by}, which draws "
                    "its remaining frames against newer references; it cannot be resumed."
                )
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
        """Interrupted, cancelled and failed passes that can still be resumed, oldest first.

        A pass whose reference images were deleted (with their frames) cannot be resumed
        and is left out; so is one with no frame left to draw, and one superseded by a
        later pass.
        """
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {_PASS_COLUMNS} FROM render_pass "
                "WHERE status IN ('interrupted', 'cancelled', 'failed') "
                "AND id NOT IN (SELECT pass_id FROM pass_superseded) ORDER BY id"
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
