"""The board's scene header rows, driven as a writer does: each scene starts a new row under
a full-width header (number, heading, frame count, running time); a click on a header
collapses it, keys walk from cards to headers and back, and the header's menu (right click,
Shift+F10) moves, splits, merges and adds scenes, each undone by a real Ctrl+Z."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from storyboard_app.project.store import ProjectStore
from tests.ui.conftest import make_project

CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton
HEADINGS = ["INT. LAMP ROOM - NIGHT", "EXT. CLIFF - DAWN", "INT. HARBOUR - DAY"]


def three_scenes(path):
    """Seven frames in three scenes: 3, 2 and 2 frames."""
    make_project(path, frames=7)
    with ProjectStore.open(path) as store:
        frames = store.frames()
        store.update_scene(store.scenes()[0].id, heading=HEADINGS[0])
        store.split_scene(frames[3].id, heading=HEADINGS[1])
        store.split_scene(frames[5].id, heading=HEADINGS[2])
        store.update_frame(frames[4].id, duration=3.5)
    return path


def shown(make_window, qtbot, path, size=(1440, 900)):
    window = make_window()
    window.resize(*size)
    assert window.open_project(path)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitActive(window)
    board = window.board
    board.setFocus()
    qtbot.waitUntil(board.hasFocus)
    qtbot.wait(50)
    return window, board


def scene_ids(window):
    return [s.id for s in window.session.store.scenes()]


def layout(window):
    store = window.session.store
    frames = store.frames()
    return [
        (s.heading, [f.interaction for f in frames if f.scene_id == s.id]) for s in store.scenes()
    ]


def press(qtbot, key, modifiers=Qt.KeyboardModifier.NoModifier):
    focus = QApplication.focusWidget()
    assert focus is not None, "no widget has the keyboard focus"
    qtbot.keyClick(focus, key, modifiers)


def undo(qtbot, window):
    """Ctrl+Z, pressed on the board as the writer does."""
    window.activateWindow()
    qtbot.waitActive(window)
    window.board.setFocus()
    qtbot.waitUntil(window.board.hasFocus)
    QTest.keyClick(window.board, Qt.Key.Key_Z, CTRL)
    settled(qtbot, window)


def settled(qtbot, window):
    """Wait for the board to show the story as stored."""
    store, model = window.session.store, window.board.board_model
    qtbot.waitUntil(lambda: [c.frame for c in model.cards] == store.frames())
    qtbot.waitUntil(lambda: [h.scene_id for h in model.headers] == scene_ids(window))


def rows_of(window, scene_id):
    return [r for r, c in enumerate(window.board.board_model.cards) if c.frame.scene_id == scene_id]


def click_menu_item(qtbot, window, text):
    menu = window.scenes_panel.menu
    qtbot.waitUntil(lambda: menu.isVisible())
    (action,) = [a for a in menu.actions() if a.text() == text]
    assert action.isEnabled(), text
    QTest.mouseClick(menu, LEFT, pos=menu.actionGeometry(action).center())
    qtbot.waitUntil(lambda: not menu.isVisible())
    settled(qtbot, window)


def test_each_scene_starts_a_row_under_its_full_width_header(make_window, qtbot, tmp_path):
    window, board = shown(make_window, qtbot, three_scenes(tmp_path / "s.storyiter"))
    model = board.board_model
    headers = model.headers
    assert [h.label for h in headers] == [f"Scene {i + 1}: {h}" for i, h in enumerate(HEADINGS)]
    assert [(h.frames, h.seconds) for h in headers] == [(3, 6.0), (2, 5.5), (2, 4.0)]
    viewport = board.viewport().rect()
    left = min(board.visualRect(model.index(r)).left() for r in range(7))
    tops = []
    for scene_id in scene_ids(window):
        header = board.header_rect(scene_id)
        assert header.width() >= viewport.width() - 40  # the board's whole width
        cards = [board.visualRect(model.index(r)) for r in rows_of(window, scene_id)]
        assert all(c.top() > header.bottom() for c in cards)  # under its header
        assert cards[0].left() == left  # a new row for each scene
        tops.append((header.top(), max(c.bottom() for c in cards)))
    # Each scene's cards end above the next scene's header.
    assert all(bottom < top for (_, bottom), (top, _) in pairwise(tops))


def test_a_click_on_a_header_collapses_its_scene_and_another_shows_it(
    make_window, qtbot, tmp_path
) -> None:
    window, board = shown(make_window, qtbot, three_scenes(tmp_path / "s.storyiter"))
    _, second, third = scene_ids(window)
    model = board.board_model

    def third_top():  # on the board, wherever it is scrolled to
        return board.header_rect(third).top() + board.verticalScrollBar().value()

    below = third_top()
    frames = window.session.store.frames()
    QTest.mouseClick(board.viewport(), LEFT, pos=board.visualRect(model.index(4)).center())
    assert board.current_frame_id() == frames[4].id
    QTest.mouseClick(board.viewport(), LEFT, pos=board.header_rect(second).center())
    assert model.collapsed_scenes == {second}
    # The current card was in it: the next scene's first card is current now.
    assert board.current_frame_id() == frames[5].id
    assert all(board.visualRect(model.index(r)).isEmpty() for r in rows_of(window, second))
    assert third_top() < below  # the next scene moves up
    assert not board.visualRect(model.index(rows_of(window, third)[0])).isEmpty()
    # The Scenes panel shows it collapsed too (unticked).
    item = window.scenes_panel.tree.topLevelItem(1)
    assert item.checkState(0) == Qt.CheckState.Unchecked
    QTest.mouseClick(board.viewport(), LEFT, pos=board.header_rect(second).center())
    assert model.collapsed_scenes == set()
    assert not any(board.visualRect(model.index(r)).isEmpty() for r in range(7))
    assert third_top() == below
    # Resting the pointer on a header explains it.
    QTest.mouseMove(board.viewport(), board.header_rect(second).center() + QPoint(40, 0))
    qtbot.waitUntil(QToolTip.isVisible, timeout=3000)
    assert QToolTip.text().startswith(f"Scene 2: {HEADINGS[1]}\nClick to collapse")


def test_keys_walk_cards_across_scenes_and_collapse_from_the_header(
    make_window, qtbot, tmp_path
) -> None:
    window, board = shown(make_window, qtbot, three_scenes(tmp_path / "s.storyiter"))
    _, second, third = scene_ids(window)
    model = board.board_model
    frames = window.session.store.frames()
    assert board.current_frame_id() == frames[0].id
    # Right walks the story across the scene boundary.
    for expected in (1, 2, 3):
        press(qtbot, Qt.Key.Key_Right)
        assert board.current_frame_id() == frames[expected].id
    press(qtbot, Qt.Key.Key_Left)
    assert board.current_frame_id() == frames[2].id
    # Down from a scene's last line goes to the next scene's header; Space collapses it.
    press(qtbot, Qt.Key.Key_Down)
    assert board.header_focus == second
    press(qtbot, Qt.Key.Key_Space)
    assert model.collapsed_scenes == {second}
    # Down from a collapsed header goes to the next header, then into its cards.
    press(qtbot, Qt.Key.Key_Down)
    assert board.header_focus == third
    press(qtbot, Qt.Key.Key_Down)
    assert board.header_focus is None and board.current_frame_id() == frames[5].id
    # Up from a scene's first line goes back to its header, and on to the header before.
    press(qtbot, Qt.Key.Key_Up)
    assert board.header_focus == third
    press(qtbot, Qt.Key.Key_Up)
    assert board.header_focus == second
    press(qtbot, Qt.Key.Key_Right)  # Right expands, Left collapses
    assert model.collapsed_scenes == set()
    press(qtbot, Qt.Key.Key_Left)
    assert model.collapsed_scenes == {second}
    press(qtbot, Qt.Key.Key_Return)
    assert model.collapsed_scenes == set()
    press(qtbot, Qt.Key.Key_Down)
    assert board.current_frame_id() == frames[3].id
    press(qtbot, Qt.Key.Key_Up)
    press(qtbot, Qt.Key.Key_Up)  # to the first card of scene 1's last line
    assert board.header_focus is None and board.current_frame_id() == frames[0].id
    # End and Home: the story's last and first cards; Page Down goes a page of lines on.
    press(qtbot, Qt.Key.Key_End)
    assert board.current_frame_id() == frames[6].id
    press(qtbot, Qt.Key.Key_Home)
    assert board.current_frame_id() == frames[0].id
    press(qtbot, Qt.Key.Key_PageDown)
    assert board.current_frame_id() in {f.id for f in frames[3:]}


def test_the_header_menu_moves_splits_merges_and_adds_scenes_all_undone_by_ctrl_z(
    make_window, qtbot, tmp_path, monkeypatch
) -> None:
    window, board = shown(make_window, qtbot, three_scenes(tmp_path / "s.storyiter"))
    first, second, third = scene_ids(window)
    start = layout(window)
    beats = [f"beat {i}" for i in range(1, 8)]
    assert start == [(HEADINGS[0], beats[:3]), (HEADINGS[1], beats[3:5]), (HEADINGS[2], beats[5:])]

    # Right click on the second header: Move Scene Up; Ctrl+Z puts it back.
    QTest.mouseClick(board.viewport(), LEFT, pos=board.header_rect(second).center())  # collapse
    QTest.mouseClick(board.viewport(), LEFT, pos=board.header_rect(second).center())  # and back
    QTest.mouseClick(
        board.viewport(), Qt.MouseButton.RightButton, pos=board.header_rect(second).center()
    )
    click_menu_item(qtbot, window, "Move Scene Up")
    assert layout(window) == [start[1], start[0], start[2]]
    undo(qtbot, window)
    assert layout(window) == start

    # The keyboard: the second card of scene 1, Shift+F10 opens its scene's menu; Split at
    # that frame is its third item.
    second_card = board.visualRect(board.board_model.index(1)).center()
    QTest.mouseClick(board.viewport(), LEFT, pos=second_card)
    assert board.current_frame_id() == window.session.store.frames()[1].id
    press(qtbot, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    menu = window.scenes_panel.menu
    qtbot.waitUntil(menu.isVisible)
    assert [a.text() for a in menu.actions()][2] == "Split Scene at Frame 2"
    for _ in range(3):
        QTest.keyClick(menu, Qt.Key.Key_Down)
    QTest.keyClick(menu, Qt.Key.Key_Return)
    assert layout(window) == [(HEADINGS[0], beats[:1]), ("", beats[1:3]), *start[1:]]
    undo(qtbot, window)
    assert layout(window) == start

    # Merge the third scene into the second from its header's menu, opened by keys: Down
    # from the second scene's cards to the third's header, then Shift+F10; Ctrl+Z.
    QTest.mouseClick(
        board.viewport(), LEFT, pos=board.visualRect(board.board_model.index(4)).center()
    )
    press(qtbot, Qt.Key.Key_Down)
    assert board.header_focus == third
    press(qtbot, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    assert [a.isEnabled() for a in window.scenes_panel.menu.actions()][3:6] == [True, True, False]
    click_menu_item(qtbot, window, "Merge with Previous Scene")
    assert layout(window) == [start[0], (HEADINGS[1], beats[3:])]
    undo(qtbot, window)
    assert layout(window) == start

    # Add a scene after the first; the scene's details open, then Ctrl+Z removes it.
    def accept(dialog):
        dialog.heading.setText("EXT. BEACH - NOON")
        return True

    monkeypatch.setattr("storyboard_app.ui.scenes.panel.SceneDialog.exec", accept)
    QTest.mouseClick(
        board.viewport(), Qt.MouseButton.RightButton, pos=board.header_rect(first).center()
    )
    click_menu_item(qtbot, window, "Add Scene After")
    assert layout(window) == [start[0], ("EXT. BEACH - NOON", []), *start[1:]]
    qtbot.waitUntil(lambda: len(board.board_model.headers) == 4)
    assert board.board_model.headers[1].frames == 0
    undo(qtbot, window)  # the heading
    undo(qtbot, window)  # the scene
    assert layout(window) == start


def test_search_hides_cards_under_their_headers(make_window, qtbot, tmp_path) -> None:
    window, board = shown(make_window, qtbot, three_scenes(tmp_path / "s.storyiter"))
    first, second, third = scene_ids(window)
    model = board.board_model
    press(qtbot, Qt.Key.Key_F, CTRL)
    QTest.keyClicks(window.search_bar.field, "beat 4")
    qtbot.waitUntil(lambda: window.search_bar.count.text() == "1 of 7 frames")
    visible = [r for r in range(7) if not board.visualRect(model.index(r)).isEmpty()]
    assert visible == [3]
    # Every header stays; the scene with the card comes right under its header.
    assert all(not board.header_rect(s).isEmpty() for s in (first, second, third))
    card = board.visualRect(model.index(3))
    assert board.header_rect(second).bottom() < card.top() < board.header_rect(third).top()


def test_dragging_over_empty_board_selects_the_cards_it_covers(make_window, qtbot, tmp_path):
    window, board = shown(make_window, qtbot, three_scenes(tmp_path / "s.storyiter"))
    model, viewport = board.board_model, board.viewport()
    frames = window.session.store.frames()
    third = board.visualRect(model.index(2))
    second = board.visualRect(model.index(1))
    start = QPoint(third.right() + 40, third.top() + 20)  # beside scene 1's last card
    assert not board.indexAt(start).isValid() and board.header_at(start) is None
    QTest.mousePress(viewport, LEFT, pos=start)
    for step in range(1, 6):
        QTest.mouseMove(viewport, start + (second.center() - start) * step / 5)
    QTest.mouseRelease(viewport, LEFT, pos=second.center())
    assert board.selected_frame_ids() == [frames[1].id, frames[2].id]
    # The Scenes panel follows the board: the current card's scene is the current one there.
    QTest.mouseClick(viewport, LEFT, pos=board.visualRect(model.index(5)).center())
    panel = window.scenes_panel
    assert panel.tree.currentItem() is panel.tree.topLevelItem(2)
    assert board.selected_frame_ids() == [frames[5].id]  # and the selection is the writer's
