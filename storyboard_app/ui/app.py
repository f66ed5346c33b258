"""Starting the desktop app: the QApplication, its look, the window, and which story opens.

``storyboard-app [PROJECT]`` opens PROJECT; with no argument the last project reopens, and on
a fresh machine the welcome page offers the demo story. The Qt event loop runs under qasync,
so asyncio code can share it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from storyboard_app.ui.shared.preferences import (
    APPLICATION,
    ORGANIZATION,
    Preferences,
    open_settings,
)
from storyboard_app.ui.shared.theme import apply_theme
from storyboard_app.ui.window.main_window import MainWindow
from storyboard_app.versions import add_version_option

APP_ID = "org.storyiter.Studio"  # the desktop entry, AppStream id and icon (packaging/linux)


def application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, created with the app's names and look."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv or [sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName(APP_ID)  # the .desktop entry's name: docks match the window to it
    icon = Path(__file__).resolve().parents[2] / "packaging" / "icons" / f"{APP_ID}.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    apply_theme(app)
    return app


def open_window(
    preferences: Preferences, project: Path | None = None, **window_options
) -> MainWindow:
    """The main window with PROJECT open, else the last project, else the welcome page."""
    window = MainWindow(preferences, **window_options)
    if project is not None:
        window.open_project(project)
    else:
        last = preferences.last_project()
        if last is not None and last.exists():
            window.open_project(last)
    return window


def install_error_hook(window: MainWindow) -> None:
    """A bug in a slot is shown in the window's message bar (and logged); the app goes on."""
    previous = sys.excepthook

    def hook(kind, value, tb) -> None:
        logging.getLogger("storyboard_app").error("Unexpected error", exc_info=(kind, value, tb))
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        try:
            window.show_error(
                f"Something went wrong inside the app ({kind.__name__}: {value}). Your story "
                "is saved; please report this with the log."
            )
        except RuntimeError:  # the window is gone
            previous(kind, value, tb)

    sys.excepthook = hook


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="storyboard-app", description=__doc__)
    add_version_option(parser)
    parser.add_argument("project", nargs="?", type=Path, help="a .storyiter project file")
    parser.add_argument("--settings", type=Path, help="keep the app's preferences in this file")
    parser.add_argument(
        "--preview-models", action="store_true", help="draw with the preview models this time"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the app until its window closes."""
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download at run time
    app = application([sys.argv[0]])
    import qasync  # after PySide6, so qasync binds to it

    # The loop exists before the window: the engine process's streams live on it.
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    preferences = Preferences(open_settings(args.settings))
    if args.preview_models:
        preferences.set_use_preview_models(True)
    window = open_window(preferences, args.project)
    window.show()
    install_error_hook(window)

    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)

    async def until_closed() -> None:
        await closed.wait()

    try:
        with loop:
            loop.run_until_complete(until_closed())
    except RuntimeError as exc:  # the loop stops when the app quits
        if "Event loop stopped" not in str(exc):
            raise
    return 0
