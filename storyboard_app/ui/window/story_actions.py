"""What the window's actions do to the open story: editing the board, running passes, and the
dialogs that look at its images. One per open story, made when it opens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog, QWidget

from storyboard_app.project.run_progress import RunOrder, RunResult, describe_result
from storyboard_app.ui.board.view import BoardView
from storyboard_app.ui.editor.frame_editor import FrameEditor
from storyboard_app.ui.history.panel import HistoryPanel
from storyboard_app.ui.run.controller import RunController
from storyboard_app.ui.run.worker import ModelChoice
from storyboard_app.ui.shared.message_bar import MessageBar
from storyboard_app.ui.shared.session import ProjectSession


@dataclass
class StoryPanels:
    """The open story's session, engine thread and the widgets that show it."""

    session: ProjectSession
    controller: RunController
    board: BoardView
    editor: FrameEditor
    history: HistoryPanel
    editor_dock: QDockWidget
    history_dock: QDockWidget


class StoryActions:
    """Slots of the story's actions; ``confirm(title, text)`` asks before losing images."""

    def __init__(
        self,
        panels: StoryPanels,
        messages: MessageBar,
        confirm: Callable[[str, str], bool],
        model_choice: Callable[[], ModelChoice],
        dialog_parent: QWidget,
    ) -> None:
        self.panels = panels
        self.session = panels.session
        self.board = panels.board
        self.messages = messages
        self.confirm = confirm
        self.model_choice = model_choice
        self.parent = dialog_parent

    # ------------------------------------------------------------------ editing the board

    def add_frame(self, after: bool = True) -> None:
        current = self.board.current_frame_id()
        frame = self.session.frame(current) if current is not None else None
        position = None
        if frame is not None:
            position = frame.position + (1 if after else 0)
        added = self.session.add_frame(position)
        if added is not None:
            self.board.board_model.refresh()
            self.board.select_frames([added.id])
            self.panels.editor.focus_first_field()

    def duplicate(self) -> None:
        ids = self.session.duplicate_frames(self.board.selected_frame_ids())
        if ids:
            self.board.board_model.refresh()
            self.board.select_frames(ids)

    def delete_selected(self) -> None:
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

    def select_row(self, row: int) -> None:
        model = self.board.board_model
        if 0 <= row < model.rowCount():
            index = model.index(row)
            self.board.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )

    def move_selected(self, step: int) -> None:
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

    def toggle_lock(self) -> None:
        ids = self.board.selected_frame_ids()
        frames = [f for f in (self.session.frame(i) for i in ids) if f is not None]
        if not frames:
            return
        lock = not all(f.locked for f in frames)
        self.session.undo_stack.beginMacro("Lock frames" if lock else "Unlock frames")
        for frame in frames:
            self.session.edit_frame(frame.id, locked=lock)
        self.session.undo_stack.endMacro()

    def edit_card(self) -> None:
        self.panels.editor_dock.show()
        self.panels.editor_dock.raise_()
        self.panels.editor.focus_first_field()

    # ------------------------------------------------------------------ keyboard loop

    def step_frame(self, step: int) -> None:
        """Show the next (+1) or previous (-1) card the board shows; focus stays put, so
        the editor's field being typed in carries on with that card."""
        model = self.board.board_model
        current = self.board.current_frame_id()
        row = model.row_of(current) if current is not None else None
        rows = [r for r in range(model.rowCount()) if not self.board.isRowHidden(r)]
        if not rows:
            return
        if row is None:
            target = rows[0]
        else:
            later = [r for r in rows if (r - row) * step > 0]
            target = (min(later) if step > 0 else max(later)) if later else row
        self.select_row(target)

    def back_to_board(self) -> None:
        self.panels.editor.flush()
        self.board.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def pose_tab(self) -> None:
        editor = self.panels.editor
        self.panels.editor_dock.show()
        self.panels.editor_dock.raise_()
        editor.tabs.setCurrentWidget(editor.pose_tab)
        canvas = editor.pose_tab.editor.canvas if editor.pose_tab.editor else editor.pose_tab
        canvas.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def history_focus(self) -> None:
        history = self.panels.history
        self.panels.history_dock.show()
        self.panels.history_dock.raise_()
        shown = history.selected_image_ids()
        if not shown and history.frame_id is not None:
            shown = [self.session.store.current_image_id(history.frame_id)]
        if shown and shown[-1] is not None:
            history.select_image(shown[-1])  # arrow keys go on from the image shown
        history.strip.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def story_settings(self) -> None:
        from storyboard_app.ui.dialogs.story_settings_dialog import open_story_settings

        self.session.flush()
        open_story_settings(self.session, self.parent)

    def zoom(self, step: int) -> None:
        self.board.set_card_width(self.board.card_width + step)

    # ------------------------------------------------------------------ running

    def iterate(self, action: str) -> bool:
        """Start a run: "all", "selected", "stale", "drifting" or "resume"."""
        frame_ids: tuple[int, ...] = ()
        if action == "drifting":
            from storyboard_app.project.report import story_report

            self.session.flush()
            report = story_report(self.session.store, cast=False)
            locked = {f.id for f in self.session.store.frames() if f.locked}
            frame_ids = tuple(f for f in report.drifting_frame_ids() if f not in locked)
            if not frame_ids:
                self.messages.show_message(
                    "No frame drifts: every unlocked frame's alignment and consistency are "
                    "within the story's own range.",
                    "info",
                )
                return False
            self.messages.dismiss()
            order = RunOrder("selected", frame_ids)
            return self.panels.controller.start(order, self.model_choice())
        if action == "selected":
            frames = [self.session.frame(i) for i in self.board.selected_frame_ids()]
            frame_ids = tuple(f.id for f in frames if f is not None and not f.locked)
            if not frame_ids:
                self.messages.show_message(
                    "Every selected frame is locked: unlock one to re-draw it.", "info"
                )
                return False
        self.messages.dismiss()
        controller = self.panels.controller
        order = controller.resume_order() if action == "resume" else RunOrder(action, frame_ids)
        return controller.start(order, self.model_choice())

    def run_finished(self, result: RunResult) -> str | None:
        """Report how a run ended; returns a line for the status bar, if any."""
        say = self.messages.show_message
        if result.status == "failed":
            say(
                f"The run stopped: {result.message} Everything drawn before it is saved.",
                "error",
                "run",
            )
        elif result.status == "nothing":
            say(result.message or "Nothing to draw.", "info", "run")
        elif result.status == "cancelled":
            say(describe_result(result), "info", "run")
        else:
            self.messages.clear("run")  # "a pass is running…" is over
            return describe_result(result)
        return None

    # ------------------------------------------------------------------ dialogs

    def export(self) -> None:
        from storyboard_app.ui.dialogs.export_dialog import ExportDialog

        self.session.flush()
        ExportDialog(self.session.store, self.parent).exec()

    def compare_images(self, first: int, second: int) -> None:
        from storyboard_app.ui.history.viewers import CompareDialog

        CompareDialog(self.session.store, first, second, self.parent).exec()

    def view_image(self, image_id: int) -> None:
        from storyboard_app.ui.history.viewers import ImageDialog

        ImageDialog(self.session.store, image_id, self.parent).exec()

    def story_consistency(self) -> None:
        from storyboard_app.ui.history.consistency_dialog import ConsistencyDialog

        self.session.flush()
        ConsistencyDialog(self.session.store, self.parent).exec()

    def flipbook(self) -> None:
        from storyboard_app.ui.history.flipbook import FlipbookDialog

        FlipbookDialog(self.session.store, self.parent).exec()

    def animatic(self) -> None:
        from storyboard_app.ui.animatic.player import AnimaticPlayer

        self.session.flush()
        player = AnimaticPlayer(
            self.session.store, self.board.current_frame_id(), parent=self.parent
        )
        player.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        player.show()

    def import_script(self) -> bool:
        """File → Import Script…: a Fountain, Final Draft or prose file into the story, in one
        undoable step; a script that cannot be read is reported and changes nothing."""
        from storyboard_app.project.errors import ProjectError
        from storyboard_app.project.script_files import read_script, script_kind

        name, _ = QFileDialog.getOpenFileName(
            self.parent,
            "Import Script",
            "",
            "Screenplays (*.fountain *.spmd *.fdx *.txt);;All files (*)",
        )
        if not name:
            return False
        path = Path(name)
        try:
            script = read_script(path, script_kind(path))
        except ProjectError as exc:
            self.messages.show_message(str(exc), "error")
            return False
        self.session.flush()
        if not self.session.import_script(script):
            return False
        self.messages.show_message(
            f"Imported {path.name}: {len(script.scenes)} scene(s), {script.frame_count} "
            "frame(s). Undo takes it back.",
            "info",
        )
        return True
