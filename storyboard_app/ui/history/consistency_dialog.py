"""Story Consistency: each cast member's consistency across the story, round by round, and the
frames that drift (the same report as ``storyboard report``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from storyboard_app.project.report import FrameState, StoryReport, story_report
from storyboard_app.project.store import ProjectStore


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _shade(value: float | None, low: float, high: float) -> QColor | None:
    """A quiet green for the best figures of the table, fading to white for the lowest."""
    if value is None or high - low < 1e-3:  # no real spread: no shading
        return None
    t = (value - low) / (high - low)
    return QColor(int(255 - 40 * t), int(255 - 12 * t), int(255 - 45 * t))


class ConsistencyDialog(QDialog):
    """Cast members × rounds, plus the story's summary and its drifting frames."""

    def __init__(self, store: ProjectStore, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Story Consistency")
        self.setObjectName("ConsistencyDialog")
        self.report: StoryReport = story_report(store)
        report = self.report
        s = report.summary
        summary = QLabel(
            f"<b>{report.title}</b> — {s['frames_with_images']} of {s['frames']} frames drawn. "
            f"Text alignment {_figure(s['text_alignment'])}, character consistency "
            f"{_figure(s['character_consistency'])} (means over the current images); "
            f"{s['drifting']} drifting, {s['converged']} converged."
        )
        summary.setWordWrap(True)
        rounds = sorted({r for c in report.cast for r in c.by_round})
        self.table = QTableWidget(len(report.cast), len(rounds), objectName="CastByRound")
        self.table.setHorizontalHeaderLabels([f"Round {r}" for r in rounds])
        self.table.setVerticalHeaderLabels([f"@{c.name}" for c in report.cast])
        values = [v for c in report.cast for v in c.by_round.values() if v is not None]
        low, high = (min(values), max(values)) if values else (0.0, 0.0)
        for row, member in enumerate(report.cast):
            for col, rnd in enumerate(rounds):
                value = member.by_round.get(rnd)
                item = QTableWidgetItem(_figure(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(
                    f"@{member.name}, round {rnd}: mean similarity between the images of the "
                    f"frames featuring them ({', '.join(map(str, member.frames))})"
                )
                shade = _shade(value, low, high)
                if shade is not None:
                    item.setBackground(shade)
                self.table.setItem(row, col, item)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        if not report.cast:
            note = "No cast members yet: define @Name in the cast panel and mention them in cards."
        elif not rounds:
            note = "No rounds drawn yet."
        else:
            note = "Higher is more consistent; each cell compares that round's images."
        drifting = [f for f in report.frames if f.state is FrameState.DRIFTING]
        lines = [f"Frame {f.index}: " + "; ".join(f.reasons) for f in drifting] or [
            "No frame drifts: every frame is within the story's own range."
        ]
        if report.alignment is None and report.consistency is None:
            lines = ["Too few figures to judge drift: at least three frames need images."]
        drift = QLabel("<br>".join(lines), objectName="DriftingFrames")
        drift.setWordWrap(True)
        drift.setToolTip(
            "A frame drifts when its alignment or consistency is 1.5 robust standard "
            "deviations below this story's median: relative to the story, not a fixed number."
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(
            QLabel("Consistency per cast member, round by round", objectName="SectionTitle")
        )
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel(note, objectName="Hint"))
        layout.addWidget(QLabel("Drifting frames", objectName="SectionTitle"))
        layout.addWidget(drift)
        layout.addWidget(buttons)
        self.resize(640, 420)
