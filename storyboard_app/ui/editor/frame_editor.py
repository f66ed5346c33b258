"""The frame editor: every field of the current card, its live prompt preview, and its pose.

Typing is saved after a short pause, and at least once a second while it goes on
(``SaveTimer``), as one undoable edit per field and burst of typing; leaving a field,
switching frames, undoing or starting a run saves at once.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QScrollArea,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from storyboard_app.project.headings import prompt_scene_text
from storyboard_app.project.model import Frame
from storyboard_app.ui.editor.prompt_preview import PromptPreviewView
from storyboard_app.ui.pose.tab import PoseTab
from storyboard_app.ui.shared.save_timer import SaveTimer
from storyboard_app.ui.shared.session import ProjectSession
from storyboard_app.ui.shared.theme import show_read_only

LINE_FIELDS = ("character", "interaction", "scene", "shot_label")
TEXT_FIELDS = ("caption", "notes")


class FrameEditor(QWidget):
    """Edits the card ``set_frame`` names (None: nothing selected)."""

    def __init__(self, session: ProjectSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.read_only = session.store.read_only  # a story that cannot be changed here
        self.frame_id: int | None = None
        self._pending: dict[str, object] = {}
        self._burst = 0
        self._save_timer = SaveTimer(self.flush, self)
        self._preview_timer = QTimer(self, singleShot=True, interval=60)
        self._preview_timer.timeout.connect(self._update_preview)

        self.heading = QLabel(objectName="SectionTitle")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._card_page(), "Card")
        self.pose_tab = PoseTab(session)
        self.tabs.addTab(self.pose_tab, "Pose")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)

        if self.read_only:
            self._show_read_only()
        session.flushRequested.connect(self.flush)
        session.frameChanged.connect(self._frame_changed)
        session.boardChanged.connect(self._board_changed)
        session.castChanged.connect(self._cast_changed)
        session.storyChanged.connect(self._preview_timer.start)
        self.set_frame(None)

    # ------------------------------------------------------------------ building

    def _card_page(self) -> QWidget:
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        placeholders = {
            "character": "Who: @Name or a description",
            "interaction": "Doing what",
            "scene": "Where, when",
            "shot_label": "e.g. 12A, WIDE",
        }
        for name in LINE_FIELDS:
            edit = QLineEdit(placeholderText=placeholders[name])
            edit.textEdited.connect(lambda text, n=name: self._typed(n, text))
            edit.editingFinished.connect(self._end_burst)
            self.fields[name] = edit
        for name in TEXT_FIELDS:
            edit = QPlainTextEdit()
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(58)
            edit.textChanged.connect(lambda n=name, e=edit: self._typed(n, e.toPlainText()))
            self.fields[name] = edit
        self.fields["caption"].setPlaceholderText("Caption or dialogue (printed, never drawn)")
        self.fields["notes"].setPlaceholderText("Notes for yourself or the crew")

        self.cast_button = QToolButton(text="Cast ▾")
        self.cast_button.setToolTip("Insert a cast member's @Name into the character field")
        self.cast_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.cast_menu = QMenu(self.cast_button)
        self.cast_button.setMenu(self.cast_menu)
        character_row = QHBoxLayout()
        character_row.setSpacing(4)
        character_row.addWidget(self.fields["character"], 1)
        character_row.addWidget(self.cast_button)

        self.duration = QDoubleSpinBox(suffix=" s", decimals=1, minimum=0.0, maximum=600.0)
        self.duration.setSingleStep(0.5)
        self.duration.valueChanged.connect(lambda v: self._typed("duration", float(v)))
        self.seed = QLineEdit(placeholderText="story seed")
        self.seed.setValidator(QRegularExpressionValidator(r"\d{0,19}"))
        self.seed.setToolTip("A seed for this frame only; empty uses the story's seed")
        self.seed.textEdited.connect(lambda text: self._typed("seed_override", text))
        self.seed.editingFinished.connect(self._end_burst)
        self.locked = QCheckBox("Locked")
        self.locked.setToolTip(
            "A locked frame keeps its image: it is not re-drawn, but still serves as a "
            "reference for the others"
        )
        self.locked.toggled.connect(self._lock_toggled)
        shot_row = QHBoxLayout()
        shot_row.addWidget(self.fields["shot_label"], 1)
        shot_row.addWidget(QLabel("Duration"))
        shot_row.addWidget(self.duration)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.locked)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Character", character_row)
        form.addRow("Interaction", self.fields["interaction"])
        form.addRow("Scene", self.fields["scene"])
        form.addRow("Caption", self.fields["caption"])
        form.addRow("Notes", self.fields["notes"])
        form.addRow("Shot", shot_row)
        form.addRow("Seed", seed_row)

        self.preview = PromptPreviewView()
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 8, 0, 0)
        column.addLayout(form)
        title = QLabel("Prompt sent to the model", objectName="SectionTitle")
        column.addSpacing(6)
        column.addWidget(title)
        column.addWidget(self.preview)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(page)
        return scroll

    def _show_read_only(self) -> None:
        """Every field shows its text (selectable, copyable) and takes no typing; the lock
        and the cast menu are off; the pose can be looked at, not changed."""
        for edit in (*self.fields.values(), self.seed, self.duration):
            show_read_only(edit)
            edit.setToolTip("Read-only: this story cannot be changed here")
        self.locked.setEnabled(False)
        self.pose_tab.set_read_only(True)

    # ------------------------------------------------------------------ showing a frame

    def set_frame(self, frame_id: int | None) -> None:
        self.flush()
        self._burst += 1
        self.frame_id = frame_id
        frame = self.session.frame(frame_id) if frame_id is not None else None
        self.tabs.setEnabled(frame is not None)
        self._show(frame)
        self.pose_tab.set_frame(frame.id if frame else None)
        self._cast_changed()

    def _show(self, frame: Frame | None) -> None:
        if frame is None:
            self.heading.setText("No frame selected")
            for edit in self.fields.values():
                self._set_text(edit, "")
            self.preview.clear()
            return
        shot = frame.shot_label.strip()
        label = f" · shot {shot}" if shot and shot != str(frame.position + 1) else ""
        lock = " · read-only" if self.read_only else ""
        self.heading.setText(f"Frame {frame.position + 1}{label}{lock}")
        for name, edit in self.fields.items():
            if name not in self._pending:
                self._set_text(edit, getattr(frame, name))
        with QSignalBlocker(self.duration):
            if "duration" not in self._pending:
                self.duration.setValue(frame.duration)
        if "seed_override" not in self._pending:
            self.seed.setText("" if frame.seed_override is None else str(frame.seed_override))
        self.seed.setPlaceholderText(f"story seed {self.session.store.frame_seed(frame)}")
        with QSignalBlocker(self.locked):
            self.locked.setChecked(frame.locked)
        self._update_preview()

    @staticmethod
    def _set_text(edit: QLineEdit | QPlainTextEdit, text: str) -> None:
        current = edit.text() if isinstance(edit, QLineEdit) else edit.toPlainText()
        if current == text:
            return
        with QSignalBlocker(edit):
            if isinstance(edit, QLineEdit):
                edit.setText(text)
            else:
                edit.setPlainText(text)

    def _frame_changed(self, frame_id: int) -> None:
        if frame_id == self.frame_id:
            self._show(self.session.frame(frame_id))
            self.pose_tab.reload()

    def _board_changed(self) -> None:
        if self.frame_id is None:
            return
        frame = self.session.frame(self.frame_id)
        if frame is None:
            self.set_frame(None)
        else:
            self._show(frame)
            self.pose_tab.refresh()

    def _cast_changed(self) -> None:
        self.cast_menu.clear()
        members = self.session.store.cast() if not self.session.store.closed else []
        for member in members:
            action = self.cast_menu.addAction(f"@{member.name}")
            action.setToolTip(member.description)
            action.triggered.connect(lambda _=False, n=member.name: self._insert_mention(n))
        self.cast_button.setEnabled(bool(members) and not self.read_only)
        self._preview_timer.start()

    def _insert_mention(self, name: str) -> None:
        edit = self.fields["character"]
        assert isinstance(edit, QLineEdit)
        text = edit.text()
        mention = f"@{name}"
        joined = f"{text} and {mention}" if text.strip() else mention
        edit.setText(joined)
        self._typed("character", joined)
        self.flush()

    # ------------------------------------------------------------------ saving

    def _typed(self, name: str, value: object) -> None:
        if self.frame_id is None or self.read_only:
            return
        self._pending[name] = value
        self._save_timer.changed()
        if name in ("character", "interaction", "scene"):
            self._preview_timer.start()

    def _end_burst(self) -> None:
        self.flush()
        self._burst += 1

    def _lock_toggled(self, checked: bool) -> None:
        if self.frame_id is not None and not self.read_only:
            self.flush()
            self.session.edit_frame(self.frame_id, locked=checked)

    def flush(self) -> None:
        """Save every pending field now (one undoable edit per field and burst)."""
        self._save_timer.stop()
        pending, self._pending = self._pending, {}
        if self.frame_id is None:
            return
        for name, value in pending.items():
            if name == "seed_override":
                value = int(value) if str(value).strip() else None
            merge = f"{self.frame_id}:{name}:{self._burst}"
            self.session.edit_frame(self.frame_id, merge=merge, **{name: value})

    def _update_preview(self) -> None:
        if self.frame_id is None or self.session.store.closed:
            return
        texts = {}
        for name in ("character", "interaction", "scene"):
            edit = self.fields[name]
            assert isinstance(edit, QLineEdit)
            texts[name] = edit.text()
        frame = self.session.frame(self.frame_id)
        scene_text = texts["scene"]
        if frame is not None and frame.scene_id is not None:
            # An opted-in scene heading fills an empty Scene part, as the prompt sent will.
            scene = self.session.store.scene(frame.scene_id)
            scene_text = prompt_scene_text(replace(frame, scene=scene_text), scene)
        self.preview.show_card(
            texts["character"],
            texts["interaction"],
            scene_text,
            self.session.store.cast_descriptions(),
            self.session.store.settings().style,
        )

    def focus_first_field(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.fields["character"].setFocus(Qt.FocusReason.OtherFocusReason)
