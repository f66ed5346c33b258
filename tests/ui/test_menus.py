"""Every menu can be walked by its letters: Alt+letter opens a menu, a letter picks an item,
and no two items of one menu share a letter (Qt then only cycles between them)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from tests.ui.conftest import make_project


def _letters(menu) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for action in menu.actions():
        if action.isSeparator():
            continue
        text = action.menu().title() if action.menu() else action.text()
        mark = re.search(r"&([^&])", text)
        if mark:
            found.setdefault(mark.group(1).lower(), []).append(text)
    return found


def test_no_two_items_of_a_menu_share_a_letter(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=2))
    menus = [window.menuBar(), *(a.menu() for a in window.menuBar().actions())]
    menus += [a.menu() for m in menus[1:] for a in m.actions() if a.menu()]
    shared = {
        getattr(menu, "title", lambda: "menu bar")(): {
            k: v for k, v in _letters(menu).items() if len(v) > 1
        }
        for menu in menus
    }
    assert {k: v for k, v in shared.items() if v} == {}


def test_story_at_round_opens_from_the_run_menu_by_its_letters(make_window, qtbot, tmp_path):
    window = make_window()
    window.show()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=2))
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.board.setFocus()
    qtbot.waitUntil(window.board.hasFocus)
    opened = []
    window.actions["flipbook"].triggered.connect(lambda: opened.append(True))
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    seen = []

    def close_the_dialog() -> None:  # the flipbook is modal: it runs inside the key press
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(50, close_the_dialog)
            return
        seen.append(dialog.windowTitle())
        dialog.reject()

    QTimer.singleShot(50, close_the_dialog)
    QTest.keyClick(QApplication.activePopupWidget(), Qt.Key.Key_O)
    qtbot.waitUntil(lambda: bool(opened) and bool(seen))
    assert "round" in seen[0].lower(), seen
