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
