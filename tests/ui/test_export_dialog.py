"""The export dialog driven with real input: every format, the warnings before writing, a
click on a panel switching fill / fit, and refusals shown without losing anything."""

from __future__ import annotations

import hashlib

import opentimelineio as otio
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog

from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.dialogs.export_dialog import ExportDialog
from tests.export.projects import make_project


@pytest.fixture
def dialog(qtbot, tmp_path):
    path = make_project(tmp_path / "kites.storyiter", frames=4, size=(160, 90))
    store = ProjectStore.open(path)
    dialog = ExportDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    yield dialog
    store.close()


def choose(combo, text: str) -> None:
    """Pick an entry of a combo box with the keyboard, as a writer would."""
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    while combo.currentText() != text:
        before = combo.currentIndex()
        QTest.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() != before, f"{text!r} is not offered"


def save_as(monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def warnings(dialog) -> list[str]:
    return [dialog.warnings.item(i).text() for i in range(dialog.warnings.count())]


def test_warnings_show_before_writing_and_a_click_switches_fill_and_fit(dialog):
    for box in (dialog.form.rows, dialog.form.columns):  # a 2 x 2 grid
        box.setFocus()
        QTest.keyClick(box, Qt.Key.Key_Up)
        QTest.keyClick(box, Qt.Key.Key_Up)
        assert box.value() == 2
    assert any("Frames 1-4 are cropped" in w for w in warnings(dialog))
    first = dialog._pages[0].slots[0].frame_rect
    scale = dialog.preview.pixmap().width() / dialog._pages[0].width
    offset = (dialog.preview.width() - dialog.preview.pixmap().width()) / 2
    at = QPoint(round(first.center[0] * scale + offset), round(first.center[1] * scale))
    QTest.mouseClick(dialog.preview, Qt.MouseButton.LeftButton, pos=at)
    assert dialog.fits == {1: "fit"}
    assert any("Frames 2-4 are cropped" in w for w in warnings(dialog))
    assert dialog._pages[0].slots[0].fit == "fit"


def test_every_format_of_the_command_line_is_offered(dialog):
    offered = [dialog.form.format.itemText(i) for i in range(dialog.form.format.count())]
    for name in ("PDF", "PNG", "GIF", "MP4", "Timeline", "CSV", "ZIP", "OpenPose"):
        assert any(name in title for title in offered), name
    choose(dialog.form.format, "Timeline for editors")
    kinds = [dialog.form.timeline_kind.itemText(i) for i in range(4)]
    assert kinds == ["OpenTimelineIO", "FCP7 / Premiere XML", "FCPXML", "CMX 3600 EDL"]
    assert dialog.form.timeline.isVisible() and not dialog.form.pdf.isVisible()


def test_exports_through_the_dialog_and_refuses_the_project(dialog, monkeypatch, tmp_path):
    out = tmp_path / "board.pdf"
    save_as(monkeypatch, out)
    choose(dialog.form.dpi, "600 dpi")
    QTest.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert out.read_bytes().startswith(b"%PDF") and "Wrote" in dialog.status.text()

    choose(dialog.form.format, "Timeline for editors")
    choose(dialog.form.timeline_kind, "FCP7 / Premiere XML")
    cut = tmp_path / "cut.xml"
    save_as(monkeypatch, cut)
    QTest.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert len(list(otio.adapters.read_from_file(str(cut)).find_clips())) == 4

    choose(dialog.form.format, "MP4 animatic (H.264)")
    assert dialog.preview.pixmap().width() == 420  # the animatic frame, previewed
    before = hashlib.sha256(dialog.store.path.read_bytes()).hexdigest()
    save_as(monkeypatch, dialog.store.path)
    QTest.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert "Not exported" in dialog.status.text() and "StoryIter project" in dialog.status.text()
    assert hashlib.sha256(dialog.store.path.read_bytes()).hexdigest() == before
