"""What the window's app-level actions do: new, open, the demo story, Save As, close, the
models dialog and About. They act on the window through ``StoryHost``."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QMenu, QWidget

from storyboard_app.project.errors import ProjectError
from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.run.controller import RunController
from storyboard_app.ui.run.worker import ModelChoice, Resolver
from storyboard_app.ui.shared.preferences import Preferences
from storyboard_app.ui.shared.session import ProjectSession
from storyboard_app.ui.window import project_files


class StoryHost(Protocol):
    """The window as these actions see it (one open story at most)."""

    recent_menu: QMenu
    demo_folder: Path | None
    session: ProjectSession | None
    controller: RunController | None
    resolver: Resolver | None

    def open_project(self, path: Path) -> bool: ...
    def close_project(self, force: bool = False) -> bool: ...
    def attach(self, store: ProjectStore) -> None: ...
    def show_error(self, text: str, topic: str = "") -> None: ...
    def show_info(self, text: str, topic: str = "") -> None: ...
    def model_choice(self) -> ModelChoice: ...
    def update_models_label(self) -> None: ...


class AppActions:
    """Slots of the File, Models and Help actions; ``parent`` owns their dialogs."""

    def __init__(self, window: StoryHost, parent: QWidget, prefs: Preferences) -> None:
        self.window = window
        self.parent = parent
        self.prefs = prefs

    # ------------------------------------------------------------------ files

    def fill_recent_menu(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        recent = self.prefs.recent_projects()
        for path in recent:
            action = menu.addAction(f"{path.name}  —  {path.parent}")
            action.triggered.connect(lambda _=False, p=path: self.window.open_project(p))
        if not recent:
            menu.addAction("No recent stories").setEnabled(False)

    def new_project(self) -> None:
        start = self.prefs.last_project()
        answer = project_files.ask_new_path(self.parent, start.parent if start else Path.home())
        if answer is not None:
            self.create_project(*answer)

    def create_project(self, path: Path, title: str) -> bool:
        if not self.window.close_project():
            return False
        try:
            store = project_files.create_project(path, title)
        except ProjectError as exc:
            self.window.show_error(str(exc))
            return False
        self.window.attach(store)
        return True

    def open_dialog(self) -> None:
        start = self.prefs.last_project()
        path = project_files.ask_open_path(self.parent, start.parent if start else Path.home())
        if path is not None:
            self.window.open_project(path)

    def open_demo(self) -> bool:
        try:
            path = project_files.ensure_demo(self.window.demo_folder)
        except (ProjectError, OSError) as exc:
            self.window.show_error(f"The demo story could not be made: {exc}")
            return False
        return self.window.open_project(path)

    def save_as(self) -> None:
        if self.window.session is None:
            return
        dest = project_files.ask_save_as_path(self.parent, self.window.session.path)
        if dest is not None:
            self.save_copy_as(dest)

    def save_copy_as(self, dest: Path) -> bool:
        """Copy the project to ``dest`` and continue there (refused while a pass runs)."""
        if self.window.session is None or (self.window.controller and self.window.controller.busy):
            self.window.show_error(
                "Save As waits until the running pass is finished or cancelled.", "run"
            )
            return False
        self.window.session.flush()
        ok, _ = self.window.session.attempt(lambda: self.window.session.store.save_as(dest))
        if not ok:
            return False
        if self.window.open_project(dest):
            self.window.show_info(f"Saved a copy as {dest}; you are now working in the copy.")
            return True
        return False

    def close_story(self) -> None:
        if self.window.close_project():
            self.prefs.clear_last_project()

    # ------------------------------------------------------------------ dialogs

    def models_dialog(self) -> None:
        from storyboard_app.project.model_config import save_model_config
        from storyboard_app.ui.dialogs.models_dialog import ModelsDialog

        choice = self.window.model_choice()
        dialog = ModelsDialog(choice.config, choice.preview, self.window.resolver, self.parent)
        if dialog.exec():
            try:
                save_model_config(dialog.config())
            except OSError as exc:
                self.window.show_error(f"The model settings could not be saved: {exc}")
                return
            self.prefs.set_use_preview_models(dialog.preview.isChecked())
            self.window.update_models_label()

    def about(self) -> None:
        from storyboard_app.ui.dialogs.about_dialog import AboutDialog

        dialog = AboutDialog(self.window.model_choice(), self.parent)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
