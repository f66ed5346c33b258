"""Painting a laid-out page into any QPainter: the preview and the PDF use this one code.

Images: comic panels are filled ("fill": the image is scaled to cover the panel and
its overflowing edges are cropped, centred); film frames show the whole image ("fit": the
frame has the image's own shape). Images are drawn from their original pixels, reduced
with smooth filtering to the target's resolution (at most the export dpi at the panel's
size) and never enlarged, so a PDF embeds each image once at print resolution.
Text is drawn line by line as real text, exactly as :mod:`layout` set it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen

from storyboard_app.export.board import ExportBoard, ExportOptions
from storyboard_app.export.images import decode_qimage, image_size
from storyboard_app.export.layout import (
    PageLayout,
    PageMark,
    PanelSlot,
    Rect,
    TextBlock,
    describe_frame,
)
from storyboard_app.export.qt import export_font

INK = QColor("#141414")
PAPER = QColor("#ffffff")
_TEXT_COLOURS = {
    "duration": QColor("#5a5a5a"),
    "header-info": QColor("#5a5a5a"),
    "footer": QColor("#7a7a7a"),
    "subtitle": QColor("#5a5a5a"),
    "placeholder": QColor("#8a8a8a"),
    "marker": QColor("#a4322a"),
}
_HEADING_COLOUR = QColor("#6e6e6e")  # the small bold headings inside film text
CAPTION_BOX_FILL = QColor("#fff5d1")
PLACEHOLDER_FILL = QColor("#ececec")
PLACEHOLDER_LINES = QColor("#c8c8c8")
RULE_COLOUR = QColor("#9a9a9a")
SAFE_AREA_COLOUR = QColor("#2f6fd6")
CROP_COLOUR = QColor("#d12f2f")


def paint_page(
    painter: QPainter,
    page: PageLayout,
    board: ExportBoard,
    options: ExportOptions,
    target_rect: QRectF,
    *,
    show_crop: bool = False,
) -> None:
    """Paint ``page`` so that the whole page (bleed included) fills ``target_rect``.

    ``show_crop`` (previews only) outlines, dashed, the whole image of every panel whose
    image is cropped to fill it, with the share cut away.
    """
    painter.save()
    try:
        painter.translate(target_rect.topLeft())
        scale = target_rect.width() / page.width
        painter.scale(scale, scale)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        painter.fillRect(QRectF(0, 0, page.width, page.height), PAPER)
        # Device pixels per point, capped at the export resolution: images never carry
        # more pixels than the page can print, nor more than they have.
        pixels_per_point = min(abs(painter.deviceTransform().m11()), options.dpi / 72)
        fonts = _Fonts(painter)
        painter.setPen(QPen(RULE_COLOUR, 0.6))
        for x1, y1, x2, y2 in page.rules:
            painter.drawLine(QPointF(x1, y1), QPointF(x2, y2))
        for slot in page.slots:
            _paint_slot(painter, slot, board, options, pixels_per_point, fonts)
        for block in page.texts:
            _paint_text(painter, block, fonts)
        for mark in page.marks:
            _paint_mark(painter, mark)
        if show_crop:
            _paint_crops(painter, page, board, fonts)
    finally:
        painter.restore()


class _Fonts:
    """Export fonts sized in points of the page, whatever the device's resolution."""

    def __init__(self, painter: QPainter) -> None:
        self._dpi = painter.device().logicalDpiY()
        self._cache: dict[tuple[bool, float], QFont] = {}

    def get(self, bold: bool, size: float) -> QFont:
        key = (bold, size)
        font = self._cache.get(key)
        if font is None:
            font = export_font(bold)
            # The painter works in points; Qt sizes fonts by the device's dpi, so undo it.
            font.setPointSizeF(size * 72 / self._dpi)
            self._cache[key] = font
        return font


def _paint_slot(
    painter: QPainter,
    slot: PanelSlot,
    board: ExportBoard,
    options: ExportOptions,
    pixels_per_point: float,
    fonts: _Fonts,
) -> None:
    panel = board.panels[slot.position]
    target = _qrect(slot.image_rect)
    if panel.image_png is not None and slot.image_rect != slot.frame_rect:
        # A fitted image leaves bars: black on film sheets (the frame's mask), paper in comics.
        bars = INK if options.layout == "film" else PAPER
        painter.fillRect(_qrect(slot.frame_rect), bars)
    if panel.image_png is None:
        painter.fillRect(target, PLACEHOLDER_FILL)
        painter.setPen(QPen(PLACEHOLDER_LINES, 0.6))
        painter.drawLine(target.topLeft(), target.bottomRight())
        painter.drawLine(target.topRight(), target.bottomLeft())
    else:
        image = decode_qimage(panel.image_png, describe_frame(panel, slot.shot_label))
        painter.drawImage(target, print_image(image, slot.image_rect, slot.fit, pixels_per_point))
    comic = options.layout == "comic"
    border = QPen(INK, 1.4 if comic else 0.75)
    border.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    painter.setPen(border)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(_qrect(slot.frame_rect))
    for block in slot.texts:
        _paint_text(painter, block, fonts)


def print_image(image: QImage, rect: Rect, fit: str, pixels_per_point: float) -> QImage:
    """The part of ``image`` shown in ``rect``, reduced to the target's pixel size."""
    source = QRect(0, 0, image.width(), image.height())
    if fit == "fill":
        aspect = rect.w / rect.h
        if image.width() / image.height() > aspect:
            width = max(1, round(image.height() * aspect))
            source = QRect((image.width() - width) // 2, 0, width, image.height())
        else:
            height = max(1, round(image.width() / aspect))
            source = QRect(0, (image.height() - height) // 2, image.width(), height)
    shown = image.copy(source) if source != image.rect() else image
    width = max(1, round(rect.w * pixels_per_point))
    height = max(1, round(rect.h * pixels_per_point))
    if shown.width() > width or shown.height() > height:
        shown = shown.scaled(
            min(width, shown.width()),
            min(height, shown.height()),
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return shown


def _paint_text(painter: QPainter, block: TextBlock, fonts: _Fonts) -> None:
    if block.role == "caption-box":
        painter.setPen(QPen(INK, 0.8))
        painter.setBrush(QBrush(CAPTION_BOX_FILL))
        painter.drawRect(_qrect(block.rect))
    elif block.role == "shot-tag":
        painter.setPen(QPen(INK, 0.8))
        painter.setBrush(QBrush(PAPER))
        painter.drawRect(_qrect(block.rect))
    colour = _TEXT_COLOURS.get(block.role, INK)
    for line in block.lines:
        painter.setFont(fonts.get(line.bold, line.size))
        heading = line.bold and block.role == "body"
        painter.setPen(_HEADING_COLOUR if heading else colour)
        painter.drawText(QPointF(line.x, line.baseline), line.text)


def _paint_mark(painter: QPainter, mark: PageMark) -> None:
    """Crop marks (registration black, hairline) and the safe-area guide (thin, blue)."""
    if mark.kind == "safe-area":
        pen = QPen(SAFE_AREA_COLOUR, 0.5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(mark.x1, mark.y1, mark.x2 - mark.x1, mark.y2 - mark.y1))
        return
    painter.setPen(QPen(INK, 0.25))
    painter.drawLine(QPointF(mark.x1, mark.y1), QPointF(mark.x2, mark.y2))


def _paint_crops(painter: QPainter, page: PageLayout, board: ExportBoard, fonts: _Fonts) -> None:
    pen = QPen(CROP_COLOUR, 1.0, Qt.PenStyle.DashLine)
    for slot in page.slots:
        panel = board.panels[slot.position]
        if slot.fit != "fill" or panel.image_png is None:
            continue
        width, height = image_size(panel.image_png, describe_frame(panel, slot.shot_label))
        rect = slot.image_rect
        scale = max(rect.w / width, rect.h / height)
        whole = Rect(0, 0, width * scale, height * scale)
        whole = Rect(rect.center[0] - whole.w / 2, rect.center[1] - whole.h / 2, whole.w, whole.h)
        cut = 1 - (rect.w * rect.h) / (whole.w * whole.h)
        if cut < 0.01:
            continue
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(_qrect(whole))
        painter.setFont(fonts.get(True, 8))
        painter.drawText(QPointF(rect.x + 4, rect.bottom - 4), f"cropped {cut:.0%}")


def _qrect(rect: Rect) -> QRectF:
    return QRectF(rect.x, rect.y, rect.w, rect.h)
