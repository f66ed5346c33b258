"""The window's actions with their shortcuts, and the menus and toolbar that show them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

if TYPE_CHECKING:
    from storyboard_app.ui.main_window import MainWindow

Std = QKeySequence.StandardKey

# name: (text, shortcut(s), status tip)
ACTIONS: dict[str, tuple[str, tuple[str | QKeySequence.StandardKey, ...], str]] = {
    "new": ("&New Story…", (Std.New,), "Create a new project file"),
    "open": ("&Open…", (Std.Open,), "Open a project file"),
    "open_demo": ("Open the &Demo Story", (), "The Lantern Keeper, ready to iterate"),
    "save_as": ("Save &As…", (Std.SaveAs,), "Copy the project to a new file and continue there"),
    "export": ("&Export…", ("Ctrl+E",), "Comic pages or film storyboard sheets as PDF"),
    "close_project": ("&Close Story", (Std.Close,), "Close the project (it is already saved)"),
    "quit": ("&Quit", (Std.Quit,), "Quit StoryIter Studio"),
    "undo": ("&Undo", (Std.Undo,), "Undo the last edit"),
    "redo": ("&Redo", (Std.Redo,), "Redo the edit undone"),
    "add_frame": ("&Add Frame", ("Ctrl+Return",), "Add a card after the current one"),
    "insert_frame": ("&Insert Frame Before", ("Ctrl+Shift+Return",), "Add a card before"),
    "duplicate": ("D&uplicate", ("Ctrl+D",), "Copy the selected cards (without images)"),
    "delete": ("&Delete", (Std.Delete,), "Delete the selected cards and their images"),
    "move_left": ("Move &Earlier", ("Ctrl+Shift+Left",), "Move the selected cards one earlier"),
    "move_right": ("Move &Later", ("Ctrl+Shift+Right",), "Move the selected cards one later"),
    "select_all": ("Select &All Frames", (Std.SelectAll,), "Select every card"),
    "lock": ("&Lock / Unlock", ("Ctrl+L",), "Locked frames keep their image"),
    "edit_card": ("Edit &Card", ("F2",), "Type in the frame editor"),
    "zoom_in": ("Larger Cards", ("Ctrl+=", "Ctrl++"), "Make the cards larger"),
    "zoom_out": ("Smaller Cards", ("Ctrl+-",), "Make the cards smaller"),
    "reset_layout": ("Reset &Layout", (), "Put every panel back where it started"),
    "iterate_all": ("Iterate &All", ("Ctrl+R",), "Round 0 where missing, then every round"),
    "iterate_selected": ("Iterate &Selected", ("Ctrl+Shift+R",), "One round of the selection"),
    "iterate_stale": ("Iterate S&tale", ("Ctrl+Alt+R",), "Re-draw the frames whose card changed"),
    "resume": ("&Resume", ("F5",), "Finish the last cancelled or interrupted pass"),
    "cancel": ("&Cancel", ("Ctrl+.",), "Stop within one step; drawn images are kept"),
    "use_image": ("&Use This Image", ("Ctrl+U",), "Make the image chosen in the history current"),
    "flipbook": ("Story at &Round…", ("Ctrl+Shift+F",), "Every frame as it stood after round N"),
    "models": ("&Models…", ("Ctrl+,",), "Model files, device, precision, offload, Check"),
    "about": ("&About", (), "About StoryIter Studio"),
}

BOARD_ONLY = ("delete", "select_all", "move_left", "move_right")


def build_actions(window: MainWindow, slots: dict[str, Callable[[], object]]) -> dict[str, QAction]:
    actions = {}
    for name, (text, keys, tip) in ACTIONS.items():
        action = QAction(text, window)
        action.setObjectName(name)
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


def build_menus(window: MainWindow, actions: dict[str, QAction]) -> QMenu:
    """The menu bar; returns the Open Recent menu (filled when it opens)."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    for name in ("new", "open"):
        file_menu.addAction(actions[name])
    recent = file_menu.addMenu("Open &Recent")
    file_menu.addAction(actions["open_demo"])
    file_menu.addSeparator()
    for name in ("save_as", "export"):
        file_menu.addAction(actions[name])
    file_menu.addSeparator()
    file_menu.addAction(actions["close_project"])
    file_menu.addAction(actions["quit"])

    edit = bar.addMenu("&Edit")
    for name in ("undo", "redo", None, "add_frame", "insert_frame", "duplicate", "delete", None,
                 "move_left", "move_right", "lock", "edit_card", None, "select_all"):  # fmt: skip
        edit.addSeparator() if name is None else edit.addAction(actions[name])

    view = bar.addMenu("&View")
    view.addAction(actions["zoom_in"])
    view.addAction(actions["zoom_out"])
    view.addSeparator()
    for dock in window.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    view.addAction(actions["reset_layout"])

    run = bar.addMenu("&Run")
    for name in ("iterate_all", "iterate_selected", "iterate_stale", "resume", None, "cancel",
                 None, "use_image", "flipbook"):  # fmt: skip
        run.addSeparator() if name is None else run.addAction(actions[name])

    models = bar.addMenu("&Models")
    models.addAction(actions["models"])
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(actions["about"])
    return recent


def build_toolbar(window: MainWindow, actions: dict[str, QAction]) -> QToolBar:
    bar = QToolBar("Board")
    bar.setObjectName("BoardToolbar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for name in ("add_frame", "insert_frame", "duplicate", "delete", None, "undo", "redo", None,
                 "iterate_all", "iterate_selected", "iterate_stale", "cancel"):  # fmt: skip
        bar.addSeparator() if name is None else bar.addAction(actions[name])
    return bar
