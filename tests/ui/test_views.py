"""The looking-back views on a drawn story: compare, full size, flipbook, export preview; and
an undo that would lose drawn images is refused."""

from __future__ import annotations

from dataclasses import replace

from storyboard_app.ui.dialogs.export_dialog import ExportDialog
from storyboard_app.ui.history.flipbook import FlipbookDialog, image_at_round
from storyboard_app.ui.history.viewers import CompareDialog, ImageDialog
from tests.ui.conftest import make_project, run_and_wait


def test_views_of_a_drawn_story(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=2))
    store = window.session.store
    store.update_story(settings=replace(store.settings(), rounds=1))
    assert run_and_wait(qtbot, window).status == "complete"
    frame = store.frames()[0]
    history = store.images_of_frame(frame.id)
    assert [i.round for i in history] == [0, 1]

    compare = CompareDialog(store, history[0].id, history[1].id, window)
    qtbot.addWidget(compare)
    text = "".join(label.text() for label in compare.findChildren(type(window.run_label)))
    assert "Round 0" in text and "Round 1" in text and "Adapter scale" in text

    full = ImageDialog(store, history[1].id, window)
    qtbot.addWidget(full)
    assert "round 1" in full.windowTitle().lower()

    flipbook = FlipbookDialog(store, window)
    qtbot.addWidget(flipbook)
    assert flipbook.max_round == 1 and flipbook.grid.count() == 2
    flipbook.slider.setValue(0)
    assert flipbook.grid.item(0).text() == "1"
    assert image_at_round(history, 0).id == history[0].id
    assert image_at_round(history, 5).id == history[1].id
    assert image_at_round(history, -1) is None

    export = ExportDialog(store, window)
    qtbot.addWidget(export)
    assert export.preview.pixmap() is not None and not export.preview.pixmap().isNull()
    assert "page" in export.status.text()
    export.form.layout_box.setCurrentIndex(1)  # film sheets
    assert not export.preview.pixmap().isNull()


def test_undoing_the_addition_of_a_drawn_frame_is_refused(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=1))
    session = window.session
    session.update_settings(rounds=1)
    added = session.add_frame(character="a late idea")
    assert run_and_wait(qtbot, window).status == "complete"
    assert session.store.images_of_frame(added.id)
    index = session.undo_stack.index()
    session.undo()  # adding the frame: refused, it has images now
    assert session.has_frame(added.id) and session.undo_stack.index() == index
    assert "images" in window.messages.message()
