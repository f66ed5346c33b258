"""What the window's actions do: editing the board, running passes, files and dialogs.

A mixin of MainWindow, kept apart so the window module stays about layout and lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from storyboard_app.project.errors import ProjectError
from storyboard_app.ui import project_files
from storyboard_app.ui.worker import RunOrder, RunResult

if TYPE_CHECKING:
    from storyboard_app.ui.main_window import MainWindow


def fill_recent_menu(window: MainWindow) -> None:
    menu = window.recent_menu
    menu.clear()
    recent = window.prefs.recent_projects()
    for path in recent:
        action = menu.addAction(f"{path.name}  —  {path.parent}")
        action.triggered.connect(lambda _=False, p=path: window.open_project(p))
    if not recent:
        menu.addAction("No recent stories").setEnabled(False)


class WindowActions:
    """Slots for the actions in ``storyboard_app.ui.actions`` (mixed into MainWindow)."""

    def action_slots(self: MainWindow) -> dict[str, Callable[[], object]]:
        return {
            "new": self.new_project,
            "open": self.open_dialog,
            "open_demo": self.open_demo,
            "save_as": self.save_as,
            "export": self.export,
            "close_project": self.close_story,
            "quit": self.close,
            "undo": lambda: self.session and self.session.undo(),
            "redo": lambda: self.session and self.session.redo(),
            "add_frame": lambda: self.add_frame(after=True),
            "insert_frame": lambda: self.add_frame(after=False),
            "duplicate": self.duplicate,
            "delete": self.delete_selected,
            "move_left": lambda: self.move_selected(-1),
            "move_right": lambda: self.move_selected(+1),
            "select_all": lambda: self.board and self.board.selectAll(),
            "lock": self.toggle_lock,
            "edit_card": self.edit_card,
            "zoom_in": lambda: self.board and self.board.set_card_width(self.board.card_width + 20),
            "zoom_out": lambda: (
                self.board and self.board.set_card_width(self.board.card_width - 20)
            ),
            "reset_layout": self.reset_layout,
            "iterate_all": lambda: self.iterate("all"),
            "iterate_selected": lambda: self.iterate("selected"),
            "iterate_stale": lambda: self.iterate("stale"),
            "resume": lambda: self.iterate("resume"),
            "cancel": lambda: self.controller and self.controller.cancel(),
            "use_image": lambda: self.session and self.history.use_selected(),
            "flipbook": self.flipbook,
            "models": self.models_dialog,
            "about": self.about,
        }

    def reset_layout(self: MainWindow) -> None:
        self.restoreState(self._default_state)
        self.default_layout()

    def update_enabled(self: MainWindow, *_: object) -> None:
        open_ = self.session is not None
        busy = bool(self.controller and self.controller.busy)
        selected = bool(self.board and self.board.selected_frame_ids())
        stack = self.session.undo_stack if self.session else None
        a = self.actions
        for name in ("save_as", "export", "close_project", "add_frame", "insert_frame",
                     "select_all", "zoom_in", "zoom_out", "flipbook", "edit_card"):  # fmt: skip
            a[name].setEnabled(open_)
        for name in ("duplicate", "delete", "move_left", "move_right", "lock"):
            a[name].setEnabled(open_ and selected)
        a["save_as"].setEnabled(open_ and not busy)
        a["undo"].setEnabled(bool(stack and stack.canUndo()))
        a["redo"].setEnabled(bool(stack and stack.canRedo()))
        undo = f"Undo: {stack.undoText()}" if stack and stack.canUndo() else "Nothing to undo"
        redo = f"Redo: {stack.redoText()}" if stack and stack.canRedo() else "Nothing to redo"
        a["undo"].setToolTip(undo)
        a["undo"].setStatusTip(undo)
        a["redo"].setToolTip(redo)
        a["redo"].setStatusTip(redo)
        for name in ("iterate_all", "iterate_stale", "resume"):
            a[name].setEnabled(open_ and not busy)
        a["iterate_selected"].setEnabled(open_ and not busy and selected)
        a["cancel"].setEnabled(busy and self.controller.state == "running")
        a["use_image"].setEnabled(open_)

    # ------------------------------------------------------------------ files

    def new_project(self: MainWindow) -> None:
        start = self.prefs.last_project()
        answer = project_files.ask_new_path(self, start.parent if start else Path.home())
        if answer is not None:
            self.create_project(*answer)

    def create_project(self: MainWindow, path: Path, title: str) -> bool:
        if not self.close_project():
            return False
        try:
            store = project_files.create_project(path, title)
        except ProjectError as exc:
            self.show_error(str(exc))
            return False
        self.attach(store)
        return True

    def open_dialog(self: MainWindow) -> None:
        start = self.prefs.last_project()
        path = project_files.ask_open_path(self, start.parent if start else Path.home())
        if path is not None:
            self.open_project(path)

    def open_demo(self: MainWindow) -> bool:
        try:
            path = project_files.ensure_demo(self.demo_folder)
        except (ProjectError, OSError) as exc:
            self.show_error(f"The demo story could not be made: {exc}")
            return False
        return self.open_project(path)

    def save_as(self: MainWindow) -> None:
        if self.session is None:
            return
        dest = project_files.ask_save_as_path(self, self.session.path)
        if dest is not None:
            self.save_copy_as(dest)

    def save_copy_as(self: MainWindow, dest: Path) -> bool:
        """Copy the project to ``dest`` and continue there (refused while a pass runs)."""
        if self.session is None or (self.controller and self.controller.busy):
            self.show_error("Save As waits until the running pass is finished or cancelled.")
            return False
        self.session.flush()
        ok, _ = self.session.attempt(lambda: self.session.store.save_as(dest))
        if not ok:
            return False
        if self.open_project(dest):
            self.show_info(f"Saved a copy as {dest}; you are now working in the copy.")
            return True
        return False

    def close_story(self: MainWindow) -> None:
        if self.close_project():
            self.prefs.clear_last_project()

    def export(self: MainWindow) -> None:
        if self.session is None:
            return
        from storyboard_app.ui.export_dialog import ExportDialog

        self.session.flush()
        ExportDialog(self.session.store, self).exec()

    # ------------------------------------------------------------------ editing the board

    def add_frame(self: MainWindow, after: bool = True) -> None:
        if self.session is None:
            return
        current = self.board.current_frame_id()
        frame = self.session.frame(current) if current is not None else None
        position = None
        if frame is not None:
            position = frame.position + (1 if after else 0)
        added = self.session.add_frame(position)
        if added is not None:
            self.board.board_model.refresh()
            self.board.select_frames([added.id])
            self.editor.focus_first_field()

    def duplicate(self: MainWindow) -> None:
        if self.session is None:
            return
        ids = self.session.duplicate_frames(self.board.selected_frame_ids())
        if ids:
            self.board.board_model.refresh()
            self.board.select_frames(ids)

    def delete_selected(self: MainWindow) -> None:
        if self.session is None:
            return
        ids = self.board.selected_frame_ids()
        if not ids:
            return
        images = sum(len(self.session.store.images_of_frame(i)) for i in ids)
        if images:
            frames = "this frame" if len(ids) == 1 else f"these {len(ids)} frames"
            if not self.confirm(
                "Delete frames",
                f"Delete {frames} and {images} image(s) of their history?\n\n"
                "Undo brings the cards back, but not their images.",
            ):
                return
        row = min(self.board.board_model.row_of(i) or 0 for i in ids)
        self.session.delete_frames(ids)
        self.board.board_model.refresh()
        self.select_row(min(row, self.board.board_model.rowCount() - 1))

    def move_selected(self: MainWindow, step: int) -> None:
        if self.session is None:
            return
        ids = self.board.selected_frame_ids()
        model = self.board.board_model
        rows = sorted(model.row_of(i) for i in ids)
        if not rows:
            return
        target = rows[0] - 1 if step < 0 else rows[-1] + 2
        if target < 0 or target > model.rowCount():
            return
        if self.session.move_frames(ids, target):
            model.refresh()
            self.board.select_frames(ids, self.board.current_frame_id())

    def toggle_lock(self: MainWindow) -> None:
        if self.session is None:
            return
        ids = self.board.selected_frame_ids()
        frames = [f for f in (self.session.frame(i) for i in ids) if f is not None]
        if not frames:
            return
        lock = not all(f.locked for f in frames)
        self.session.undo_stack.beginMacro("Lock frames" if lock else "Unlock frames")
        for frame in frames:
            self.session.edit_frame(frame.id, locked=lock)
        self.session.undo_stack.endMacro()

    def edit_card(self: MainWindow) -> None:
        if self.session is not None:
            self.docks["editor"].show()
            self.docks["editor"].raise_()
            self.editor.focus_first_field()

    # ------------------------------------------------------------------ running

    def iterate(self: MainWindow, action: str) -> bool:
        """Start a run: "all", "selected", "stale" or "resume"."""
        if self.session is None or self.controller is None:
            return False
        frame_ids: tuple[int, ...] = ()
        if action == "selected":
            frames = [self.session.frame(i) for i in self.board.selected_frame_ids()]
            frame_ids = tuple(f.id for f in frames if f is not None and not f.locked)
            if not frame_ids:
                self.show_info("Every selected frame is locked: unlock one to re-draw it.")
                return False
        self.messages.dismiss()
        started = self.controller.start(RunOrder(action, frame_ids), self.model_choice())
        self.update_enabled()
        return started

    def _run_state_changed(self: MainWindow, state: str) -> None:
        words = {"idle": "", "running": "Drawing…", "cancelling": "Cancelling…"}
        self.run_label.setText(words.get(state, state))
        self.update_enabled()

    def _run_finished(self: MainWindow, result: RunResult) -> None:
        from storyboard_app.ui.run_panel import describe_result

        if result.status == "failed":
            self.show_error(
                f"The run stopped: {result.message} Everything drawn before it is saved."
            )
        elif result.status == "nothing":
            self.show_info(result.message or "Nothing to draw.")
        elif result.status == "cancelled":
            self.show_info(describe_result(result))
        else:
            self.statusBar().showMessage(describe_result(result), 8000)

    # ------------------------------------------------------------------ dialogs

    def compare_images(self: MainWindow, first: int, second: int) -> None:
        from storyboard_app.ui.viewers import CompareDialog

        if self.session is not None:
            CompareDialog(self.session.store, first, second, self).exec()

    def view_image(self: MainWindow, image_id: int) -> None:
        from storyboard_app.ui.viewers import ImageDialog

        if self.session is not None:
            ImageDialog(self.session.store, image_id, self).exec()

    def flipbook(self: MainWindow) -> None:
        from storyboard_app.ui.flipbook import FlipbookDialog

        if self.session is not None:
            FlipbookDialog(self.session.store, self).exec()

    def models_dialog(self: MainWindow) -> None:
        from storyboard_app.project.model_config import save_model_config
        from storyboard_app.ui.models_dialog import ModelsDialog

        choice = self.model_choice()
        dialog = ModelsDialog(choice.config, choice.preview, self.resolver, self)
        if dialog.exec():
            try:
                save_model_config(dialog.config())
            except OSError as exc:
                self.show_error(f"The model settings could not be saved: {exc}")
                return
            self.prefs.set_use_preview_models(dialog.preview.isChecked())
            self.update_models_label()

    def about(self: MainWindow) -> None:
        QMessageBox.about(
            self,
            "About StoryIter Studio",
            "<b>StoryIter Studio</b><br>Storyboards drawn with the Story-Iter method: every "
            "round re-draws each frame attending to all frames of the round before.<br><br>"
            "Runs offline on your own model files.",
        )
