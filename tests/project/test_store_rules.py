"""The opening check enforces the file format's declared rules (types, NOT NULL, CHECK) on
every open, read-only ones included: SQLite's integrity check skips CHECK constraints on a
read-only connection, so a crafted row used to pass and crash a later render."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from engine.api import MAX_FRAMES
from storyboard_app.project.errors import DamagedProjectError, InvalidValueError
from storyboard_app.project.store import ProjectStore
from tests.project.crash_writer import commit_test_image


def _project_with_image(path: Path) -> Path:
    with ProjectStore.create(path) as store:
        frame = store.add_frame(character="a kite").id
        pass_id = store.begin_pass("test", [frame], [], {})
        commit_test_image(store, pass_id, frame, random.Random(1))
        store.finish_pass(pass_id, "complete")
    return path


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("UPDATE image_embedding SET dim = dim + 3", "CHECK (length(data) = 2 * dim)"),
        ("UPDATE frame SET duration = -1", "CHECK (duration >= 0)"),
        ("UPDATE render_pass SET status = 'paused'", "CHECK (status IN"),
        ("UPDATE frame SET locked = 2", "CHECK (locked IN (0, 1))"),
    ],
    ids=["embedding-length", "duration", "status", "locked"],
)
def test_rows_breaking_a_rule_are_refused_by_every_open(tmp_path: Path, sql: str, rule: str):
    path = _project_with_image(tmp_path / "rules.storyiter")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(sql)
    conn.close()
    before = path.read_bytes()
    for opener in (ProjectStore.open_reader, ProjectStore.open):
        with pytest.raises(DamagedProjectError) as caught:
            opener(path)
        message = str(caught.value)
        assert str(path) in message and rule in message, message
    assert path.read_bytes() == before


def test_a_story_holds_at_most_max_frames(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path / "big.storyiter") as store:
        with pytest.raises(InvalidValueError, match=f"at most {MAX_FRAMES:,} frames"):
            store.add_frames([{"character": "x"}] * (MAX_FRAMES + 1))
        assert store.frames() == []
