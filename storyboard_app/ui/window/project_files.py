"""Where project files come from: file dialogs, new projects, the demo story, Save As."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from storyboard_app.project.errors import ProjectError
from storyboard_app.project.store import PROJECT_SUFFIX, ProjectStore

SUFFIX = PROJECT_SUFFIX
FILTER = f"StoryIter projects (*{PROJECT_SUFFIX});;All files (*)"
DEMO_NAME = "the-lantern-keeper" + SUFFIX


def data_dir() -> Path:
    """Where the app keeps the demo story (``$STORYITER_DATA_DIR`` overrides)."""
    env = os.environ.get("STORYITER_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("storyiter-studio"))


def demo_path(folder: Path | None = None) -> Path:
    return (folder or data_dir()) / DEMO_NAME


def ensure_demo(folder: Path | None = None) -> Path:
    """The demo project, built on first use; an existing one (with your edits) is kept."""
    path = demo_path(folder)
    if not path.exists():
        from storyboard_app.demo import build_demo_project

        build_demo_project(path)
    return path


def with_suffix(path: Path) -> Path:
    return path if path.suffix == SUFFIX else path.with_suffix(SUFFIX)


def ask_new_path(parent: QWidget, start: Path) -> tuple[Path, str] | None:
    """Ask for a new file and a title; None when cancelled."""
    name, _ = QFileDialog.getSaveFileName(parent, "New story", str(start), FILTER)
    if not name:
        return None
    path = with_suffix(Path(name))
    title, ok = QInputDialog.getText(parent, "New story", "Title", text=path.stem)
    if not ok:
        return None
    return path, title.strip() or path.stem


def ask_open_path(parent: QWidget, start: Path) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, "Open a story", str(start), FILTER)
    return Path(name) if name else None


def ask_save_as_path(parent: QWidget, current: Path) -> Path | None:
    start = current.with_name(current.stem + " copy" + current.suffix)
    name, _ = QFileDialog.getSaveFileName(parent, "Save a copy as", str(start), FILTER)
    return with_suffix(Path(name)) if name else None


def create_project(path: Path, title: str) -> ProjectStore:
    """A new, empty project with one blank card to start typing in."""
    store = ProjectStore.create(path, title=title)
    try:
        store.add_frame()
    except BaseException:
        store.close()
        raise
    return store


def open_store(path: Path) -> ProjectStore:
    """``path`` opened for writing; on read-only storage, or in a folder or file the writer
    may not change, opened to be read, exported and saved as a copy. A file open elsewhere
    or damaged raises ProjectError."""
    from storyboard_app.project.storage import write_problem

    try:
        return ProjectStore.open(path)
    except ProjectError:
        if path.exists() and write_problem(path) is not None:
            try:
                return ProjectStore.open_reader(path)
            except ProjectError:
                pass
        raise
