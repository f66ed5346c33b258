"""What each of the window's actions calls: app-level actions go to the window's file
actions, story actions to the open story's ``StoryActions`` (nothing while none is open)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtGui import QAction

from storyboard_app.ui.board.search_bar import BoardSearchBar
from storyboard_app.ui.board.view import BoardView
from storyboard_app.ui.history.panel import HistoryPanel
from storyboard_app.ui.run.controller import RunController
from storyboard_app.ui.shared.session import ProjectSession
from storyboard_app.ui.window.app_actions import AppActions
from storyboard_app.ui.window.shortcuts_dialog import show_shortcuts
from storyboard_app.ui.window.story_actions import StoryActions


class ActionHost(Protocol):
    """The window as its actions see it."""

    files: AppActions
    actions: dict[str, QAction]
    story: StoryActions | None
    session: ProjectSession | None
    controller: RunController | None
    board: BoardView | None
    search_bar: BoardSearchBar | None
    history: HistoryPanel

    def close(self) -> bool: ...
    def reset_layout(self) -> None: ...
    def iterate(self, action: str) -> bool: ...


def action_slots(window: ActionHost) -> dict[str, Callable[[], object]]:
    def on_story(do: Callable[[StoryActions], object]) -> Callable[[], object]:
        return lambda: window.story is not None and do(window.story)

    return {
        "new": window.files.new_project,
        "open": window.files.open_dialog,
        "open_demo": window.files.open_demo,
        "save_as": window.files.save_as,
        "export": on_story(StoryActions.export),
        "close_project": window.files.close_story,
        "quit": window.close,
        "undo": lambda: window.session and window.session.undo(),
        "redo": lambda: window.session and window.session.redo(),
        "add_frame": on_story(lambda s: s.add_frame(after=True)),
        "insert_frame": on_story(lambda s: s.add_frame(after=False)),
        "duplicate": on_story(StoryActions.duplicate),
        "delete": on_story(StoryActions.delete_selected),
        "move_left": on_story(lambda s: s.move_selected(-1)),
        "move_right": on_story(lambda s: s.move_selected(+1)),
        "select_all": lambda: window.board and window.board.selectAll(),
        "find": lambda: window.search_bar and window.search_bar.focus(),
        "next_frame": on_story(lambda s: s.step_frame(+1)),
        "previous_frame": on_story(lambda s: s.step_frame(-1)),
        "back_to_board": on_story(StoryActions.back_to_board),
        "pose_tab": on_story(StoryActions.pose_tab),
        "history_focus": on_story(StoryActions.history_focus),
        "story_settings": on_story(StoryActions.story_settings),
        "shortcuts": lambda: show_shortcuts(window.actions, window),
        "lock": on_story(StoryActions.toggle_lock),
        "edit_card": on_story(StoryActions.edit_card),
        "zoom_in": on_story(lambda s: s.zoom(+20)),
        "zoom_out": on_story(lambda s: s.zoom(-20)),
        "reset_layout": window.reset_layout,
        "iterate_all": lambda: window.iterate("all"),
        "iterate_selected": lambda: window.iterate("selected"),
        "iterate_stale": lambda: window.iterate("stale"),
        "iterate_drifting": lambda: window.iterate("drifting"),
        "story_consistency": on_story(StoryActions.story_consistency),
        "resume": lambda: window.iterate("resume"),
        "cancel": lambda: window.controller and window.controller.cancel(),
        "use_image": lambda: window.session and window.history.use_selected(),
        "flipbook": on_story(StoryActions.flipbook),
        "animatic": on_story(StoryActions.animatic),
        "import_script": on_story(StoryActions.import_script),
        "models": window.files.models_dialog,
        "about": window.files.about,
    }
