"""Model settings: where the model files are, how they run, and a Check of every path.

The Check is the validation ``storyboard models check`` runs, done in a background thread.
"Use preview models" switches to the tiny random-weight models (images are noise).
"""

from __future__ import annotations

import html
import threading
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from storyboard_app.project.model_config import ModelConfig
from storyboard_app.ui.run.worker import ModelChoice, Resolver, default_resolver

PATH_FIELDS = (
    ("base", "SDXL base", "folder or .safetensors", ("folder", "file")),
    ("image_encoder", "Image encoder", "IP-Adapter's image_encoder folder", ("folder",)),
    ("ip_adapter", "IP-Adapter", "ip-adapter_sdxl .safetensors or .bin", ("file",)),
    ("controlnet", "ControlNet", "optional: OpenPose SDXL ControlNet folder", ("folder",)),
    ("lcm", "LCM UNet", "optional: LCM UNet folder or LCM-LoRA file", ("folder", "file")),
)


def describe_choice(choice: ModelChoice) -> tuple[str, bool]:
    """(words for the status bar, whether they are the preview models), without loading."""
    config = choice.config
    if choice.preview or not config.configured:
        return "Preview models — random weights, images are noise", True
    extras = [
        name for name, value in (("ControlNet", config.controlnet), ("LCM", config.lcm)) if value
    ]
    base = Path(config.base).name or config.base
    text = f"SDXL {base}" + (f" + {', '.join(extras)}" if extras else "")
    return f"{text} · {config.device} · {config.precision}", False


def check_rows(choice: ModelChoice, resolver: Resolver) -> list[tuple[str, str, str]]:
    """(component, path, "ok" / "not configured" / the problem) for every model path."""
    from engine.checkpoints import check_models
    from engine.errors import EngineError
    from storyboard_app.project.errors import ProjectError

    config = choice.config
    if not choice.preview and not config.configured:
        missing = [label for key, label, *_ in PATH_FIELDS[:3] if not getattr(config, key)]
        return [("Models", "", f"Set {', '.join(missing)} — or use the preview models.")]
    try:
        paths, _runtime = resolver(choice)
    except (ProjectError, EngineError) as exc:
        return [("Models", "", str(exc))]
    return [(name, str(path or ""), status) for name, path, status in check_models(paths)]


class ModelsDialog(QDialog):
    checked = Signal(object)  # list of rows, from the checking thread

    def __init__(
        self,
        config: ModelConfig,
        use_preview: bool,
        resolver: Resolver | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.setMinimumWidth(640)
        self.resolver = resolver or default_resolver
        self.paths: dict[str, QLineEdit] = {}
        paths_box = QGroupBox("Model files (your own; nothing is downloaded)")
        paths_form = QFormLayout(paths_box)
        for key, label, hint, kinds in PATH_FIELDS:
            edit = QLineEdit(getattr(config, key), placeholderText=hint)
            self.paths[key] = edit
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            for kind in kinds:
                browse = QToolButton(text="Folder…" if kind == "folder" else "File…")
                browse.clicked.connect(lambda _=False, k=key, t=kind: self._browse(k, t))
                row.addWidget(browse)
            paths_form.addRow(label, row)

        self.preview = QCheckBox(
            "Use preview models (tiny random weights: images are noise, everything else is real)"
        )
        self.preview.setChecked(use_preview)
        self.preview.toggled.connect(self._preview_toggled)

        run_box = QGroupBox("How they run")
        run_form = QFormLayout(run_box)
        self.device = QComboBox(editable=True)
        self.device.addItems(["auto", "cuda", "cpu", "mps", "cuda:1"])
        self.device.setCurrentText(config.device)
        self.precision = QComboBox()
        self.precision.addItems(["fp32", "fp16", "bf16"])
        self.precision.setCurrentText(config.precision)
        self.offload = QComboBox()
        self.offload.addItems(["none", "model", "sequential"])
        self.offload.setCurrentText(config.offload)
        self.batch = QSpinBox(minimum=0, maximum=64, specialValueText="auto")
        self.batch.setValue(config.batch_size)
        run_form.addRow("Device", self.device)
        run_form.addRow("Precision", self.precision)
        run_form.addRow("Offload", self.offload)
        run_form.addRow("Batch", self.batch)

        self.check_button = QPushButton("Check")
        self.check_button.clicked.connect(self.run_check)
        self.results = QLabel("Check reads every file's header and layout; it loads nothing.")
        self.results.setObjectName("Hint")
        self.results.setWordWrap(True)
        self.results.setTextFormat(Qt.TextFormat.RichText)
        self.results.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignTop)
        check_row.addWidget(self.results, 1)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview)
        layout.addWidget(paths_box)
        layout.addWidget(run_box)
        layout.addLayout(check_row)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.checked.connect(self._show_rows)
        self._base = config
        self._preview_toggled(use_preview)

    # ------------------------------------------------------------------ values

    def config(self) -> ModelConfig:
        return replace(
            self._base,
            **{key: edit.text().strip() for key, edit in self.paths.items()},
            device=self.device.currentText().strip() or "auto",
            precision=self.precision.currentText(),
            offload=self.offload.currentText(),
            batch_size=self.batch.value(),
        )

    def choice(self) -> ModelChoice:
        return ModelChoice(self.config(), self.preview.isChecked())

    def _preview_toggled(self, on: bool) -> None:
        for edit in self.paths.values():
            edit.setEnabled(not on)

    def _browse(self, key: str, kind: str) -> None:
        start = self.paths[key].text() or str(Path.home())
        if kind == "folder":
            chosen = QFileDialog.getExistingDirectory(self, "Choose a model folder", start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "Choose a model file", start, "Weights (*.safetensors *.bin);;All (*)"
            )
        if chosen:
            self.paths[key].setText(chosen)

    # ------------------------------------------------------------------ check

    def run_check(self) -> None:
        """Check in a background thread; ``checked`` delivers the rows."""
        self.check_button.setEnabled(False)
        self.results.setText("Checking…")
        choice = self.choice()

        def work() -> None:
            try:
                rows = check_rows(choice, self.resolver)
            except Exception as exc:  # a surprise in a checker is still a readable answer
                rows = [("Models", "", f"{type(exc).__name__}: {exc}")]
            self.checked.emit(rows)

        threading.Thread(target=work, name="models check", daemon=True).start()

    def _show_rows(self, rows: list[tuple[str, str, str]]) -> None:
        self.check_button.setEnabled(True)
        lines = []
        for name, path, status in rows:
            if status == "ok":
                mark, color = "✓", "#1f6f43"
            elif status == "not configured":
                mark, color = "–", "#6b7280"
            else:
                mark, color = "✗", "#b42318"
            detail = "" if status in ("ok", "not configured") else f"<br>{html.escape(status)}"
            where = f" <span style='color:#6b7280'>{html.escape(path)}</span>" if path else ""
            lines.append(
                f"<div style='color:{color}'><b>{mark} {html.escape(name)}</b>{where}{detail}</div>"
            )
        self.results.setText("".join(lines))
        self.last_rows = rows
