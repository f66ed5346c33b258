"""The Models dialog: scan a models folder, pick among the candidates and the hub cache's
models, and be asked before saving models that fail Check — driven by clicks and keys."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from storyboard_app.project.model_config import ModelConfig
from storyboard_app.ui.dialogs.models_dialog import ModelsDialog
from storyboard_app.ui.run.worker import default_resolver


def _answer_next_message_box(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Press ``button`` on the next modal message box, recording its text."""

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, press)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(50, press)


def test_scan_fills_the_paths_and_the_hub_cache_offers_the_encoder(qtbot, model_trees, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(model_trees / "hub"))
    a1111 = model_trees / "A1111" / "models"
    dialog = ModelsDialog(ModelConfig(), False, default_resolver)
    qtbot.addWidget(dialog)
    dialog.show()
    encoder = dialog.paths["image_encoder"]
    qtbot.waitUntil(lambda: encoder.findText("h94/IP-Adapter") >= 0, timeout=60_000)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(a1111))
    with qtbot.waitSignal(dialog.scanned, timeout=60_000):
        qtbot.mouseClick(dialog.scan_button, Qt.MouseButton.LeftButton)
    base = dialog.paths["base"].currentText()
    assert base == str(a1111 / "Stable-diffusion" / "RealVisXL_V4.0.safetensors")
    assert dialog.paths["lcm"].currentText().endswith("lcm-lora-sdxl.safetensors")
    assert encoder.currentText() == ""
    assert "No image encoder found" in dialog.results.text()

    # Choose the hub cache's encoder from the field's list, with the keyboard.
    encoder.setFocus()
    while (
        encoder.currentText() != "h94/IP-Adapter" and encoder.currentIndex() < encoder.count() - 1
    ):
        qtbot.keyClick(encoder, Qt.Key.Key_Down)
    assert encoder.currentText() == "h94/IP-Adapter"

    with qtbot.waitSignal(dialog.checked, timeout=60_000):
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
    statuses = [status for _n, _p, status in dialog.last_rows]
    assert statuses == ["ok"] * 5, dialog.last_rows
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # it passed Check: no question asked
    assert dialog.result() == ModelsDialog.DialogCode.Accepted
    assert dialog.config().image_encoder == "h94/IP-Adapter"


def test_saving_models_that_fail_check_asks_first(qtbot, tmp_path):
    bad = ModelConfig(base=str(tmp_path / "no such model.safetensors"), ip_adapter="h94/IP-Adapter")
    dialog = ModelsDialog(bad, False, default_resolver)
    qtbot.addWidget(dialog)
    dialog.show()
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)

    seen: list[str] = []
    _answer_next_message_box(QMessageBox.StandardButton.Cancel, seen)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert seen and "fail Check" in seen[0]
    assert dialog.isVisible()  # not saved: the writer can fix the paths

    _answer_next_message_box(QMessageBox.StandardButton.Save, seen)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert len(seen) == 2
    assert dialog.result() == ModelsDialog.DialogCode.Accepted
    assert Path(dialog.config().base).name == "no such model.safetensors"


def test_models_menu_scan_choose_check_save_writes_the_configuration(
    make_window, qtbot, model_trees, monkeypatch
):
    """Models → Models… clicked in the window's menu bar; Scan folder… on a ComfyUI tree,
    the hub cache's IP-Adapter chosen from its field's list, Check, Save: the saved
    configuration holds exactly that, and the window says which models it now uses."""
    from storyboard_app.project.model_config import config_path, load_model_config

    monkeypatch.setenv("HF_HUB_CACHE", str(model_trees / "hub"))
    comfy = model_trees / "ComfyUI" / "models"
    asked: list[str] = []

    def choose_folder(_parent, caption, *_args, **_kwargs):
        asked.append(caption)
        return str(comfy)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", choose_folder)
    window = make_window(resolver=None)  # the app's own resolver: the configured files
    window.show()
    qtbot.waitExposed(window)
    assert not config_path().exists()
    steps: list[str] = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ModelsDialog):
            QTimer.singleShot(50, drive)
            return
        try:
            adapter = dialog.paths["ip_adapter"]
            qtbot.waitUntil(lambda: adapter.findText("h94/IP-Adapter") >= 0, timeout=60_000)
            qtbot.mouseClick(dialog.scan_button, Qt.MouseButton.LeftButton)
            assert not dialog.check_button.isEnabled()  # while the scan runs
            qtbot.waitUntil(dialog.scan_button.isEnabled, timeout=60_000)
            assert "filled in 5 of 5" in dialog.results.text()
            steps.append("scanned")
            adapter.setFocus()
            while adapter.currentText() != "h94/IP-Adapter":
                index = adapter.currentIndex()
                qtbot.keyClick(adapter, Qt.Key.Key_Down)
                assert adapter.currentIndex() != index, "h94/IP-Adapter is not in the list"
            steps.append("chose")
            qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(
                lambda: dialog.check_button.isEnabled() and bool(dialog.last_rows), timeout=60_000
            )
            assert [s for _n, _p, s in dialog.last_rows] == ["ok"] * 5, dialog.last_rows
            steps.append("checked")
            save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
            qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # passed Check: no question
            steps.append("saved")
        finally:
            if dialog.isVisible():
                dialog.reject()  # a failed step must not leave the dialog waiting

    QTimer.singleShot(0, drive)
    bar = window.menuBar()
    models = next(a for a in bar.actions() if a.text() == "&Models")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.actionGeometry(models).center())
    menu = QApplication.activePopupWidget()
    assert menu is models.menu()
    item = menu.actions()[0]
    assert item is window.actions["models"]
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(item).center())
    assert steps == ["scanned", "chose", "checked", "saved"]
    assert asked and "Scan a models folder" in asked[0]

    saved = load_model_config()
    assert saved.base == str(comfy / "checkpoints" / "RealVisXL_V4.0.safetensors")
    assert saved.ip_adapter == "h94/IP-Adapter"
    assert Path(saved.image_encoder).parent == comfy / "clip_vision"
    assert Path(saved.controlnet).parent == comfy / "controlnet"
    assert saved.lcm.endswith("lcm-lora-sdxl.safetensors")
    assert "RealVisXL_V4.0.safetensors" in window.models_label.text()
    assert "Preview models" not in window.windowTitle()
