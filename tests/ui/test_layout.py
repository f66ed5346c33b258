"""The window's layout cannot trap: from 1280×720 up, with every dock configuration, every
card can be scrolled into view and the board is idle once the layout settles; the Pose tab
fits the Frame dock; the welcome page shows its whole text."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolBar, QToolButton

from storyboard_app.project.model import StorySettings
from storyboard_app.project.store import ProjectStore

SIZES = ((1280, 720), (1440, 900), (1920, 1080))


def story(path, frames: int = 9):
    """A story at 3:2 (384×256), the shape that made the board loop."""
    settings = StorySettings(rounds=2, steps=2, width=384, height=256, seed=7)
    with ProjectStore.create(path, title="Layout", settings=settings) as store:
        store.add_frames(
            [
                {"character": f"Keeper {i + 1}", "interaction": "walks", "scene": "the pier"}
                for i in range(frames)
            ]
        )
    return path


def settle(ms: int = 250) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.005)


class ResizeCounter(QObject):
    def __init__(self, *widgets) -> None:
        super().__init__()
        self.count = 0
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.count += 1
        return False


def configure(window, name: str) -> None:
    docks = window.docks
    if name == "reset":
        window.actions["reset_layout"].trigger()
    elif name == "wide frame dock":
        window.resizeDocks([docks["editor"]], [700], Qt.Orientation.Horizontal)
    elif name == "tall history":
        window.resizeDocks([docks["history"]], [420], Qt.Orientation.Vertical)
    elif name == "docks closed":
        for dock in docks.values():
            dock.toggleViewAction().trigger()
    elif name == "frame dock floating":
        docks["editor"].setFloating(True)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_card_is_reachable_and_the_board_idle_in_every_layout(make_window, tmp_path, size):
    window = make_window()
    window.resize(*size)
    window.show()
    assert window.open_project(story(tmp_path / "layout.storyiter"))
    board = window.board
    counter = ResizeCounter(board, board.viewport())
    for name in ("default", "reset", "wide frame dock", "tall history", "frame dock floating",
                 "docks closed"):  # fmt: skip
        configure(window, name)
        window.resize(*size)
        settle(400)
        assert (window.width(), window.height()) == size, f"{name}: the window cannot be {size}"
        counter.count = 0
        settle(500)
        assert counter.count == 0, f"{name}: the board resized itself {counter.count} times"
        viewport = board.viewport().rect()
        model = board.board_model
        for row in range(model.rowCount()):
            index = model.index(row)
            board.scrollTo(index)
            settle(10)
            card = board.visualRect(index)
            assert viewport.contains(card), f"{name}: card {row + 1} cannot be seen ({card})"
        window.actions["reset_layout"].trigger()
        if name == "frame dock floating":
            window.docks["editor"].setFloating(False)
        if name == "docks closed":
            for dock in window.docks.values():
                dock.show()


def test_the_window_fits_1280x720_and_the_iterate_form_keeps_its_rows(make_window, tmp_path):
    window = make_window()
    window.resize(1280, 720)
    window.show()
    assert window.open_project(story(tmp_path / "small.storyiter"))
    settle(400)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    panel = window.run_panel
    for field in (panel.rounds, panel.steps, panel.seed, panel.batch):
        assert field.height() >= field.minimumSizeHint().height()  # no slivers: it scrolls
    for dock in window.docks.values():
        assert dock.width() >= dock.minimumWidth() >= 200


def test_pose_tab_fits_the_frame_dock_and_folds_its_tools_into_the_overflow(
    make_window, tmp_path, qtbot
):
    window = make_window()
    window.resize(1440, 900)
    window.show()
    assert window.open_project(story(tmp_path / "pose.storyiter", frames=2))
    window.resizeDocks([window.docks["editor"]], [400], Qt.Orientation.Horizontal)
    editor = window.editor
    tab_bar = editor.tabs.tabBar()
    QTest.mouseClick(tab_bar, Qt.MouseButton.LeftButton, pos=tab_bar.tabRect(1).center())
    settle(300)
    pose = editor.pose_tab.editor
    assert pose.isVisible()
    assert pose.width() <= editor.pose_tab.width()  # never wider than the dock: no sideways
    controls = pose.controls
    wanted = {
        "Delete": controls.actions["delete"],
        "Undo": controls.actions["undo"],
        "Redo": controls.actions["redo"],
        "Control image": controls.actions["preview"],
        "File ▾": controls.file_button.defaultAction(),
    }
    folded = set()
    for bar in (controls.toolbar, controls.frame_bar):
        extension = bar.findChild(QToolButton, "qt_toolbar_ext_button")
        shown = {
            action
            for action in bar.actions()
            if (w := bar.widgetForAction(action)) is not None
            and w.isVisible()
            and bar.rect().contains(w.geometry())
        }
        if extension is None or not extension.isVisible():
            continue
        menu_texts: list[str] = []

        def read_menu(texts=menu_texts):
            popup = QApplication.activePopupWidget()
            texts.extend(a.text() for a in popup.actions())
            popup.close()

        qtbot.wait(10)
        from PySide6.QtCore import QTimer

        QTimer.singleShot(200, read_menu)
        QTest.mouseClick(extension, Qt.MouseButton.LeftButton)
        settle(300)
        folded |= {a for a in bar.actions() if a.text() in menu_texts and a not in shown}
        assert isinstance(bar, QToolBar)
    for text, action in wanted.items():
        owner = controls.toolbar if action in controls.toolbar.actions() else controls.frame_bar
        widget = owner.widgetForAction(action)
        visible = widget is not None and widget.isVisible()
        visible = visible and owner.rect().contains(widget.geometry())
        assert visible or action in folded, f"{text} is neither on its bar nor in its » menu"


def test_welcome_page_shows_its_whole_text_on_first_launch(make_window):
    window = make_window()
    window.resize(1280, 720)
    window.show()
    settle(300)
    intro = window.welcome.intro
    assert intro.isVisible()
    assert intro.height() >= intro.heightForWidth(intro.width())


FIT_SIZES = ((1280, 720), (1440, 900), (1600, 1000), (1920, 1080))


def controls_outside(panel, dock) -> list[str]:
    """The panel's controls not wholly inside the part of its dock one sees (window
    coordinates): cut off at the right, or below the visible part."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit

    window = dock.window()
    area = dock.widget()
    view = area.viewport()
    seen = QRect(view.mapTo(window, QPoint(0, 0)), view.size())
    outside = []
    for kind in (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit):
        for control in panel.findChildren(kind):
            inside_another = isinstance(control.parent(), (QAbstractSpinBox, QComboBox))
            if inside_another or not control.isVisibleTo(panel):
                continue
            where = QRect(control.mapTo(window, QPoint(0, 0)), control.size())
            if not seen.contains(where):
                name = getattr(control, "text", lambda: "")() or type(control).__name__
                outside.append(f"{name} at {where.getRect()} (dock shows {seen.getRect()})")
    return outside


def test_the_iterate_panel_fits_its_dock_at_every_window_size(make_window, tmp_path):
    """Every control of the Iterate panel (the seed's New button and the spin boxes' arrows
    too) lies inside the visible dock, in the default layout and after Reset Layout, and the
    dock cannot be dragged narrower than the panel; the History panel is never cut off at
    the right; the board stays idle."""
    window = make_window()
    window.resize(1440, 900)
    window.show()
    assert window.open_project(story(tmp_path / "fit.storyiter", frames=6))
    board = window.board
    counter = ResizeCounter(board, board.viewport())
    run, history = window.docks["run"], window.docks["history"]
    for size in FIT_SIZES:
        window.resize(*size)
        settle(300)
        assert (window.width(), window.height()) == size
        for name in ("default", "reset", "narrowed"):
            if name == "reset":
                window.actions["reset_layout"].trigger()
            elif name == "narrowed":  # the writer drags the left column as narrow as it goes
                window.resizeDocks([run], [120], Qt.Orientation.Horizontal)
            settle(300)
            counter.count = 0
            settle(400)
            where = f"{size[0]}×{size[1]} {name}"
            assert counter.count == 0, f"{where}: the board resized itself {counter.count} times"
            assert not controls_outside(window.run_panel, run), (where, controls_outside(
                window.run_panel, run))  # fmt: skip
            if name == "reset":
                area = history.widget()
                assert area.horizontalScrollBar().maximum() == 0, f"{where}: History scrolls"
        window.actions["reset_layout"].trigger()
