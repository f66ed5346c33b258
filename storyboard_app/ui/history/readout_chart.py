"""A frame's read-out curves over its rounds: alignment and consistency, the suggested round.

Small and quiet: two lines with dots, one per round (the newest image of the round), the
current round ringed, the suggested round marked by a soft column. Clicking a round asks for
its image.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from storyboard_app.project.report import FrameReport, RoundFigures
from storyboard_app.ui.shared import theme

ALIGNMENT_COLOR = QColor("#2563eb")
CONSISTENCY_COLOR = QColor("#c2410c")
SUGGESTED_COLOR = QColor(63, 98, 18, 40)
_MARGIN = 8


class ReadoutChart(QWidget):
    """Alignment (blue) and consistency (orange) of each round of one frame."""

    roundClicked = Signal(int)  # image id of the clicked round

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report: FrameReport | None = None
        self.setMinimumSize(140, 64)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.setToolTip(
            "Alignment with the card (blue) and consistency with the other frames of its "
            "cast (orange), round by round. The shaded round balances both best."
        )

    def sizeHint(self) -> QSize:
        return QSize(260, 96)

    def set_report(self, report: FrameReport | None) -> None:
        self.report = report
        self.update()

    def _rounds(self) -> tuple[RoundFigures, ...]:
        return self.report.rounds if self.report is not None else ()

    def _plot(self) -> QRectF:
        fm = QFontMetrics(self.font())
        side = _MARGIN + fm.horizontalAdvance("R00 ●") / 2  # room for the first and last labels
        return QRectF(self.rect()).adjusted(side, _MARGIN, -side, -_MARGIN - fm.height())

    def _x(self, k: int, n: int, plot: QRectF) -> float:
        return plot.center().x() if n == 1 else plot.left() + plot.width() * k / (n - 1)

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:  # ended here, not when Python collects it (Qt warns of an active painter)
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), theme.PANEL)
        rounds = self._rounds()
        plot = self._plot()
        if not any(r.alignment is not None or r.consistency is not None for r in rounds):
            painter.setPen(theme.MUTED)
            painter.drawText(
                self.rect().adjusted(8, 0, -8, 0),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "No read-outs yet: they appear as rounds are drawn.",
            )
            return
        values = [v for r in rounds for v in (r.alignment, r.consistency) if v is not None]
        low, high = min(values), max(values)
        if high - low < 1e-6:
            low, high = low - 0.05, high + 0.05

        def y(value: float) -> float:
            return plot.bottom() - plot.height() * (value - low) / (high - low)

        n = len(rounds)
        suggested = self.report.suggested_round if self.report else None
        for k, r in enumerate(rounds):
            if r.round == suggested:
                half = max(8.0, plot.width() / max(1, n - 1) / 2)
                x = self._x(k, n, plot)
                painter.fillRect(
                    QRectF(x - half / 2, plot.top() - 4, half, plot.height() + 8), SUGGESTED_COLOR
                )
        for color, pick in (
            (ALIGNMENT_COLOR, lambda r: r.alignment),
            (CONSISTENCY_COLOR, lambda r: r.consistency),
        ):
            points = [
                QPointF(self._x(k, n, plot), y(pick(r)))
                for k, r in enumerate(rounds)
                if pick(r) is not None
            ]
            if not points:
                continue
            path = QPainterPath(points[0])
            for p in points[1:]:
                path.lineTo(p)
            painter.setPen(QPen(color, 1.6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            painter.setBrush(color)
            for p in points:
                painter.drawEllipse(p, 2.6, 2.6)
        painter.setPen(theme.MUTED)
        painter.setFont(theme.small_font(self.font(), -1.5))
        current = self.report.current_image_id if self.report else None
        for k, r in enumerate(rounds):
            x = self._x(k, n, plot)
            label = f"R{r.round}"
            box = QRectF(x - 20, plot.bottom() + 4, 40, QFontMetrics(painter.font()).height())
            if r.image_id == current:
                painter.setPen(theme.ACCENT)
                label += " ●"
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
            painter.setPen(theme.MUTED)

    def round_at(self, x: float) -> RoundFigures | None:
        """The round whose column is nearest to ``x``."""
        rounds = self._rounds()
        if not rounds:
            return None
        plot = self._plot()
        n = len(rounds)
        k = min(range(n), key=lambda i: abs(self._x(i, n, plot) - x))
        return rounds[k]

    def mousePressEvent(self, event: QMouseEvent) -> None:
        picked = self.round_at(event.position().x())
        if picked is not None and event.button() == Qt.MouseButton.LeftButton:
            self.roundClicked.emit(picked.image_id)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        picked = self.round_at(event.position().x())
        if picked is not None:

            def text(v: float | None) -> str:
                return "—" if v is None else f"{v:.3f}"

            self.setToolTip(
                f"Round {picked.round}: alignment {text(picked.alignment)}, "
                f"consistency {text(picked.consistency)}, change {text(picked.change)}"
            )
        super().mouseMoveEvent(event)
