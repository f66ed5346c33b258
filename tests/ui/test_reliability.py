"""The app on stored work it cannot trust or cannot change: a damaged image shows as damaged
(board and history), and a story on storage the writer may not change opens read-only with
a banner instead of failing."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.board.delegate import card_badges
from tests.project.crash_writer import commit_test_image
from tests.ui.conftest import make_project


def _drawn(path: Path) -> dict[int, int]:
    """A 2-frame project whose frames each have one image; frame position -> image id."""
    make_project(path, frames=2)
    images = {}
    with ProjectStore.open(path) as store:
        frames = [f.id for f in store.frames()]
        pass_id = store.begin_pass("test", frames, [], {})
        for k, frame_id in enumerate(frames):
            images[k] = commit_test_image(store, pass_id, frame_id, random.Random(k))
        store.finish_pass(pass_id, "complete")
    return images


def _flip(path: Path, blob: bytes) -> None:
    """Flip a bit in every stored copy of ``blob`` (the PNG and its same-sized thumbnail)."""
    data = bytearray(path.read_bytes())
    at = data.find(blob)
    assert at > 0
    while at >= 0:
        data[at + len(blob) // 2] ^= 0x08
        at = data.find(blob, at + 1)
    path.write_bytes(bytes(data))


def test_a_damaged_image_shows_as_damaged(make_window, qtbot, tmp_path):
    path = tmp_path / "damaged.storyiter"
    images = _drawn(path)
    with ProjectStore.open_reader(path) as store:
        png = store.image_png(images[1])
    _flip(path, png)
    window = make_window()
    window.show()
    assert window.open_project(path)
    model = window.board.model()
    assert card_badges(model.cards[1], None) == ["damaged"]
    assert card_badges(model.cards[0], None) == []
    # Click the damaged card: the history shows the damage, not the (wrong) pixels.
    board = window.board
    rect = board.visualRect(model.index(1, 0))
    QTest.mouseClick(board.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.history.frame_id == model.cards[1].frame.id)
    qtbot.waitUntil(lambda: "DAMAGED" in window.history.details.text())
    assert "Frame 2's image" in window.history.details.text()
    assert "damaged" in window.history.strip.item(0).text()
    window.grab().save(str(tmp_path / "damaged.png"))


@contextlib.contextmanager
def _read_only_folder(folder: Path):
    """The folder made unchangeable for real: chmod as a user, chattr +i as the superuser
    (permission bits do not stop root)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("root without chattr: no way to make a folder read-only here")
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {made.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_story_in_a_read_only_folder_opens_read_only_with_a_banner(make_window, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "kept.storyiter"
    _drawn(path)
    window = make_window()
    window.show()
    with _read_only_folder(folder):
        assert window.open_project(path)
        assert window.session.store.read_only
        banner = window.read_only_banner
        assert banner.isVisible() and banner.text().startswith("Read-only: ")
        assert "Save As a copy" in banner.text()
        for name in ("add_frame", "delete", "iterate_all", "use_image", "story_settings"):
            assert not window.actions[name].isEnabled(), name
        for name in ("export", "save_as", "flipbook"):
            assert window.actions[name].isEnabled(), name
        assert len(window.board.model().cards) == 2
        window.grab().save(str(tmp_path / "read-only.png"))
        window.close_project(force=True)
        assert sorted(p.name for p in folder.iterdir()) == ["kept.storyiter"]
    assert not window.read_only_banner.isVisible()
