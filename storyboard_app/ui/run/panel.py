"""The run panel: how the story is drawn (rounds, style, fast, ControlNet, seed, batch), the
iterate actions, and the run's progress with a live look at the frame being drawn."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QSize, Qt
from PySide6.QtGui import QAction, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.prompts import load_styles
from storyboard_app.project.model import new_seed
from storyboard_app.project.run_progress import RunProgress, board_summary, describe_result
from storyboard_app.ui.board.model import BoardModel
from storyboard_app.ui.run.controller import RunController
from storyboard_app.ui.shared.images import fitted
from storyboard_app.ui.shared.session import ProjectSession

PREVIEW_SIZE = 96


def action_button(action: QAction, primary: bool = False) -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if primary:
        button.setObjectName("Primary")
        button.setStyleSheet(
            "QToolButton#Primary { background: #3b6fb6; color: white; border-radius: 4px;"
            " padding: 5px; font-weight: 600; border: 1px solid #335f9c; }"
            "QToolButton#Primary:disabled { background: #a9bcd8; border-color: #a9bcd8; }"
        )
    return button


class RunPanel(QWidget):
    def __init__(
        self,
        session: ProjectSession,
        controller: RunController,
        actions: dict[str, QAction],
        board: BoardModel,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.controller = controller
        self.board = board

        self.rounds = QSpinBox(minimum=1, maximum=100)
        self.rounds.setToolTip(
            "Story-Iter rounds after the text-only round 0: every round re-draws each frame "
            "attending to all frames of the round before (adapter scale 0.3 → 0.5)"
        )
        self.rounds.valueChanged.connect(lambda v: self._set("rounds", v))
        self.style_box = QComboBox()
        # As narrow as the dock allows: a long style name is cut short in the box, whole in
        # its list.
        self.style_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.style_box.setMinimumContentsLength(8)
        for name, style in load_styles().items():
            self.style_box.addItem(style.label or name, name)
        self.style_box.currentIndexChanged.connect(
            lambda _: self._set("style", self.style_box.currentData(), merge=False)
        )
        self.fast = QCheckBox("Fast (LCM, 4 steps)")
        self.fast.toggled.connect(lambda v: self._set("fast", v, merge=False))
        self.controlnet = QCheckBox("Poses (ControlNet)")
        self.controlnet.toggled.connect(lambda v: self._set("controlnet", v, merge=False))
        self.steps = QSpinBox(minimum=1, maximum=200)
        self.steps.valueChanged.connect(lambda v: self._set("steps", v))
        self.seed = QLineEdit()
        self.seed.setValidator(QRegularExpressionValidator(r"\d{1,19}"))
        self.seed.editingFinished.connect(self._seed_edited)
        self.dice = dice = QToolButton(text="New")
        dice.setToolTip("Draw a new random story seed")
        dice.clicked.connect(lambda: self._set("seed", new_seed(), merge=False))
        self.batch = QSpinBox(minimum=0, maximum=64, specialValueText="auto")
        self.batch.setToolTip("Frames per model call; auto chooses from free memory")
        self.batch.valueChanged.connect(lambda v: self._set("batch_size", v))

        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(dice)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Rounds", self.rounds)
        form.addRow("Style", self.style_box)
        form.addRow("Steps", self.steps)
        form.addRow("Seed", seed_row)
        form.addRow("Batch", self.batch)
        form.addRow("", self.fast)
        form.addRow("", self.controlnet)

        grid = QGridLayout()
        grid.setSpacing(4)
        grid.addWidget(action_button(actions["iterate_all"], primary=True), 0, 0, 1, 2)
        grid.addWidget(action_button(actions["iterate_selected"]), 1, 0)
        grid.addWidget(action_button(actions["iterate_stale"]), 1, 1)
        grid.addWidget(action_button(actions["iterate_drifting"]), 2, 0, 1, 2)
        grid.addWidget(action_button(actions["resume"]), 3, 0)
        grid.addWidget(action_button(actions["cancel"]), 3, 1)

        self.progress = QProgressBar(minimum=0, maximum=1000, textVisible=False)
        self.progress.setFixedHeight(8)
        self.status = QLabel("Idle", objectName="Hint")
        self.status.setWordWrap(True)
        self.live = QLabel()
        self.live.setFixedSize(QSize(PREVIEW_SIZE, PREVIEW_SIZE))
        self.live.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.live.setStyleSheet("background: #e8eaee; border-radius: 6px; color: #6b7280;")
        self.live.setToolTip("A quick look at the frame being drawn (from its latents)")
        self.summary = QLabel(objectName="Hint")
        self.summary.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(form)
        layout.addSpacing(4)
        layout.addLayout(grid)
        layout.addSpacing(6)
        layout.addWidget(self.progress)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.live, 0, Qt.AlignmentFlag.AlignTop)
        progress_row.addWidget(self.status, 1, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(progress_row)
        layout.addWidget(self.summary)
        layout.addStretch(1)
        self.live.hide()  # shown while a pass runs

        session.storyChanged.connect(self.reload)
        board.refreshed.connect(self._summarise)
        controller.progressChanged.connect(self.show_progress)
        controller.previewChanged.connect(self._show_preview)
        controller.stateChanged.connect(self._state_changed)
        self.reload()

    # ------------------------------------------------------------------ settings

    def reload(self) -> None:
        if self.session.store.closed:
            return
        s = self.session.store.settings()
        widgets = (self.rounds, self.style_box, self.fast, self.controlnet, self.steps, self.batch)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.rounds.setValue(s.rounds)
        index = self.style_box.findData(s.style)
        if index < 0:
            self.style_box.addItem(s.style, s.style)
            index = self.style_box.count() - 1
        self.style_box.setCurrentIndex(index)
        self.fast.setChecked(s.fast)
        self.controlnet.setChecked(s.controlnet)
        self.steps.setValue(s.steps)
        self.batch.setValue(s.batch_size)
        del blockers
        # A read-only story shows its settings; they cannot be changed (nor run).
        writable = not self.session.store.read_only
        for widget in (*widgets, self.seed, self.dice):
            widget.setEnabled(writable)
        self.steps.setEnabled(writable and not s.fast)
        if not self.seed.hasFocus():
            self.seed.setText(str(s.seed))
        self._summarise()

    def _set(self, name: str, value: object, merge: bool = True) -> None:
        if self.session.store.settings().__getattribute__(name) == value:
            return
        key = f"run:{name}" if merge else None
        if not self.session.update_settings(merge=key, **{name: value}):
            self.reload()

    def _seed_edited(self) -> None:
        text = self.seed.text().strip()
        if text:
            self._set("seed", int(text), merge=False)
        self.reload()

    def _summarise(self) -> None:
        if self.session.store.closed:
            return
        rounds = self.session.store.settings().rounds
        self.summary.setText(board_summary(self.board.cards, rounds))

    # ------------------------------------------------------------------ progress

    def show_progress(self, progress: RunProgress) -> None:
        self.progress.setValue(int(progress.fraction * 1000))
        self.status.setText(progress.label)

    def _show_preview(self) -> None:
        image = self.controller.last_preview
        if image is not None:
            self.live.setPixmap(fitted(image, self.live.size()))

    def _state_changed(self, state: str) -> None:
        self.live.setVisible(state != "idle")
        if state == "idle":
            result = self.controller.last_result
            self.progress.setValue(1000 if result and result.status == "complete" else 0)
            self.status.setText(describe_result(result) if result else "Idle")
            self.live.clear()
        elif state == "cancelling":
            self.status.setText("Cancelling — stopping after this step…")
