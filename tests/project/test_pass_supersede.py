"""A pass left unfinished is superseded when a later pass draws every frame it still owed,
against newer references: it is no longer offered for resuming, and says by which pass."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from storyboard_app.project.errors import PassStateError
from storyboard_app.project.store import ProjectStore
from tests.project.crash_writer import commit_test_image


def test_a_later_pass_over_the_owed_frames_supersedes(tmp_path: Path) -> None:
    path = tmp_path / "s.storyiter"
    rng = random.Random(4)
    with ProjectStore.create(path) as store:
        store.add_frames([{"character": f"f{i}"} for i in range(3)])
        f1, f2, f3 = (f.id for f in store.frames())
        first = store.begin_pass("round0", [f1, f2, f3], [], {})
        commit_test_image(store, first, f1, rng)
        store.finish_pass(first, "cancelled")
        # Only frame 2 again: frame 3 is still owed, so the first pass stays resumable.
        partial = store.begin_pass("round0", [f2], [], {})
        assert store.pass_info(first).superseded_by is None
        store.finish_pass(partial, "cancelled")
        later = store.begin_pass("round0", [f2, f3], [], {})
        assert store.pass_info(first).superseded_by == later
        assert store.pass_info(partial).superseded_by == later
        store.finish_pass(later, "cancelled")
        assert [p.id for p in store.unfinished_passes()] == [later]
        with pytest.raises(PassStateError, match=f"superseded by pass {later}"):
            store.reopen_pass(first)
        summary = {p["id"]: p for p in store.to_json()["passes"]}
        assert summary[first]["superseded_by"] == later and not summary[first]["resumable"]
        assert summary[later]["resumable"] and summary[later]["frames_left"] == 2
    # A crash leaves the newest pass interrupted: the next open keeps the supersession.
    with ProjectStore.open(path) as store:
        assert store.pass_info(first).superseded_by == later
