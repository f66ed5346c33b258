"""Drawing skeletons with QPainter (editor canvas and preset thumbnails) and image hand-over.

Skeletons use the standard OpenPose colours of :mod:`engine.pose` (limb i in colour i,
joint j in colour j) so the sketch reads like the control image; the control image itself
is never re-drawn here, only converted pixel for pixel.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPen,
    QPixmap,
    QTransform,
)

from engine.pose import (
    COLOURS,
    LIMBS,
    Figure,
    Pose,
)
from engine.pose_edit import (
    figure_bounds,
)
from storyboard_app.ui.pose.document import CanvasFit

UNASSIGNED = QColor("#6b7280")
OUTLINE = QColor(0, 0, 0, 150)


def pil_to_qimage(image: Image.Image) -> QImage:
    """An RGB888 QImage with exactly the pixels of ``image`` (owning its own memory)."""
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


def figure_points(
    fig: Figure, fit: CanvasFit, transform: QTransform | None = None
) -> list[QPointF | None]:
    """The joints in frame pixels (or through ``transform``, e.g. to device pixels)."""
    points: list[QPointF | None] = []
    for x, y, c in fig.keypoints:
        p = QPointF(*fit.to_frame(x, y))
        points.append(None if c <= 0 else transform.map(p) if transform is not None else p)
    return points


def paint_skeleton(
    painter: QPainter,
    points: Sequence[QPointF | None],
    *,
    stroke: float,
    radius: float,
    faded: bool = False,
) -> None:
    """Limbs then joints in the OpenPose colours, each with a thin dark edge for contrast."""
    painter.save()
    painter.setOpacity(painter.opacity() * (0.55 if faded else 1.0))
    for limb, (a, b) in enumerate(LIMBS):
        pa, pb = points[a], points[b]
        if pa is None or pb is None:
            continue
        painter.setPen(_pen(OUTLINE, stroke + 2))
        painter.drawLine(pa, pb)
        painter.setPen(_pen(QColor(*COLOURS[limb]), stroke))
        painter.drawLine(pa, pb)
    painter.setPen(QPen(OUTLINE, 1.2))
    for j, p in enumerate(points):
        if p is not None:
            painter.setBrush(QColor(*COLOURS[j]))
            painter.drawEllipse(p, radius, radius)
    painter.restore()


def _pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def cast_colour(label: str, cast: dict[str, QColor]) -> QColor:
    """The chip colour of a figure: its cast member's, grey when unassigned or unknown."""
    return cast.get(label, UNASSIGNED)


def text_colour_on(background: QColor) -> QColor:
    """Black or white, whichever reads better on ``background``."""
    r, g, b = background.redF(), background.greenF(), background.blueF()
    return QColor("#111111") if 0.299 * r + 0.587 * g + 0.114 * b > 0.6 else QColor("#ffffff")


def chip_font() -> QFont:
    font = QFont()
    font.setPixelSize(12)
    font.setWeight(QFont.Weight.DemiBold)
    return font


def chip_rect(anchor: QPointF, text: str) -> QRectF:
    """The rectangle of a name chip centred above ``anchor`` (device pixels)."""
    metrics = QFontMetricsF(chip_font())
    width, height = metrics.horizontalAdvance(text) + 18, metrics.height() + 6
    return QRectF(anchor.x() - width / 2, anchor.y() - height, width, height)


def paint_chip(
    painter: QPainter, rect: QRectF, text: str, colour: QColor, *, emphasised: bool
) -> None:
    """A rounded name chip in the cast member's colour."""
    painter.save()
    painter.setFont(chip_font())
    painter.setPen(QPen(QColor("#ffffff") if emphasised else QColor(0, 0, 0, 120), 1.5))
    painter.setBrush(colour)
    painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
    painter.setPen(text_colour_on(colour))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def preset_thumbnail(pose: Pose, size: int = 76) -> QPixmap:
    """A small drawing of a preset on a dark tile, for the preset picker."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor("#15161a")))
    painter.drawRoundedRect(QRectF(0, 0, size, size), 6, 6)
    # Frame the figures, not the preset's canvas, so small poses still read at this size.
    boxes = [b for b in map(figure_bounds, pose.figures) if b is not None]
    fit = CanvasFit(1, 1, pose.canvas_width, pose.canvas_height)
    if boxes:
        (left, top), (right, bottom) = (
            fit.to_frame(min(b[0] for b in boxes), min(b[1] for b in boxes)),
            fit.to_frame(max(b[2] for b in boxes), max(b[3] for b in boxes)),
        )
        scale = (size - 14) / max(right - left, bottom - top, 1e-6)
        place = QTransform().translate(size / 2, size / 2).scale(scale, scale)
        place.translate(-(left + right) / 2, -(top + bottom) / 2)
        for fig in pose.figures:
            paint_skeleton(painter, figure_points(fig, fit, place), stroke=2.2, radius=1.9)
    painter.end()
    return QPixmap.fromImage(image)
