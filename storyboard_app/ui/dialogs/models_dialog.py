"""Model settings: where the model files are, how they run, and a Check of every path.

The Check is the validation ``storyboard models check`` runs, done in a background thread.
"Scan folder…" finds candidates per role under a ComfyUI/A1111 ``models`` folder (what
``storyboard models set --scan`` does) and fills in the best; each path's list also offers the
models of the local Hugging Face cache. Saving a configuration that fails Check asks first.
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
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from storyboard_app.project.model_config import ModelConfig
from storyboard_app.ui.run.worker import ModelChoice, Resolver, default_resolver

# key, label, what goes there (the field's placeholder), more (its tooltip), browse kinds
PATH_FIELDS = (
    ("base", "SDXL base", "folder, .safetensors file or repo id",
     "A diffusers folder, a single .safetensors checkpoint, or a repo id in the Hugging Face "
     "cache (e.g. SG161222/RealVisXL_V4.0)", ("folder", "file")),
    ("image_encoder", "Image encoder", "optional: folder or clip_vision file",
     "An image_encoder folder or a ComfyUI clip_vision file; left empty, the encoder beside "
     "the adapter (h94/IP-Adapter's sdxl_models/image_encoder) is used", ("folder", "file")),
    ("ip_adapter", "IP-Adapter", "ip-adapter_sdxl file or h94/IP-Adapter",
     "ip-adapter_sdxl .safetensors or .bin, or h94/IP-Adapter from the Hugging Face cache",
     ("file",)),
    ("controlnet", "ControlNet", "optional: OpenPose SDXL ControlNet",
     "Only for Poses (ControlNet): a folder or a single .safetensors file", ("folder", "file")),
    ("lcm", "LCM UNet", "optional: LCM UNet folder or LCM-LoRA file",
     "Only for Fast (LCM): an LCM UNet folder or an LCM-LoRA .safetensors file",
     ("folder", "file")),
)  # fmt: skip


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
    """(component, path, "ok" / "not configured" / the problem) for every model path.
    The check runs in a child process: reading pickled and single-file models needs torch,
    which the window's process never imports."""
    from engine.check_process import check_models_apart
    from engine.errors import EngineError
    from storyboard_app.project.errors import ProjectError

    config = choice.config
    if not choice.preview and not config.configured:
        needed = ("base", "ip_adapter")  # the encoder defaults to the one beside the adapter
        missing = [
            label for key, label, *_ in PATH_FIELDS if key in needed and not getattr(config, key)
        ]
        return [("Models", "", f"Set {', '.join(missing)} — or use the preview models.")]
    try:
        paths, _runtime = resolver(choice)
        return check_models_apart(paths)
    except (ProjectError, EngineError) as exc:
        return [("Models", "", str(exc))]


def scan_summary(root: Path | None, found: dict[str, str], missing: list[str]) -> str:
    """What a scan chose and what it did not find, as the dialog shows it (plain text)."""
    where = str(root) if root is not None else "the Hugging Face cache"
    lines = [f"Scanned {where}: filled in {len(found)} of {len(PATH_FIELDS)} paths."]
    if "image_encoder" in missing:
        lines.append(
            "No image encoder found (A1111 folders have none): point at h94/IP-Adapter's "
            "sdxl_models/image_encoder, a ComfyUI clip_vision file, or leave it empty when it "
            "sits beside the adapter."
        )
    others = [label for key, label, *_ in PATH_FIELDS if key in missing and key != "image_encoder"]
    if others:
        lines.append(f"Not found: {', '.join(others)}.")
    return "\n".join(lines)


class ModelsDialog(QDialog):
    checked = Signal(object)  # list of rows, from the checking thread
    scanned = Signal(object, object)  # (scanned folder or None for the hub cache, candidates)

    def __init__(
        self,
        config: ModelConfig,
        use_preview: bool,
        resolver: Resolver | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.setMinimumWidth(760)  # room for a models folder's paths
        self.resolver = resolver or default_resolver
        self.paths: dict[str, QComboBox] = {}
        paths_box = QGroupBox("Model files (your own; nothing is downloaded)")
        paths_grid = QGridLayout(paths_box)  # the Folder… and File… buttons in columns
        paths_grid.setColumnStretch(1, 1)
        for row, (key, label, hint, more, kinds) in enumerate(PATH_FIELDS):
            edit = QComboBox(editable=True)
            edit.setObjectName(f"path_{key}")
            edit.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            edit.setMinimumContentsLength(24)
            edit.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            edit.lineEdit().setPlaceholderText(hint)
            edit.setToolTip(more)
            edit.setEditText(getattr(config, key))
            self.paths[key] = edit
            name = QLabel(label)
            name.setBuddy(edit)
            paths_grid.addWidget(name, row, 0)
            paths_grid.addWidget(edit, row, 1)
            for kind in kinds:
                browse = QToolButton(text="Folder…" if kind == "folder" else "File…")
                browse.setToolTip(f"Choose the {label} {kind}")
                browse.clicked.connect(lambda _=False, k=key, t=kind: self._browse(k, t))
                paths_grid.addWidget(browse, row, 2 if kind == "folder" else 3)

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

        self.check_button = QPushButton("C&heck")
        self.check_button.clicked.connect(self.run_check)
        self.scan_button = QPushButton("Sc&an folder…")
        self.scan_button.setToolTip(
            "Find the model files under a ComfyUI or A1111 models folder, or a folder of "
            "model folders, by reading their headers"
        )
        self.scan_button.clicked.connect(self._choose_scan_folder)
        self.results = QLabel("Check reads every file's header and layout; it loads nothing.")
        self.results.setObjectName("Hint")
        self.results.setWordWrap(True)
        self.results.setTextFormat(Qt.TextFormat.RichText)
        self.results.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        check_row = QHBoxLayout()
        check_buttons = QVBoxLayout()
        check_buttons.addWidget(self.scan_button)
        check_buttons.addWidget(self.check_button)
        check_buttons.addStretch(1)
        check_row.addLayout(check_buttons)
        check_row.addWidget(self.results, 1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview)
        layout.addWidget(paths_box)
        layout.addWidget(run_box)
        layout.addLayout(check_row)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.checked.connect(self._show_rows)
        self.scanned.connect(self._show_candidates)
        self._base = config
        self.last_rows: list[tuple[str, str, str]] = []
        self._checked_choice: ModelChoice | None = None
        self._preview_toggled(use_preview)
        self._scan_in_background(None)  # the hub cache's models, as choices

    # ------------------------------------------------------------------ values

    def config(self) -> ModelConfig:
        return replace(
            self._base,
            **{key: edit.currentText().strip() for key, edit in self.paths.items()},
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
        start = self.paths[key].currentText() or str(Path.home())
        if kind == "folder":
            chosen = QFileDialog.getExistingDirectory(self, "Choose a model folder", start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(
                self, "Choose a model file", start, "Weights (*.safetensors *.bin);;All (*)"
            )
        if chosen:
            self.paths[key].setEditText(chosen)

    # ------------------------------------------------------------------ scan

    def _choose_scan_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Scan a models folder (ComfyUI, A1111, or model folders)", str(Path.home())
        )
        if folder:
            self.scan_folder(Path(folder))

    def scan_folder(self, root: Path) -> None:
        """Scan ``root`` in a background thread; the best candidate of each role is filled in."""
        self.scan_button.setEnabled(False)
        self.check_button.setEnabled(False)  # a Check now would check what the scan replaces
        self.results.setText(f"Scanning {html.escape(str(root))}…")
        self._scan_in_background(root)

    def _scan_in_background(self, root: Path | None) -> None:
        def work() -> None:
            from engine.errors import EngineError
            from engine.model_scan import scan

            try:
                candidates, _skipped = scan(root)
            except (EngineError, OSError) as exc:
                candidates = str(exc)
            self.scanned.emit(root, candidates)

        threading.Thread(target=work, name="models scan", daemon=True).start()

    def _show_candidates(self, root: Path | None, candidates: object) -> None:
        from engine.model_scan import best

        if isinstance(candidates, str):  # the scan failed: say why
            self.scan_button.setEnabled(True)
            self.check_button.setEnabled(True)
            self.results.setText(html.escape(candidates))
            return
        for c in candidates:
            box = self.paths[c.role.value]
            if box.findText(c.source) < 0:
                typed = box.currentText()
                box.addItem(c.source)  # a choice in the list; what is typed stays
                box.setCurrentIndex(-1)
                box.setEditText(typed)
        if root is None:
            return
        self.scan_button.setEnabled(True)
        self.check_button.setEnabled(True)
        chosen = best(candidates)
        found = {}
        for key, edit in self.paths.items():
            pick = next((c for role, c in chosen.items() if role.value == key), None)
            if pick is not None:
                edit.setEditText(pick.source)
                found[key] = pick.source
        missing = [key for key, *_ in PATH_FIELDS if key not in found]
        self.results.setText(html.escape(scan_summary(root, found, missing)).replace("\n", "<br>"))
        self._grow()

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

        self._checked_choice = choice
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
        self._grow()

    def _grow(self) -> None:
        """Taller when the results need it, rather than squeezing the rows above them."""
        self.layout().activate()
        wanted = self.size().expandedTo(self.sizeHint())
        if wanted != self.size():
            self.resize(wanted)

    # ------------------------------------------------------------------ save

    def accept(self) -> None:
        """Save — after asking, when the configuration fails Check."""
        choice = self.choice()
        rows = self.last_rows if choice == self._checked_choice and self.last_rows else None
        if rows is None:
            rows = check_rows(choice, self.resolver)
            self._show_rows(rows)
            self._checked_choice = choice
        failed = [(n, s) for n, _p, s in rows if s not in ("ok", "not configured")]
        if failed:
            answer = QMessageBox.warning(
                self,
                "Save models that fail Check?",
                "These models fail Check, so rendering with them will fail:\n\n"
                + "\n".join(f"• {name}: {status}" for name, status in failed[:5])
                + "\n\nSave anyway?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Save:
                return
        super().accept()
