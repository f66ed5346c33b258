"""Help → About: versions and model fingerprints, copied for a bug report, from the menu."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QPoint, Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from engine.checkpoints import fingerprint
from storyboard_app.ui.dialogs.about_dialog import READING, AboutDialog


def click_menu(qtbot, window, menu_title: str, action_text: str) -> None:
    """Open a menu of the menu bar and choose an action, with the mouse."""
    bar = window.menuBar()
    top = next(a for a in bar.actions() if a.text().replace("&", "") == menu_title)
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(top).center())
    menu: QMenu = top.menu()
    qtbot.waitUntil(menu.isVisible)
    item = next(a for a in menu.actions() if a.text().replace("&", "") == action_text)
    QTest.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(item).center())


def test_about_lists_versions_and_fingerprints_and_copies_them(
    make_window, qtbot, preview_models, tmp_path, monkeypatch
):
    # The app's preview models are the session's ones (already built, so they fingerprint).
    cache = tmp_path / "cache" / "preview-models" / "micro"
    shutil.copytree(preview_models.base.parent, cache)
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    torch_was_loaded = "torch" in sys.modules

    click_menu(qtbot, window, "Help", "About")
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: READING not in dialog.report(), timeout=30_000)
    report = dialog.report()
    fields = dict(line.split(":", 1) for line in report.splitlines())
    fields = {label: value.strip() for label, value in fields.items()}
    assert fields["StoryIter Studio"] == importlib.metadata.version("storyiter-studio")
    assert fields["Qt"] == qVersion()
    for dist in ("torch", "diffusers", "transformers", "accelerate"):
        assert fields[dist].startswith(importlib.metadata.version(dist)), dist
    assert fields["model base (preview)"] == fingerprint(cache / "sdxl")
    assert fields["model ip_adapter (preview)"] == fingerprint(
        cache / "ip-adapter" / "sdxl_models" / "ip-adapter_sdxl.safetensors"
    )
    assert ("torch" in sys.modules) == torch_was_loaded  # reading versions imports nothing

    QGuiApplication.clipboard().clear()
    QTest.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert QGuiApplication.clipboard().text() == report
    assert dialog.copy_button.text() == "Copied"
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    QApplication.processEvents()


def test_storyboard_app_version_needs_no_display():
    script = shutil.which("storyboard-app", path=str(Path(sys.executable).parent))
    assert script
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}  # no DISPLAY, no QT_QPA_PLATFORM
    out = subprocess.run(
        [script, "--version"], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert out.stdout.startswith("StoryIter Studio: ")
    assert "PySide6:" in out.stdout
