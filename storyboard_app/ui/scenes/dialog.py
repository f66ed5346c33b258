"""Editing one scene: heading, number, colour tag, notes, and whether the heading fills the
Scene part of its cards' prompts."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
)

from storyboard_app.project.headings import heading_prompt_text
from storyboard_app.project.model import Scene


class SceneDialog(QDialog):
    def __init__(self, scene: Scene, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("SceneDialog")
        self.setWindowTitle("Scene")
        self.heading = QLineEdit(scene.heading, objectName="SceneHeading")
        self.heading.setPlaceholderText("INT. LAMP ROOM - NIGHT")
        self.number = QLineEdit(scene.number, objectName="SceneNumber")
        self.number.setPlaceholderText(f"{scene.position + 1} (by its place)")
        self.color = QLineEdit(scene.color, objectName="SceneColor")
        self.color.setPlaceholderText("#rrggbb, or empty")
        self.notes = QPlainTextEdit(scene.notes, objectName="SceneNotes")
        self.in_prompt = QCheckBox(objectName="SceneHeadingInPrompt")
        self.in_prompt.setChecked(scene.heading_in_prompt)
        self.heading.textChanged.connect(self._explain)
        self._explain()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Heading", self.heading)
        form.addRow("Number", self.number)
        form.addRow("Colour", self.color)
        form.addRow("Notes", self.notes)
        form.addRow("Prompt", self.in_prompt)
        form.addRow(buttons)

    def _explain(self) -> None:
        words = heading_prompt_text(self.heading.text()) or "the heading"
        self.in_prompt.setText(f"Cards without a Scene part use “{words}”")

    def fields(self) -> dict[str, Any]:
        """The fields as ``update_scene`` takes them."""
        return {
            "heading": self.heading.text(),
            "number": self.number.text(),
            "color": self.color.text().strip(),
            "notes": self.notes.toPlainText(),
            "heading_in_prompt": self.in_prompt.isChecked(),
        }
