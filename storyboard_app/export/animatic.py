"""Animatic frames for the GIF and the MP4: each panel's image fitted on black, its shot label,
the caption as a subtitle, and on video optional burn-ins (shot, scene, timecode).

Painted with Qt in the export font, like the PDF: characters outside DejaVu Sans (CJK, for
one) fall back to an installed font that has them. Subtitles are set by the export
:class:`~storyboard_app.export.typeset.Typesetter`, the same line breaking as the pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from storyboard_app.export.board import ExportBoard, ExportError, ExportPanel
from storyboard_app.export.images import decode_qimage
from storyboard_app.export.layout import Rect, describe_frame, panel_aspects
from storyboard_app.export.qt import ensure_gui_app, export_font
from storyboard_app.export.typeset import Typesetter, paragraphs
from storyboard_app.project.cancel import check_cancel

SUBTITLE_LINES = 3
BACKGROUND = QColor("#000000")
PLACEHOLDER = QColor("#303030")
BAND = QColor(0, 0, 0, 150)


@dataclass(frozen=True)
class BurnIn:
    """What a video shows burned into every frame, besides the subtitle."""

    shot: bool = True
    scene: bool = False
    timecode: bool = False


@dataclass(frozen=True)
class FrameText:
    """The texts of one animatic frame."""

    label: str
    caption: str = ""
    scene: str = ""
    timecode: str = ""


def animatic_size(
    board: ExportBoard, size: tuple[int, int] | None, *, even: bool
) -> tuple[int, int]:
    """The frame size: ``size``, or 640 wide at the board's typical image shape.

    ``even`` rounds both sides to even numbers, as H.264's 4:2:0 colour needs.
    """
    if not board.panels:
        raise ExportError("The board has no frames to export.")
    _, typical = panel_aspects(board)
    width, height = size or (640, round(640 / typical))
    if even:
        width, height = width + width % 2, height + height % 2
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise ExportError(
            f"An animatic must be 16 to 4096 pixels on each side (got {width}×{height})."
        )
    return width, height


class FramePainter:
    """Paints animatic frames of one size; reuse it for every frame of a board."""

    def __init__(self, size: tuple[int, int]) -> None:
        ensure_gui_app()
        self.size = size
        self._typesetter = Typesetter()
        self._picture_of: bytes | None = None
        self._scaled: tuple[QPointF, QImage] = (QPointF(), QImage())

    def paint(self, panel: ExportPanel, text: FrameText) -> QImage:
        """One frame: the image fitted whole on black, then the label, burn-ins, subtitle."""
        check_cancel()
        width, height = self.size
        image = QImage(width, height, QImage.Format.Format_RGB32)
        image.fill(BACKGROUND)
        painter = QPainter(image)
        try:
            painter.setRenderHints(
                QPainter.RenderHint.Antialiasing
                | QPainter.RenderHint.TextAntialiasing
                | QPainter.RenderHint.SmoothPixmapTransform
            )
            self._picture(painter, panel, text.label)
            small = max(10, height // 28)
            corner = [text.label] if text.label else []
            if text.scene:
                corner.append(text.scene)
            for row, line in enumerate(corner):
                self._tag(painter, line, 8, 6 + row * round(small * 1.5), small, "left")
            if text.timecode:
                self._tag(painter, text.timecode, width - 8, 6, small, "right")
            if text.caption.strip():
                self._subtitle(painter, text.caption)
        finally:
            painter.end()
        return image

    def _picture(self, painter: QPainter, panel: ExportPanel, label: str) -> None:
        width, height = self.size
        if panel.image_png is None:
            painter.fillRect(0, 0, width, height, PLACEHOLDER)
            painter.setPen(QColor("#aaaaaa"))
            painter.setFont(self._font(max(10, height // 20), True))
            painter.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, "No image")
            return
        if self._picture_of is not panel.image_png:  # a video paints a panel many times
            picture = decode_qimage(panel.image_png, describe_frame(panel, label))
            box = Rect(0, 0, width, height).fitted(picture.width() / picture.height())
            scaled = picture.scaled(
                max(1, round(box.w)),
                max(1, round(box.h)),
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self._scaled = (QPointF(round(box.x), round(box.y)), scaled)
            self._picture_of = panel.image_png
        painter.drawImage(*self._scaled)

    def _tag(self, painter: QPainter, text: str, x: float, y: float, size: int, side: str) -> None:
        font = self._font(size, True)
        painter.setFont(font)
        advance = self._typesetter.advance(text, size, True)
        left = x if side == "left" else x - advance - 8
        painter.fillRect(QRectF(left, y, advance + 8, size * 1.35), BAND)
        painter.setPen(QColor("#ffffff"))
        baseline = y + self._typesetter.baseline_offset(size) + size * 0.1
        painter.drawText(QPointF(left + 4, baseline), text)

    def _subtitle(self, painter: QPainter, caption: str) -> None:
        width, height = self.size
        size = max(10, height // 20)
        room = width * 0.9
        lines = self._typesetter.set_text(paragraphs(caption), room, size)
        while len(lines) > SUBTITLE_LINES and size > 10:
            size -= 1
            lines = self._typesetter.set_text(paragraphs(caption), room, size)
        texts = [line.text for line in lines]
        if len(texts) > SUBTITLE_LINES:  # the video shows the start; the PDF has it all
            texts = [*texts[: SUBTITLE_LINES - 1], texts[SUBTITLE_LINES - 1].rstrip() + " …"]
        line_h = self._typesetter.line_height(size)
        top = height - line_h * len(texts) - size / 2
        painter.fillRect(QRectF(0, top - size / 3, width, height - top + size / 3), BAND)
        painter.setFont(self._font(size, False))
        painter.setPen(QColor("#ffffff"))
        for row, text in enumerate(texts):
            advance = self._typesetter.advance(text, size)
            baseline = top + row * line_h + self._typesetter.baseline_offset(size)
            painter.drawText(QPointF((width - advance) / 2, baseline), text)

    def _font(self, pixels: int, bold: bool) -> QFont:
        font = export_font(bold)
        font.setPixelSize(pixels)
        return font


def to_pil(image: QImage) -> Image.Image:
    """A QImage as an RGB Pillow image (copied)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    return Image.frombuffer(
        "RGB", (rgb.width(), rgb.height()), bytes(rgb.constBits()), "raw", "RGB", rgb.bytesPerLine()
    ).copy()
