"""Tests that need a real X display (Qt's xcb platform): drag and drop, which Qt's offscreen
platform does not do, and what the window manager is told. ``tests/ui/test_on_a_display.py``
runs them under Xvfb; in the ordinary offscreen run they are not collected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

if os.environ.get("QT_QPA_PLATFORM") != "xcb":
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture
def open_window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A shown MainWindow on a fresh story of ``frames`` cards (no run needs models here)."""
    monkeypatch.setenv("STORYITER_UI_SETTINGS", str(tmp_path / "ui-settings.ini"))
    monkeypatch.setenv("STORYITER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("STORYITER_DATA_DIR", str(tmp_path / "data"))
    from PySide6.QtTest import QTest

    from storyboard_app.project.model import StorySettings
    from storyboard_app.project.store import ProjectStore
    from storyboard_app.ui.app import application
    from storyboard_app.ui.shared.preferences import Preferences, open_settings
    from storyboard_app.ui.window.main_window import MainWindow

    application()
    windows = []

    def make(frames: int = 6, size: tuple[int, int] = (1440, 900)):
        path = tmp_path / f"story-{len(windows)}.storyiter"
        settings = StorySettings(rounds=2, steps=2, width=384, height=256, seed=7)
        with ProjectStore.create(path, title="On a display", settings=settings) as store:
            store.add_frames(
                [{"character": f"c{i}", "interaction": "x", "scene": "y"} for i in range(frames)]
            )
        window = MainWindow(Preferences(open_settings(tmp_path / "ui-settings.ini")))
        qtbot.addWidget(window)
        windows.append(window)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()  # shortcuts go to the active window; Xvfb has no manager
        assert QTest.qWaitForWindowActive(window)
        assert window.open_project(path)
        qtbot.wait(300)
        return window

    yield make
    for window in windows:
        window.close()
