"""Help → About: what the app is, and the versions and model fingerprints a bug report needs.

Versions come from package metadata (torch is not imported for them); the model fingerprints
read the model files' heads and tails, in a background thread, so the dialog opens at once.
"Copy for a bug report" puts the whole report on the clipboard as plain text.
"""

from __future__ import annotations

import contextlib
import threading

from PySide6.QtCore import QTimer, Signal, qVersion
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from storyboard_app.ui.run.worker import ModelChoice
from storyboard_app.versions import active_model_fingerprints, app_version, version_report

COPY_LABEL = "Copy for a bug report"
READING = "reading the model files…"


class AboutDialog(QDialog):
    """The About box; its report gains the model fingerprints once they are read."""

    fingerprinted = Signal(object)  # dict role -> fingerprint, from the reading thread

    def __init__(self, choice: ModelChoice, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About StoryIter Studio")
        self.setObjectName("about")
        intro = QLabel(
            f"<h3>StoryIter Studio {app_version()}</h3>"
            "<p>Storyboards drawn with the Story-Iter method: every round re-draws each frame "
            "attending to all frames of the round before.</p>"
            "<p>Runs offline on your own model files.</p>"
        )
        intro.setWordWrap(True)
        self.report_view = QPlainTextEdit(readOnly=True)
        self.report_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.report_view.setMinimumSize(560, 260)
        self.copy_button = QPushButton(COPY_LABEL)
        self.copy_button.clicked.connect(self.copy_report)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.report_view)
        layout.addWidget(buttons)

        self.fingerprinted.connect(self._show_report)
        self._show_report({"fingerprints": READING})
        threading.Thread(
            target=self._read_fingerprints, args=(choice,), name="model fingerprints", daemon=True
        ).start()

    def report(self) -> str:
        """The report as shown (and as copied)."""
        return self.report_view.toPlainText()

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report())
        self.copy_button.setText("Copied")
        QTimer.singleShot(1500, self.copy_button, lambda: self.copy_button.setText(COPY_LABEL))

    def _read_fingerprints(self, choice: ModelChoice) -> None:
        models = active_model_fingerprints(choice.config, preview=choice.preview)
        with contextlib.suppress(RuntimeError):  # the dialog was closed and deleted meanwhile
            self.fingerprinted.emit(models)

    def _show_report(self, models: dict[str, str]) -> None:
        self.report_view.setPlainText(version_report(qt_runtime=qVersion(), models=models).text())
