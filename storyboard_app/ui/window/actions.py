"""The window's actions with their shortcuts, and the menus and toolbar that show them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QSlider,
    QToolBar,
    QWidget,
)

from storyboard_app.ui.board.view import BoardView
from storyboard_app.ui.run.controller import RunController
from storyboard_app.ui.shared.session import ProjectSession

Std = QKeySequence.StandardKey

# name: (text, shortcut(s), status tip)
ACTIONS: dict[str, tuple[str, tuple[str | QKeySequence.StandardKey, ...], str]] = {
    "new": ("&New Story…", (Std.New,), "Create a new project file"),
    "open": ("&Open…", (Std.Open,), "Open a project file"),
    "open_demo": ("Open the &Demo Story", (), "The Lantern Keeper, ready to iterate"),
    "save_as": ("Save &As…", (Std.SaveAs,), "Copy the project to a new file and continue there"),
    "export": ("&Export…", ("Ctrl+E",), "Comic pages or film storyboard sheets as PDF"),
    "import_script": ("&Import Script…", ("Ctrl+I",), "Scenes, frames and cast from a screenplay"),
    "close_project": ("&Close Story", ("Ctrl+W",), "Close the project (it is already saved)"),
    "quit": ("&Quit", (Std.Quit,), "Quit StoryIter Studio"),
    "undo": ("&Undo", (Std.Undo,), "Undo the last edit"),
    "redo": ("&Redo", (Std.Redo,), "Redo the edit undone"),
    "add_frame": ("&Add Frame", ("Ctrl+Return",), "Add a card after the current one"),
    "insert_frame": ("&Insert Frame Before", ("Ctrl+Shift+Return",), "Add a card before"),
    "duplicate": ("Duplica&te", ("Ctrl+D",), "Copy the selected cards (without images)"),
    "delete": ("&Delete", (Std.Delete,), "Delete the selected cards and their images"),
    "move_left": ("Move &Earlier", ("Ctrl+Shift+Left",), "Move the selected cards one earlier"),
    "move_right": ("Move &Later", ("Ctrl+Shift+Right",), "Move the selected cards one later"),
    "select_all": ("Select All Fra&mes", (Std.SelectAll,), "Select every card"),
    "find": ("&Find Cards", ("Ctrl+F",), "Search the cards' text, filter them by state"),
    "next_frame": ("&Next Frame", ("Ctrl+PgDown",), "Show the next card, in the board or editor"),
    "previous_frame": ("&Previous Frame", ("Ctrl+PgUp",), "Show the card before"),
    "back_to_board": ("Back to the &Board", ("Esc",), "Keyboard focus back on the board"),
    "pose_tab": ("Edit &Pose", ("Ctrl+P",), "The current frame's pose, in the Frame panel"),
    "history_focus": ("Go to &History", ("Ctrl+H",), "Arrow keys pick a round; Ctrl+U uses it"),
    "story_settings": ("Story &Settings…", ("Ctrl+Alt+S",), "Image size, steps, style, seed"),
    "shortcuts": ("&Keyboard Shortcuts", ("F1",), "Every key of the app"),
    "lock": ("Loc&k / Unlock", ("Ctrl+L",), "Locked frames keep their image"),
    "edit_card": ("Edit &Card", ("F2",), "Type in the frame editor"),
    "zoom_in": ("Larger Cards", ("Ctrl+=", "Ctrl++"), "Make the cards larger"),
    "zoom_out": ("Smaller Cards", ("Ctrl+-",), "Make the cards smaller"),
    "reset_layout": ("Reset &Layout", (), "Put every panel back where it started"),
    "iterate_all": ("Iterate &All", ("Ctrl+R",), "Round 0 where missing, then every round"),
    "iterate_selected": ("Iterate &Selected", ("Ctrl+Shift+R",), "One round of the selection"),
    "iterate_stale": ("Iterate S&tale", ("Ctrl+Alt+R",), "Re-draw the frames whose card changed"),
    "iterate_drifting": (
        "Iterate &Drifting",
        ("Ctrl+Alt+D",),
        "One round of the frames whose alignment or consistency drifts from the story's",
    ),
    "resume": ("&Resume", ("F5",), "Finish the last cancelled or interrupted pass"),
    "cancel": ("&Cancel", ("Ctrl+.",), "Stop within one step; drawn images are kept"),
    "use_image": ("&Use This Image", ("Ctrl+U",), "Make the image chosen in the history current"),
    "flipbook": ("Story at R&ound…", ("Ctrl+Shift+F",), "Every frame as it stood after round N"),
    "story_consistency": (
        "Story Co&nsistency…",
        ("Ctrl+Alt+C",),
        "Each cast member's consistency across the story, round by round; drifting frames",
    ),
    "animatic": ("&Animatic", ("Ctrl+Shift+A",), "Play the board at its durations"),
    "models": ("&Models…", ("Ctrl+,",), "Model files, device, precision, offload, Check"),
    "about": ("&About", (), "About StoryIter Studio"),
}

BOARD_ONLY = ("delete", "select_all", "move_left", "move_right")


def build_actions(window: QWidget, slots: dict[str, Callable[[], object]]) -> dict[str, QAction]:
    actions = {}
    for name, (text, keys, tip) in ACTIONS.items():
        action = QAction(text, window)
        action.setObjectName(name)
        # A standard key's first binding only: its others can collide with ours (on X11
        # Delete is also Ctrl+D, which is Duplicate here).
        action.setShortcuts([QKeySequence(k) for k in keys])
        shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        if name in slots:
            action.triggered.connect(lambda _=False, slot=slots[name]: slot())
        if name not in BOARD_ONLY:
            window.addAction(action)
        actions[name] = action
    return actions


def build_menus(
    window: QMainWindow, actions: dict[str, QAction], docks: Iterable[QDockWidget]
) -> QMenu:
    """The menu bar; returns the Open Recent menu (filled when it opens)."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    for name in ("new", "open"):
        file_menu.addAction(actions[name])
    recent = file_menu.addMenu("Open &Recent")
    file_menu.addAction(actions["open_demo"])
    file_menu.addSeparator()
    for name in ("save_as", "import_script", "export"):
        file_menu.addAction(actions[name])
    file_menu.addSeparator()
    file_menu.addAction(actions["close_project"])
    file_menu.addAction(actions["quit"])

    edit = bar.addMenu("&Edit")
    for name in ("undo", "redo", None, "add_frame", "insert_frame", "duplicate", "delete", None,
                 "move_left", "move_right", "lock", "edit_card", "pose_tab", None, "select_all",
                 "find", None, "story_settings"):  # fmt: skip
        edit.addSeparator() if name is None else edit.addAction(actions[name])

    view = bar.addMenu("&View")
    for name in ("next_frame", "previous_frame", "back_to_board", "history_focus", None):
        view.addSeparator() if name is None else view.addAction(actions[name])
    view.addAction(actions["zoom_in"])
    view.addAction(actions["zoom_out"])
    view.addAction(actions["animatic"])
    view.addSeparator()
    for dock in docks:
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    view.addAction(actions["reset_layout"])

    run = bar.addMenu("&Run")
    for name in ("iterate_all", "iterate_selected", "iterate_stale", "iterate_drifting", "resume",
                 None, "cancel", None, "use_image", "flipbook", "story_consistency"):  # fmt: skip
        run.addSeparator() if name is None else run.addAction(actions[name])

    models = bar.addMenu("&Models")
    models.addAction(actions["models"])
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(actions["shortcuts"])
    help_menu.addAction(actions["about"])
    return recent


def build_toolbar(actions: dict[str, QAction], card_width: int) -> tuple[QToolBar, QSlider]:
    """The board's toolbar, with the card size slider at its right end."""
    bar = QToolBar("Board")
    bar.setObjectName("BoardToolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for name in ("add_frame", "insert_frame", "duplicate", "delete", None, "undo", "redo", None,
                 "iterate_all", "iterate_selected", "iterate_stale", "cancel"):  # fmt: skip
        bar.addSeparator() if name is None else bar.addAction(actions[name])
    spacer = QWidget()
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    bar.addWidget(spacer)
    bar.addWidget(QLabel("Card size  "))
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(BoardView.MIN_WIDTH, BoardView.MAX_WIDTH)
    slider.setFixedWidth(140)
    slider.setValue(card_width)
    bar.addWidget(slider)
    return bar, slider


def update_enabled(
    actions: dict[str, QAction],
    session: ProjectSession | None,
    controller: RunController | None,
    board: BoardView | None,
) -> None:
    """Enable what makes sense now: an open story, a selection, a run going, the undo stack."""
    open_ = session is not None
    # A read-only story (read-only storage or permissions) can be read, exported, copied.
    writable = open_ and not session.store.read_only
    busy = bool(controller and controller.busy)
    selected = bool(board and board.selected_frame_ids())
    stack = session.undo_stack if session else None
    a = actions
    for name in ("save_as", "export", "close_project", "select_all", "zoom_in", "zoom_out",
                 "flipbook", "find", "next_frame", "previous_frame", "back_to_board",
                 "pose_tab", "history_focus", "animatic"):  # fmt: skip
        a[name].setEnabled(open_)
    for name in ("add_frame", "insert_frame", "edit_card", "story_settings", "import_script"):
        a[name].setEnabled(writable)
    for name in ("duplicate", "delete", "move_left", "move_right", "lock"):
        a[name].setEnabled(writable and selected)
    a["save_as"].setEnabled(open_ and not busy)
    a["undo"].setEnabled(bool(stack and stack.canUndo()))
    a["redo"].setEnabled(bool(stack and stack.canRedo()))
    undo = f"Undo: {stack.undoText()}" if stack and stack.canUndo() else "Nothing to undo"
    redo = f"Redo: {stack.redoText()}" if stack and stack.canRedo() else "Nothing to redo"
    a["undo"].setToolTip(undo)
    a["undo"].setStatusTip(undo)
    a["redo"].setToolTip(redo)
    a["redo"].setStatusTip(redo)
    for name in ("iterate_all", "iterate_stale", "iterate_drifting"):
        a[name].setEnabled(writable and not busy)
    a["resume"].setEnabled(bool(writable and not busy and controller and controller.resumable))
    a["story_consistency"].setEnabled(open_)
    a["iterate_selected"].setEnabled(writable and not busy and selected)
    a["cancel"].setEnabled(bool(busy and controller and controller.state == "running"))
    a["use_image"].setEnabled(writable)
