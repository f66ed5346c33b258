"""A story the writer may not change, in the real app: the frame editor's fields, the pose
editor and the cast panel take no typing, drags or nudges (visibly read-only, no error
message afterwards), and a story in an older file format opens the same way, read through
an upgraded copy, with the banner saying so. Nothing in the file changes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.pose.document import pose_to_text
from tests.ui.conftest import make_project
from tests.ui.test_pose_editor import RIGHT_WRIST, pose_of
from tests.ui.test_reliability import _read_only_folder

OLDER = Path(__file__).resolve().parent.parent / "fixtures" / "release-0.1.0.storyiter"
TYPED = "typed while read-only"


def _posed(path: Path) -> str:
    """A 2-frame project whose first frame has a pose; returns the stored pose text."""
    make_project(path, frames=2)
    pose = pose_to_text(pose_of("Standing", frame=(64, 64), cast={"Mara": "#e8a33d"}))
    with ProjectStore.open(path) as store:
        store.update_frame(store.frames()[0].id, pose_json=pose, notes="keep these notes")
    return pose


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _click_first_card(window, qtbot) -> None:
    board, model = window.board, window.board.model()
    rect = board.visualRect(model.index(0, 0))
    QTest.mouseClick(board.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.editor.frame_id == model.cards[0].frame.id)


def _text(edit) -> str:
    return edit.text() if isinstance(edit, QLineEdit) else edit.toPlainText()


def _type_into(qtbot, edit) -> None:
    """A real click into the field, then keys: letters, Backspace, a paste shortcut."""
    target = edit if isinstance(edit, QLineEdit) else edit.viewport()
    QTest.mouseClick(target, Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
    QTest.keyClicks(edit, TYPED)
    QTest.keyClick(edit, Qt.Key.Key_Backspace)
    QTest.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(50)


def _looks_read_only(edit) -> None:
    """The style sheet's read-only look: the field's own background is grey, not white."""
    image = edit.grab().toImage()
    inside = QColor(image.pixel(image.width() - 6, image.height() // 2))
    assert (inside.red(), inside.green(), inside.blue()) == (0xEE, 0xF0, 0xF3), inside.name()


def _no_typing_takes(window, qtbot) -> None:
    editor = window.editor
    before = {name: _text(edit) for name, edit in editor.fields.items()}
    assert before["notes"] == "keep these notes"
    for name, edit in [*editor.fields.items(), ("seed", editor.seed)]:
        shown = _text(edit)
        _type_into(qtbot, edit)
        assert _text(edit) == shown, name
        assert edit.isReadOnly(), name
        _looks_read_only(edit)
    duration = editor.duration.value()
    QTest.keyClicks(editor.duration, "9")
    QTest.keyClick(editor.duration, Qt.Key.Key_Up)
    assert editor.duration.value() == duration
    QTest.mouseClick(editor.locked, Qt.MouseButton.LeftButton)
    assert not editor.locked.isChecked() and not editor.locked.isEnabled()
    assert not editor.cast_button.isEnabled()
    assert "read-only" in editor.heading.text()
    editor.flush()
    qtbot.wait(600)  # longer than the save timer's pause: nothing was pending to save
    assert window.messages.message() == ""


def _pose_stays(window, qtbot, stored: str) -> None:
    editor = window.editor
    editor.tabs.setCurrentWidget(editor.pose_tab)
    pose = editor.pose_tab.editor
    qtbot.waitUntil(lambda: pose.pose_json() == stored)
    canvas = pose.canvas
    x, y, _ = canvas.shown_pose.figures[0].keypoints[RIGHT_WRIST]
    start = canvas.viewportTransform().map(QPointF(*canvas.fit.to_frame(x, y))).toPoint()
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 7):
        QTest.mouseMove(viewport, start + QPoint(-12 * step, 6 * step))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(-72, 36))
    assert canvas.selected_figure == 0  # looking (selecting) still works
    for _ in range(3):
        QTest.keyClick(canvas, Qt.Key.Key_Right)
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    QTest.keyClick(canvas, Qt.Key.Key_M)
    assert pose.pose_json() == stored and pose.undo_stack().count() == 0
    actions = pose.controls.actions
    for name in ("mirror", "delete", "clear", "add", "import", "copy_next", "rotate_left"):
        assert not actions[name].isEnabled(), name
    for name in ("export", "preview", "fit"):
        assert actions[name].isEnabled(), name
    assert not pose.controls.add_button.isEnabled() and not pose.controls.cast_box.isEnabled()
    assert pose.hint_label.text().startswith("Read-only")
    assert window.messages.message() == ""


def _cast_stays(window, qtbot) -> None:
    window.docks["cast"].raise_()
    cast = window.cast_panel
    qtbot.waitUntil(lambda: cast.name.text() == "Mara")
    description = cast.description.toPlainText()
    _type_into(qtbot, cast.name)
    QTest.keyClick(cast.name, Qt.Key.Key_Return)
    _type_into(qtbot, cast.description)
    assert (cast.name.text(), cast.description.toPlainText()) == ("Mara", description)
    _looks_read_only(cast.name)
    _looks_read_only(cast.description)
    for button in (cast.add_button, cast.remove_button, cast.color):
        assert not button.isEnabled()
    cast.flush()
    assert window.messages.message() == ""


def _run_settings_stay(window, qtbot) -> None:
    """The Iterate panel shows the story's settings, greyed: keys and clicks change nothing."""
    panel = window.run_panel
    shown = (panel.rounds.value(), panel.seed.text(), panel.style_box.currentIndex())
    for widget in (panel.rounds, panel.steps, panel.batch, panel.seed, panel.style_box):
        assert not widget.isEnabled()
        QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(8, 8))
        QTest.keyClicks(widget, "7")
        QTest.keyClick(widget, Qt.Key.Key_Up)
    QTest.mouseClick(panel.dice, Qt.MouseButton.LeftButton)
    QTest.mouseClick(panel.fast, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    assert (panel.rounds.value(), panel.seed.text(), panel.style_box.currentIndex()) == shown
    assert not panel.fast.isChecked() and window.messages.message() == ""


def _scenes_stay(window, qtbot) -> None:
    """The Scenes panel and a header's menu offer no edit of a read-only story."""
    panel = window.scenes_panel
    for name, button in panel.buttons.items():
        assert not button.isEnabled(), name
    board = window.board
    header = board.header_rect(board.board_model.headers[0].scene_id)
    QTest.mouseClick(board.viewport(), Qt.MouseButton.RightButton, pos=header.center())
    qtbot.waitUntil(lambda: panel.menu is not None and panel.menu.isVisible())
    enabled = [a.text() for a in panel.menu.actions() if a.isEnabled()]
    panel.menu.close()
    assert enabled in (["Collapse Scene"], ["Expand Scene"]), enabled


def test_a_read_only_story_takes_no_typing_drags_or_nudges(make_window, qtbot, tmp_path):
    folder = tmp_path / "archive"
    folder.mkdir()
    path = folder / "kept.storyiter"
    stored = _posed(path)
    before = _digest(path)
    window = make_window()
    window.resize(1600, 1000)
    window.show()
    with _read_only_folder(folder):
        assert window.open_project(path)
        assert window.session.store.read_only and window.read_only_banner.isVisible()
        _click_first_card(window, qtbot)
        _no_typing_takes(window, qtbot)
        _pose_stays(window, qtbot, stored)
        _cast_stays(window, qtbot)
        _run_settings_stay(window, qtbot)
        _scenes_stay(window, qtbot)
        window.grab().save(str(tmp_path / "read-only-editor.png"))
        window.close_project(force=True)
        assert sorted(p.name for p in folder.iterdir()) == ["kept.storyiter"]
    assert _digest(path) == before


def test_an_older_format_story_on_read_only_storage_opens_read_only(make_window, qtbot, tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    path = folder / "old.storyiter"
    shutil.copyfile(OLDER, path)
    before = (_digest(path), path.stat().st_mtime_ns)
    window = make_window()
    window.show()
    with _read_only_folder(folder):
        assert window.open_project(path)
        assert window.session.store.older_format == 1
        banner = window.read_only_banner.text()
        assert banner.startswith("Read-only: ") and "Older file format (1;" in banner, banner
        assert "the file itself is not changed" in banner
        assert len(window.board.model().cards) == 4
        _click_first_card(window, qtbot)
        character = window.editor.fields["character"]
        shown = character.text()
        _type_into(qtbot, character)
        assert character.text() == shown and window.messages.message() == ""
        window.close_project(force=True)
        assert sorted(p.name for p in folder.iterdir()) == ["old.storyiter"]
    assert (_digest(path), path.stat().st_mtime_ns) == before
