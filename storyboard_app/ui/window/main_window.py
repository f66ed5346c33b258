"""The main window: the board in the middle, the frame editor, cast, run panel and history in
docks around it, and the project's lifecycle (new, open, Save As, close)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.process import EngineProcess
from storyboard_app.project.errors import ProjectError
from storyboard_app.project.migrations import older_format_note
from storyboard_app.project.model_config import ModelConfig, load_model_config
from storyboard_app.project.run_progress import RunResult
from storyboard_app.ui.board.model import BoardModel
from storyboard_app.ui.board.search_bar import BoardSearchBar
from storyboard_app.ui.board.view import BoardView
from storyboard_app.ui.cast.cast_panel import CastPanel
from storyboard_app.ui.dialogs.models_dialog import describe_choice
from storyboard_app.ui.editor.frame_editor import FrameEditor
from storyboard_app.ui.history.panel import HistoryPanel
from storyboard_app.ui.run.controller import RunController
from storyboard_app.ui.run.devices import DevicesMenu
from storyboard_app.ui.run.panel import RunPanel
from storyboard_app.ui.run.worker import ModelChoice, Resolver
from storyboard_app.ui.scenes.panel import ScenesPanel
from storyboard_app.ui.shared.message_bar import MessageBar
from storyboard_app.ui.shared.preferences import Preferences
from storyboard_app.ui.shared.session import ProjectSession
from storyboard_app.ui.window import project_files
from storyboard_app.ui.window.actions import (
    build_actions,
    build_menus,
    build_toolbar,
    update_enabled,
)
from storyboard_app.ui.window.app_actions import AppActions
from storyboard_app.ui.window.docks import build_docks, default_layout, set_panel, show_placeholders
from storyboard_app.ui.window.slots import action_slots
from storyboard_app.ui.window.story_actions import StoryActions, StoryPanels
from storyboard_app.ui.window.welcome import WelcomePage


class MainWindow(QMainWindow):
    """One window, zero or one open project."""

    def __init__(
        self,
        preferences: Preferences,
        resolver: Resolver | None = None,
        engine: EngineProcess | None = None,
        demo_folder: Path | None = None,
    ) -> None:
        super().__init__()
        self.prefs = preferences
        self.resolver = resolver
        self.engine = engine  # shared by the stories opened here; started on first open
        self._owns_engine = engine is None
        self.demo_folder = demo_folder
        self.session: ProjectSession | None = None
        self.controller: RunController | None = None
        self.board: BoardView | None = None
        self.story: StoryActions | None = None  # what the actions do to the open story
        self.search_bar: BoardSearchBar | None = None
        self.confirm = self._confirm_dialog  # tests replace it
        self.setObjectName("MainWindow")
        self.resize(1440, 900)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks)

        self.messages = MessageBar()
        self.welcome = WelcomePage()
        self.board_page = QWidget()
        self.board_layout = QVBoxLayout(self.board_page)
        self.board_layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.board_page)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(8, 6, 8, 0)
        column.setSpacing(6)
        column.addWidget(self.messages)
        self.read_only_banner = QLabel(objectName="ReadOnlyBanner")
        self.read_only_banner.setWordWrap(True)
        self.read_only_banner.hide()
        column.addWidget(self.read_only_banner)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.docks = build_docks(self)
        self._default_state = self.saveState()
        self._sized = False

        self.files = AppActions(self, self, self.prefs)
        self.actions = build_actions(self, action_slots(self))
        self.recent_menu = build_menus(self, self.actions, self.docks.values())
        self.devices_menu = DevicesMenu(self.prefs, self, self._devices_changed)
        run_menu = next(a.menu() for a in self.menuBar().actions() if a.text() == "&Run")
        run_menu.insertMenu(self.actions["cancel"], self.devices_menu)
        self.recent_menu.aboutToShow.connect(self.files.fill_recent_menu)
        self.toolbar, self.zoom_slider = build_toolbar(self.actions, self.prefs.card_width())
        self.addToolBar(self.toolbar)
        self.zoom_slider.valueChanged.connect(lambda v: self.board and self.board.set_card_width(v))

        self.models_label = QLabel(objectName="ModelsBadge")
        self.run_label = QLabel()
        self.statusBar().addPermanentWidget(self.run_label)
        self.statusBar().addPermanentWidget(self.models_label)

        self.welcome.newRequested.connect(self.files.new_project)
        self.welcome.openRequested.connect(self.files.open_dialog)
        self.welcome.demoRequested.connect(self.files.open_demo)
        self.welcome.recentRequested.connect(lambda p: self.open_project(Path(p)))

        geometry, state = self.prefs.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self._sized = self.restoreState(state)
        self._detach()
        self.update_models_label()

    # ------------------------------------------------------------------ models

    def model_choice(self) -> ModelChoice:
        try:
            config = load_model_config()
        except ProjectError as exc:
            self.show_error(str(exc))
            config = ModelConfig()
        return ModelChoice(config, self.prefs.use_preview_models(), self.prefs.devices())

    def _devices_changed(self, devices) -> None:
        self.update_models_label()
        if self.controller is not None and not self.controller.busy:
            self.controller.warm_up(self.model_choice())

    def update_models_label(self) -> None:
        choice = self.model_choice()
        text, preview = describe_choice(choice)
        if not choice.devices.in_process:
            text += f" · {choice.devices.describe()}"
        self.models_label.setText(text)
        self.models_label.setProperty("preview", "true" if preview else "false")
        self.models_label.style().unpolish(self.models_label)
        self.models_label.style().polish(self.models_label)
        self.update_title()

    def update_title(self) -> None:
        _text, preview = describe_choice(self.model_choice())
        # Qt adds " — StoryIter Studio" (the application's display name) itself.
        parts = []
        if self.session is not None and not self.session.store.closed:
            parts = [self.session.store.story().title, self.session.path.name]
        if preview:
            parts.append("Preview models")
        self.setWindowTitle(" — ".join(parts))

    # ------------------------------------------------------------------ messages

    def show_error(self, text: str, topic: str = "") -> None:
        self.messages.show_message(text, "error", topic)

    def show_info(self, text: str, topic: str = "") -> None:
        self.messages.show_message(text, "info", topic)

    def _confirm_dialog(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ projects

    def open_project(self, path: Path) -> bool:
        """Open ``path`` for writing; a file open elsewhere or damaged is reported."""
        path = Path(path)
        if not self.close_project():
            return False
        try:
            store = project_files.open_store(path)
        except ProjectError as exc:
            self.show_error(str(exc))
            if not path.exists():
                self.prefs.forget_recent(path)
            self.welcome.set_recent(self.prefs.recent_projects())
            return False
        self.attach(store)
        return True

    def attach(self, store) -> None:
        """Show an opened store: session, engine thread, board and panels."""
        self.messages.dismiss()  # what was said about the story before is over
        session = ProjectSession(store, self)
        self.session = session
        if self.engine is None:
            self.engine = EngineProcess(asyncio.get_event_loop())
        self.controller = RunController(session, self.resolver, self.engine)
        model = BoardModel(session, self)
        self.board = BoardView(model, self.prefs.card_width())
        self.board.zoomChanged.connect(self.prefs.set_card_width)
        self.board.zoomChanged.connect(self._zoomed)
        settings = store.settings()
        self.board.set_image_aspect(settings.width, settings.height)
        for name in ("delete", "select_all", "move_left", "move_right"):
            action = self.actions[name]
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.board.addAction(action)
        self.search_bar = BoardSearchBar(self.board)
        self.board_layout.addWidget(self.search_bar)
        self.board_layout.addWidget(self.board)
        self.editor = FrameEditor(session)
        self.cast_panel = CastPanel(session)
        self.run_panel = RunPanel(session, self.controller, self.actions, model)
        self.history = HistoryPanel(session)
        self.scenes_panel = ScenesPanel(session, self.board)
        for name, panel in (
            ("scenes", self.scenes_panel),
            ("editor", self.editor),
            ("cast", self.cast_panel),
            ("run", self.run_panel),
            ("history", self.history),
        ):
            set_panel(self.docks[name], name, panel)
        self.story = StoryActions(
            StoryPanels(session, self.controller, self.board, self.editor, self.history,
                        self.docks["editor"], self.docks["history"]),
            self.messages,
            lambda title, text: self.confirm(title, text),
            self.model_choice,
            self,
        )  # fmt: skip
        self.wire_session()
        # Tab from the search field to the board, and from the board into the card's fields.
        QWidget.setTabOrder(self.search_bar.field, self.board)
        QWidget.setTabOrder(self.board, self.editor.fields["character"])
        # The engine process starts and loads the models while the writer reads the board.
        controller = self.controller
        QTimer.singleShot(500, controller, lambda: controller.warm_up(self.model_choice()))
        self.stack.setCurrentWidget(self.board_page)
        if not self._sized and self.isVisible():
            QTimer.singleShot(0, self, self.default_layout)
        self.prefs.add_recent(store.path)
        self.prefs.sync()
        if model.rowCount():
            self.board.select_frames([model.cards[0].frame.id])
        self.update_title()
        self.update_enabled()
        if store.read_only:
            text = (
                f"Read-only: {store.storage_note or 'this project cannot be changed here'}. "
                "You can look at it, export it, and Save As a copy to go on working."
            )
            if store.older_format is not None:
                text += f" {older_format_note(store.older_format, writable=False)}"
            self.read_only_banner.setText(text)
            self.read_only_banner.show()

    def wire_session(self) -> None:
        session, controller, board = self.session, self.controller, self.board
        assert session and controller and board
        session.errorRaised.connect(lambda text: self.show_error(text, "edit"))
        session.undo_stack.indexChanged.connect(lambda _i: self.messages.clear("edit"))
        session.storyChanged.connect(self.update_title)
        session.storyChanged.connect(self._story_changed)
        session.undo_stack.canUndoChanged.connect(self.update_enabled)
        session.undo_stack.canRedoChanged.connect(self.update_enabled)
        session.undo_stack.undoTextChanged.connect(self.update_enabled)
        session.undo_stack.redoTextChanged.connect(self.update_enabled)
        board.selectionModel().currentChanged.connect(self._current_changed)
        board.selectionModel().selectionChanged.connect(self.update_enabled)
        board.doubleClicked.connect(lambda _i: self.edit_card())
        controller.stateChanged.connect(self._run_state_changed)
        controller.framesStateChanged.connect(self._run_frames_changed)
        controller.previewChanged.connect(self._run_frames_changed)
        controller.runFinished.connect(self._run_finished)
        controller.noticeRaised.connect(self.show_info)
        controller.engineLost.connect(self.show_error)
        self.history.compareRequested.connect(self.story.compare_images)
        self.history.viewRequested.connect(self.story.view_image)
        self.history.flipbookRequested.connect(self.story.flipbook)

    def close_project(self, force: bool = False) -> bool:
        """Close the open project (edits are already saved). A running pass is cancelled
        first when ``force``; otherwise closing is refused while it runs."""
        if self.session is None:
            return True
        if self.controller is not None and self.controller.busy and not force:
            self.show_error(
                "A pass is running. Cancel it (Ctrl+.) before closing the story.", "run"
            )
            return False
        self.session.flush()
        if self.controller is not None:
            self.controller.shutdown()
        self.session.close()
        self._detach()
        return True

    def _detach(self) -> None:
        if self.board is not None:
            for widget in (self.search_bar, self.board):
                widget.setParent(None)
                widget.deleteLater()
        show_placeholders(self.docks)
        if self.session is not None:
            self.session.deleteLater()
        self.session = self.controller = self.board = self.story = self.search_bar = None
        self.read_only_banner.hide()
        self.stack.setCurrentWidget(self.welcome)
        self.welcome.set_recent(self.prefs.recent_projects())
        self.update_title()
        self.update_enabled()

    # ------------------------------------------------------------------ selection

    def _current_changed(self, *_: object) -> None:
        frame_id = self.board.current_frame_id() if self.board else None
        self.editor.set_frame(frame_id)
        self.history.set_frame(frame_id)
        self.update_enabled()

    def _zoomed(self, width: int) -> None:
        with QSignalBlocker(self.zoom_slider):
            self.zoom_slider.setValue(width)

    def _story_changed(self) -> None:
        if self.session and self.board:
            settings = self.session.store.settings()
            self.board.set_image_aspect(settings.width, settings.height)

    def _run_frames_changed(self) -> None:
        if self.board and self.controller:
            self.board.board_model.set_run_state(
                self.controller.frame_states, self.controller.previews
            )

    def select_row(self, row: int) -> None:
        if self.story is not None:
            self.story.select_row(row)

    # ------------------------------------------------------------------ layout

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._sized:  # first start: give the board the room, the docks their share
            QTimer.singleShot(0, self, self.default_layout)

    def default_layout(self) -> None:
        """Sizes for the docks once they hold a project's panels (first start, reset)."""
        if self.session is None:
            return  # placeholders have no sizes worth keeping; try again with a project
        self._sized = True
        default_layout(self, self.docks)

    # ------------------------------------------------------------------ closing

    def closeEvent(self, event) -> None:
        self.prefs.save_window_state(self.saveGeometry(), self.saveState())
        self.hide()  # gone at once; a pass still stops within one step before the app ends
        self.close_project(force=True)
        if self._owns_engine and self.engine is not None:
            self.engine.close()
        self.prefs.sync()
        super().closeEvent(event)

    # ------------------------------------------------------------------ actions

    def update_enabled(self, *_: object) -> None:
        update_enabled(self.actions, self.session, self.controller, self.board)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        self.default_layout()

    def iterate(self, action: str) -> bool:
        """Start a run: "all", "selected", "stale", "drifting" or "resume"."""
        if self.story is None:
            return False
        started = self.story.iterate(action)
        self.update_enabled()
        return started

    def _run_state_changed(self, state: str) -> None:
        words = {"idle": "", "running": "Drawing…", "cancelling": "Cancelling…"}
        self.run_label.setText(words.get(state, state))
        self.update_enabled()

    def _run_finished(self, result: RunResult) -> None:
        line = self.story.run_finished(result) if self.story is not None else None
        if line:
            self.statusBar().showMessage(line, 8000)
