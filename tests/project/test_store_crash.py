"""Crash safety: a process committing images is killed (SIGKILL) at random points, 50 times.

After every kill the project opens (the dead writer's lock released itself), SQLite's
integrity check passes, no image lacks its PNG, thumbnail or embedding, every image the
writer reported committed is there with the same bytes, frame positions are dense, and the
pass it was running shows as interrupted.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storyboard_app.project.store import ProjectStore

WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = 50
_COMMITTED = re.compile(r"(\d+) ([0-9a-f]{64})")

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")


def _run_and_kill(path: Path, commits: int, pause: float) -> dict[int, str]:
    """Start the writer and kill it once it has reported ``commits`` committed images (and
    ``pause`` seconds more, so the kill lands at varying points of the next commit or edit).
    Returns the ids it reported; the kill always lands while the writer is writing."""
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), "write", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    if ready.strip() != "ready":
        proc.kill()
        raise AssertionError(f"writer failed to start: {ready!r} {proc.communicate()[1]}")
    reported = {}
    while len(reported) < commits:
        line = proc.stdout.readline()
        match = _COMMITTED.fullmatch(line.strip())
        if match is None:  # the writer ended or printed something else: it failed
            proc.kill()
            raise AssertionError(f"writer stopped writing: {line!r} {proc.communicate()[1]}")
        reported[int(match[1])] = match[2]
    time.sleep(pause)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err
    reported.update({int(m[1]): m[2] for m in map(_COMMITTED.fullmatch, out.splitlines()) if m})
    return reported


def _check_after_crash(path: Path, reported: dict[int, str]) -> None:
    """The file as the crash left it, read with plain SQLite (nothing of ours in between)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for table in ("image_png", "image_thumbnail", "image_embedding"):
            (orphans,) = conn.execute(
                f"SELECT count(*) FROM image WHERE id NOT IN (SELECT image_id FROM {table})"
            ).fetchone()
            assert orphans == 0, f"images without a row in {table}"
        for image_id, png_sha in reported.items():
            row = conn.execute("SELECT png FROM image_png WHERE image_id = ?", (image_id,))
            assert hashlib.sha256(row.fetchone()[0]).hexdigest() == png_sha
        positions = [r[0] for r in conn.execute("SELECT position FROM frame ORDER BY position")]
        assert positions == list(range(len(positions)))
    finally:
        conn.close()


def test_killed_writer_loses_nothing_it_reported(tmp_path: Path) -> None:
    path = tmp_path / "crash.storyiter"
    with ProjectStore.create(path) as store:
        for i in range(6):
            store.add_frame(character=f"frame {i}")
    rng = random.Random(2024)
    reported: dict[int, str] = {}
    for kill in range(KILLS):
        commits = rng.randint(1, 3)
        reported.update(_run_and_kill(path, commits, rng.uniform(0.0, 0.01)))
        _check_after_crash(path, reported)
        with ProjectStore.open(path) as store:  # succeeds: the lock died with the writer
            assert {p.status for p in store.passes()} == {"interrupted"}
            assert len(store.passes()) == kill + 1
            # The kill landed while the pass was committing: its reported images are there.
            assert len(store.images_of_pass(store.passes()[-1].id)) >= commits
