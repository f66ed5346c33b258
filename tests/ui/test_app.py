"""Starting the app, opening projects, the model settings, and what the window remembers."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from storyboard_app.project.model_config import ModelConfig, save_model_config
from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.app import open_window, parse_args
from storyboard_app.ui.dialogs.models_dialog import ModelsDialog
from storyboard_app.ui.run.worker import ModelChoice
from storyboard_app.ui.shared.preferences import Preferences, open_settings
from tests.ui.conftest import make_project


def test_a_fresh_start_offers_the_demo_and_the_next_start_reopens_it(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.stack.currentWidget() is window.welcome
    assert window.session is None and not window.actions["iterate_all"].isEnabled()
    qtbot.mouseClick(window.welcome.demo_button, Qt.MouseButton.LeftButton)
    assert window.session is not None
    demo = window.session.path
    assert demo.parent == tmp_path / "data"
    assert window.session.store.story().title == "The Lantern Keeper"
    assert window.board.board_model.rowCount() == 9
    assert "Preview models" in window.windowTitle()  # nothing configured yet
    assert window.models_label.property("preview") == "true"
    window.session.edit_frame(window.board.current_frame_id(), notes="my own note")
    window.close()  # as the writer quits

    prefs = Preferences(open_settings(tmp_path / "ui-settings.ini"))
    again = open_window(prefs, resolver=window.resolver, engine=window.engine)
    qtbot.addWidget(again)
    try:
        assert again.session is not None and again.session.path == demo.resolve()
        assert again.session.store.frames()[0].notes == "my own note"  # the demo is kept
        assert demo.resolve() in prefs.recent_projects()
    finally:
        again.close()


def test_a_project_open_elsewhere_is_reported_and_left_alone(make_window, tmp_path):
    path = make_project(tmp_path / "busy.storyiter")
    before = path.read_bytes()
    with ProjectStore.open(path):  # another writer holds the project
        window = make_window()
        assert not window.open_project(path)
        assert "already open" in window.messages.message()
        assert window.session is None
    assert path.read_bytes() == before


def test_a_damaged_file_is_reported(make_window, tmp_path):
    path = tmp_path / "damaged.storyiter"
    path.write_bytes(b"this is not a project")
    window = make_window()
    assert not window.open_project(path)
    assert str(path) in window.messages.message()


def test_save_as_continues_in_the_copy(make_window, tmp_path):
    window = make_window()
    original = make_project(tmp_path / "a.storyiter")
    assert window.open_project(original)
    window.session.edit_frame(window.board.current_frame_id(), caption="in both")
    copy = tmp_path / "b.storyiter"
    assert window.files.save_copy_as(copy)
    assert window.session.path == copy
    window.session.edit_frame(window.board.current_frame_id(), caption="only in the copy")
    with ProjectStore.open_reader(original) as store:
        assert store.frames()[0].caption == "in both"
    with ProjectStore.open_reader(copy) as store:
        assert store.frames()[0].caption == "only in the copy"


def test_the_models_dialog_checks_the_preview_models(qtbot, resolver):
    dialog = ModelsDialog(ModelConfig(), True, resolver)
    qtbot.addWidget(dialog)
    assert not dialog.paths["base"].isEnabled()  # preview models need no paths
    with qtbot.waitSignal(dialog.checked, timeout=30_000):
        dialog.run_check()
    statuses = {name: status for name, _path, status in dialog.last_rows}
    assert statuses["SDXL base"] == "ok" and statuses["IP-Adapter"] == "ok"
    assert "✓" in dialog.results.text()


def test_the_models_dialog_names_what_is_wrong(qtbot, tmp_path, resolver):
    config = ModelConfig(base=str(tmp_path / "nowhere"))
    dialog = ModelsDialog(config, False, resolver)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.checked, timeout=30_000):
        dialog.run_check()
    text = dialog.results.text()
    assert "Set IP-Adapter" in text  # what is missing, and only that: the encoder is optional
    assert "encoder" not in text.lower()


def test_the_status_bar_names_the_active_models(make_window, tmp_path):
    save_model_config(
        replace(
            ModelConfig(), base="/models/RealVisXL_V4.0", image_encoder="/m/e", ip_adapter="/m/a"
        )
    )
    window = make_window()
    assert window.models_label.text().startswith("SDXL RealVisXL_V4.0")
    assert window.models_label.property("preview") == "false"
    assert "Preview" not in window.windowTitle()
    window.prefs.set_use_preview_models(True)
    window.update_models_label()
    assert "Preview models" in window.models_label.text()
    assert window.model_choice() == ModelChoice(window.model_choice().config, True)


def test_docks_remember_their_state(make_window, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter"))
    window.show()
    window.docks["history"].hide()
    window.close()
    again = make_window()
    again.show()
    assert again.docks["history"].isHidden()
    assert not again.docks["editor"].isHidden()
    again.actions["reset_layout"].trigger()
    assert not again.docks["history"].isHidden()


def test_command_line():
    args = parse_args(["story.storyiter", "--preview-models"])
    assert str(args.project) == "story.storyiter" and args.preview_models
    assert parse_args([]).project is None
