"""The frame editor's Pose tab: the pose sketch editor when it is available, else the pose's
status with import and clear. Each committed pose edit is one undoable card edit."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from storyboard_app.ui.shared.session import ProjectSession

try:  # the sketch editor is its own module; the tab works without it
    from storyboard_app.ui.pose.editor import PoseEditor
except ImportError:  # pragma: no cover - depends on what is installed
    PoseEditor = None


def pose_summary(pose_json: str | None) -> str:
    """One line about a pose: how many figures, or that there is none."""
    if pose_json is None:
        return "No pose: the frame is drawn from its text alone."
    try:
        data = json.loads(pose_json)
        people = data.get("people", []) if isinstance(data, dict) else []
        count = len(people)
    except (ValueError, AttributeError):
        return "A pose is set (OpenPose JSON)."
    figures = "1 figure" if count == 1 else f"{count} figures"
    return f"A pose with {figures} guides this frame when ControlNet is on."


class PoseTab(QWidget):
    """Hosts the PoseEditor (if importable) for the current frame."""

    def __init__(self, session: ProjectSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.frame_id: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        self.status = QLabel(objectName="Hint")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.editor = PoseEditor() if PoseEditor is not None else None
        if self.editor is not None:
            # Scrolls up and down in a short dock; never sideways: the toolbars fold what
            # does not fit into their » menu instead.
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            scroll.setWidget(self.editor)
            layout.addWidget(scroll, 1)
            self.editor.poseEdited.connect(self._edited)
        else:
            row = QHBoxLayout()
            self.import_button = QPushButton("Import OpenPose JSON…")
            self.clear_button = QPushButton("Clear pose")
            self.import_button.clicked.connect(self._import)
            self.clear_button.clicked.connect(lambda: self._edited(None))
            row.addWidget(self.import_button)
            row.addWidget(self.clear_button)
            row.addStretch(1)
            layout.addLayout(row)
            layout.addStretch(1)
        self._pose: str | None = None

    def set_read_only(self, read_only: bool) -> None:
        """For a story that cannot be changed here: the pose is shown, never edited."""
        if self.editor is not None:
            self.editor.set_read_only(read_only)
        else:
            self.import_button.setEnabled(not read_only)
            self.clear_button.setEnabled(not read_only)

    def set_frame(self, frame_id: int | None) -> None:
        self.frame_id = frame_id
        self.reload(force=True)

    def refresh(self) -> None:
        """The board changed (a neighbour's pose, the order): catch up while shown."""
        if self.isVisible():
            self.reload()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.reload()

    def reload(self, force: bool = False) -> None:
        frame = self.session.frame(self.frame_id) if self.frame_id is not None else None
        pose = frame.pose_json if frame is not None else None
        self.status.setText(pose_summary(pose) if frame is not None else "No frame selected.")
        self.setEnabled(frame is not None)
        if self.editor is None or frame is None:
            self._pose = pose
            return
        self._pose = pose
        settings = self.session.store.settings()
        cast = {m.name: m.color for m in self.session.store.cast()}
        self.editor.set_frame(
            pose,
            settings.width,
            settings.height,
            cast,
            self._onion(frame.id),
            neighbours=self._neighbours(frame.position),
            keep_history=not force,  # same frame: keep undo and selection, new neighbours
        )

    def _neighbours(self, position: int) -> tuple[str | None, str | None]:
        """The poses of the frames before and after this one (what Copy previous/next take)."""
        ok, frames = self.session.attempt(self.session.store.frames)
        if not ok:
            return None, None
        poses = {f.position: f.pose_json for f in frames}
        return poses.get(position - 1), poses.get(position + 1)

    def _onion(self, frame_id: int) -> bytes | None:
        ok, image_id = self.session.attempt(lambda: self.session.store.current_image_id(frame_id))
        if not ok or image_id is None:
            return None
        ok, png = self.session.attempt(lambda: self.session.store.image_png(image_id))
        return png if ok else None

    def _edited(self, pose_json: object) -> None:
        if self.frame_id is None or self.session.store.read_only:
            return
        text = pose_json if isinstance(pose_json, str) else None
        self.session.edit_frame(self.frame_id, pose_json=text)
        self.status.setText(pose_summary(text))

    def _import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import an OpenPose pose", "", "OpenPose JSON (*.json)"
        )
        if not name:
            return
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.session.errorRaised.emit(f"Cannot read {name}: {exc}")
            return
        self._edited(text)
