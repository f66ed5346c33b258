"""A sibling writer: a second read-write connection in the same process, under one lock."""

from __future__ import annotations

import threading

import pytest

from storyboard_app.project.errors import (
    ProjectError,
    ProjectLockedError,
    ReadOnlyProjectError,
)
from storyboard_app.project.store import ProjectStore


def test_sibling_writes_are_seen_by_the_owner_and_back(tmp_path):
    path = tmp_path / "story.storyiter"
    with ProjectStore.create(path) as owner:
        sibling = owner.sibling_writer()
        try:
            assert not sibling.read_only
            frame = sibling.add_frame(character="a fox")
            assert owner.frame(frame.id).character == "a fox"
            owner.update_frame(frame.id, scene="on a beach")
            assert sibling.frame(frame.id).scene == "on a beach"
        finally:
            sibling.close()
        # Closing the sibling leaves the owner's lock held and the owner working.
        with pytest.raises(ProjectLockedError):
            ProjectStore.open(path)
        owner.update_frame(frame.id, caption="still writable")
    with ProjectStore.open(path) as again:  # the owner's close released the lock
        assert again.frame(frame.id).caption == "still writable"


def test_sibling_commits_from_another_thread_while_the_owner_edits(tmp_path):
    path = tmp_path / "story.storyiter"
    with ProjectStore.create(path) as owner:
        frames = owner.add_frames([{"character": f"frame {i}"} for i in range(20)])
        sibling = owner.sibling_writer()
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for frame in frames:
                    sibling.update_frame(frame.id, notes="from the worker")
            except BaseException as e:  # pragma: no cover - reported below
                errors.append(e)
            finally:
                sibling.close()

        thread = threading.Thread(target=worker)
        thread.start()
        for frame in frames:
            owner.update_frame(frame.id, caption="from the owner")
        thread.join()
        assert not errors
        assert all(
            f.notes == "from the worker" and f.caption == "from the owner" for f in owner.frames()
        )


def test_readers_and_closed_stores_have_no_sibling_writer(tmp_path):
    path = tmp_path / "story.storyiter"
    ProjectStore.create(path).close()
    with ProjectStore.open_reader(path) as reader, pytest.raises(ReadOnlyProjectError):
        reader.sibling_writer()
    owner = ProjectStore.open(path)
    owner.close()
    with pytest.raises(ProjectError):
        owner.sibling_writer()
