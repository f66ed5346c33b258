"""Story Settings: the image size (with aspect presets and orientation), steps, guidance,
rounds, style and seed of the open story, applied as one undoable edit.

What the writer enters is checked by ``story_settings.checked_settings``, the same check as
``storyboard settings``; problems are listed in the dialog and nothing changes until they
are fixed.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.prompts import load_styles
from storyboard_app.project.model import (
    GUIDANCE_RANGE,
    IMAGE_SIDE_RANGE,
    ROUNDS_RANGE,
    SIZE_MULTIPLE,
    STEPS_RANGE,
    StorySettings,
    new_seed,
)
from storyboard_app.project.story_settings import (
    ASPECT_PRESETS,
    InvalidSettingsError,
    Orientation,
    checked_settings,
    orientation_of,
    preset_of,
)
from storyboard_app.ui.shared.session import ProjectSession

CUSTOM = "Custom"


class StorySettingsDialog(QDialog):
    """Edits the story's settings; OK applies them to ``session`` as one undo step."""

    def __init__(self, session: ProjectSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StorySettingsDialog")
        self.setWindowTitle("Story Settings")
        self.session = session
        current = session.store.settings()

        self.aspect = QComboBox(objectName="aspect")
        for preset in ASPECT_PRESETS:
            self.aspect.addItem(preset.label, preset.label)
        self.aspect.addItem(CUSTOM, CUSTOM)
        self.orientation = QComboBox(objectName="orientation")
        for orientation in Orientation:
            self.orientation.addItem(orientation.value.capitalize(), orientation.value)
        self.width_box = self._side_box("width")
        self.height_box = self._side_box("height")
        self.steps = QSpinBox(objectName="steps", minimum=STEPS_RANGE[0], maximum=STEPS_RANGE[1])
        self.guidance = QDoubleSpinBox(objectName="guidance", decimals=1, singleStep=0.5)
        self.guidance.setRange(*GUIDANCE_RANGE)
        self.rounds = QSpinBox(objectName="rounds", minimum=ROUNDS_RANGE[0])
        self.rounds.setMaximum(ROUNDS_RANGE[1])
        self.style_box = QComboBox(objectName="style")
        for name, style in load_styles().items():
            self.style_box.addItem(style.label or name, name)
        self.seed = QLineEdit(objectName="seed")
        self.seed.setValidator(QRegularExpressionValidator(r"\d{1,19}"))
        new = QPushButton("&New seed")
        new.setAutoDefault(False)
        new.clicked.connect(lambda: self.seed.setText(str(new_seed())))
        self.problems = QLabel(objectName="Problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b42318;")
        self.problems.hide()

        size_row = QHBoxLayout()
        size_row.addWidget(self.width_box)
        size_row.addWidget(QLabel("×"))
        size_row.addWidget(self.height_box)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(new)
        form = QFormLayout()
        form.addRow("&Aspect", self.aspect)
        form.addRow("&Orientation", self.orientation)
        size_label = QLabel("Image &size")
        size_label.setBuddy(self.width_box)
        form.addRow(size_label, size_row)
        form.addRow("S&teps", self.steps)
        form.addRow("&Guidance", self.guidance)
        form.addRow("&Rounds", self.rounds)
        form.addRow("St&yle", self.style_box)
        seed_label = QLabel("S&eed")
        seed_label.setBuddy(self.seed)
        form.addRow(seed_label, seed_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)

        self._show(current)
        self.aspect.currentIndexChanged.connect(self._shape_chosen)
        self.orientation.currentIndexChanged.connect(self._shape_chosen)
        self.width_box.valueChanged.connect(self._size_typed)
        self.height_box.valueChanged.connect(self._size_typed)

    def _side_box(self, name: str) -> QSpinBox:
        box = QSpinBox(objectName=name, minimum=1, maximum=IMAGE_SIDE_RANGE[1] * 2)
        box.setSingleStep(SIZE_MULTIPLE)
        box.setSuffix(" px")
        box.setKeyboardTracking(False)
        return box

    def _show(self, settings: StorySettings) -> None:
        self.width_box.setValue(settings.width)
        self.height_box.setValue(settings.height)
        self._show_shape(settings.width, settings.height)
        self.steps.setValue(settings.steps)
        self.guidance.setValue(settings.guidance)
        self.rounds.setValue(settings.rounds)
        self.style_box.setCurrentIndex(max(0, self.style_box.findData(settings.style)))
        self.seed.setText(str(settings.seed))

    def _show_shape(self, width: int, height: int) -> None:
        preset = preset_of(width, height)
        with QSignalBlocker(self.aspect), QSignalBlocker(self.orientation):
            self.aspect.setCurrentIndex(self.aspect.findData(preset.label if preset else CUSTOM))
            orientation = orientation_of(width, height).value
            self.orientation.setCurrentIndex(self.orientation.findData(orientation))

    def _shape_chosen(self) -> None:
        """A preset or an orientation was chosen: the size follows, keeping its area."""
        label = self.aspect.currentData()
        orientation = Orientation(self.orientation.currentData())
        width, height = self.width_box.value(), self.height_box.value()
        preset = next((p for p in ASPECT_PRESETS if p.label == label), None)
        if preset is not None:
            width, height = preset.size(orientation, width * height)
        elif orientation_of(width, height) is not orientation:
            width, height = height, width
        with QSignalBlocker(self.width_box), QSignalBlocker(self.height_box):
            self.width_box.setValue(width)
            self.height_box.setValue(height)
        self._show_shape(width, height)

    def _size_typed(self) -> None:
        self._show_shape(self.width_box.value(), self.height_box.value())

    def changes(self) -> dict[str, object]:
        """The settings as entered (checked when applied)."""
        return {
            "width": self.width_box.value(),
            "height": self.height_box.value(),
            "steps": self.steps.value(),
            "guidance": self.guidance.value(),
            "rounds": self.rounds.value(),
            "style": self.style_box.currentData(),
            "seed": self.seed.text(),
        }

    def accept(self) -> None:
        """Apply the settings as one undoable edit, or list what is wrong and stay open."""
        for box in (self.width_box, self.height_box):
            box.interpretText()
        current = self.session.store.settings()
        try:
            settings = checked_settings(current, self.changes())
        except InvalidSettingsError as exc:
            self.problems.setText("\n".join(exc.problems.values()))
            self.problems.show()
            return
        changed = {
            name: getattr(settings, name)
            for name in self.changes()
            if getattr(settings, name) != getattr(current, name)
        }
        if changed and not self.session.update_settings(**changed):
            return
        super().accept()


def open_story_settings(session: ProjectSession, parent: QWidget) -> StorySettingsDialog:
    """Show the dialog for the open story (window-modal; it applies itself on OK)."""
    dialog = StorySettingsDialog(session, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
