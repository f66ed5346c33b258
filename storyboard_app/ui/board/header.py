"""Painting a scene's header row on the board (collapse arrow, colour, number and heading,
frame count, running time) and the strip of a scene that shows no cards."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPolygonF

from storyboard_app.project.timing import running_time
from storyboard_app.ui.board.layout import SceneHeader
from storyboard_app.ui.shared import theme


def header_height(font: QFont) -> int:
    return QFontMetrics(theme.small_font(font, 1, bold=True)).height() + 16


def toggle_rect(rect: QRect) -> QRect:
    """The collapse arrow's square at the header's left end."""
    return QRect(rect.left() + 4, rect.top(), rect.height(), rect.height())


def header_summary(header: SceneHeader, collapsed: bool) -> str:
    """``3 frames · 0:08`` (``· collapsed`` when its cards are hidden)."""
    count = f"{header.frames} frame{'' if header.frames == 1 else 's'}"
    parts = [count, running_time(header.seconds)]
    if collapsed:
        parts.append("collapsed")
    return " · ".join(parts)


def paint_header(
    painter: QPainter,
    rect: QRect,
    header: SceneHeader,
    *,
    collapsed: bool,
    focused: bool,
    hovered: bool,
    font: QFont,
) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    body = QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5)
    path = QPainterPath()
    path.addRoundedRect(body, 6, 6)
    painter.fillPath(path, theme.ACCENT_SOFT if focused else theme.PANEL)
    border = theme.ACCENT if focused else (QColor("#aab1bb") if hovered else theme.BORDER)
    painter.setPen(QPen(border, 2 if focused else 1))
    painter.drawPath(path)

    arrow = QRectF(toggle_rect(rect)).adjusted(10, 10, -10, -10)
    if collapsed:  # pointing right
        points = [arrow.topLeft(), QPointF(arrow.right(), arrow.center().y()), arrow.bottomLeft()]
    else:  # pointing down
        points = [arrow.topLeft(), arrow.topRight(), QPointF(arrow.center().x(), arrow.bottom())]
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(theme.TEXT)
    painter.drawPolygon(QPolygonF(points))

    x = toggle_rect(rect).right() + 4
    if header.color:
        painter.setBrush(QColor(header.color))
        painter.drawRoundedRect(QRectF(x, rect.top() + 8, 6, rect.height() - 16), 3, 3)
        x += 12
    small = theme.small_font(font, -0.5)
    summary = header_summary(header, collapsed)
    summary_w = QFontMetrics(small).horizontalAdvance(summary) + 12
    bold = theme.small_font(font, 1, bold=True)
    painter.setFont(bold)
    painter.setPen(theme.TEXT)
    label_w = max(0, rect.right() - summary_w - x - 8)
    label = QFontMetrics(bold).elidedText(header.label, Qt.TextElideMode.ElideRight, label_w)
    painter.drawText(
        QRect(x, rect.top(), label_w, rect.height()), Qt.AlignmentFlag.AlignVCenter, label
    )
    painter.setFont(small)
    painter.setPen(theme.MUTED)
    painter.drawText(
        rect.adjusted(0, 0, -12, 0),
        Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
        summary,
    )
    painter.restore()


def paint_empty(painter: QPainter, rect: QRect, text: str, font: QFont) -> None:
    """The strip of a scene that shows no card: where its cards would go."""
    painter.save()
    painter.setPen(QPen(theme.BORDER, 1, Qt.PenStyle.DashLine))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(QRectF(rect).adjusted(8.5, 2.5, -8.5, -2.5), 6, 6)
    painter.setPen(theme.MUTED)
    painter.setFont(theme.small_font(font, -0.5))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()
