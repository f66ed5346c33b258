"""UI test set-up: preferences, model config and caches in the test's own folder; windows on
real project files drawn by the preview models in the real engine process."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard_app.project.model import StorySettings
from storyboard_app.project.store import ProjectStore

RUN_TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def _private_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a test does reaches the writer's own preferences, models or data."""
    monkeypatch.setenv("STORYITER_UI_SETTINGS", str(tmp_path / "ui-settings.ini"))
    monkeypatch.setenv("STORYITER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("STORYITER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("STORYITER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))


@pytest.fixture(scope="session", autouse=True)
def qasync_loop():
    """The app's asyncio loop (qasync) for every UI test: it runs whenever a test spins Qt's
    event loop, as the app's does, and carries the engine process's streams."""
    import qasync

    from storyboard_app.ui.app import application

    return qasync.QEventLoop(application(), already_running=True)


@pytest.fixture(scope="session")
def engine_process(qasync_loop):
    """One engine process for every UI test (starting one imports torch: the slow part)."""
    from engine.process import EngineProcess

    engine = EngineProcess(qasync_loop)
    yield engine
    engine.close()


@pytest.fixture
def resolver(preview_models):
    from engine.api import RuntimeSettings

    return lambda _choice: (preview_models, RuntimeSettings(device="cpu", batch_size=4))


def make_project(path: Path, frames: int = 3, *, title: str = "Test story") -> Path:
    """A small real project: a cast member and ``frames`` cards, tiny generation settings."""
    settings = StorySettings(rounds=2, steps=2, width=64, height=64, seed=7, batch_size=4)
    with ProjectStore.create(path, title=title, settings=settings) as store:
        store.add_cast_member("Mara", "a lighthouse keeper with copper hair")
        store.add_frames(
            [
                {"character": "@Mara", "interaction": f"beat {i + 1}", "scene": "a lighthouse"}
                for i in range(frames)
            ]
        )
    return path


@pytest.fixture
def make_window(qtbot, tmp_path, resolver, engine_process):
    """Build MainWindows with test preferences; every one is closed at the end."""
    from storyboard_app.ui.app import application
    from storyboard_app.ui.shared.preferences import Preferences, open_settings
    from storyboard_app.ui.window.main_window import MainWindow

    application()
    windows = []

    def make(**options):
        prefs = Preferences(open_settings(tmp_path / "ui-settings.ini"))
        window = MainWindow(
            prefs,
            resolver=options.pop("resolver", resolver),
            engine=options.pop("engine", engine_process),
            demo_folder=tmp_path / "data",
        )
        window.confirm = lambda *_: True
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close_project(force=True)  # stops the engine thread
        window.close()


def run_and_wait(qtbot, window, action: str = "all"):
    """Start a run from the window and wait for its result."""
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as blocker:
        assert window.iterate(action)
    return blocker.args[0]
