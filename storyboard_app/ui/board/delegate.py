"""Painting one frame card: thumbnail (or the live preview while it is drawn), number, shot
label, the Character · Interaction · Scene summary, caption and badges."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from storyboard_app.project.model import BoardCard
from storyboard_app.project.report import FrameReport, FrameState
from storyboard_app.ui.board.roles import (
    CardRole,
    PreviewRole,
    ReadoutRole,
    RunStateRole,
    SceneRole,
    ThumbnailRole,
)
from storyboard_app.ui.shared import theme

PAD = 8
RADIUS = 8.0


def card_summary(card: BoardCard) -> str:
    """What the card says, as the writer wrote it (mentions unexpanded)."""
    frame = card.frame
    parts = [p.strip() for p in (frame.character, frame.interaction, frame.scene) if p.strip()]
    return " · ".join(parts) if parts else "Empty card — write who, doing what, where."


def card_badges(
    card: BoardCard, run_state: str | None, readout: FrameReport | None = None
) -> list[str]:
    badges = []
    if run_state in ("drawing", "queued"):
        badges.append(run_state)
    if card.thumbnail_damaged:
        badges.append("damaged")
    if card.stale:
        badges.append("stale")
    if readout is not None and readout.state in (FrameState.DRIFTING, FrameState.CONVERGED):
        badges.append(readout.state.value)
    if card.frame.locked:
        badges.append("locked")
    if card.posed:
        badges.append("posed")
    return badges


def wrap_lines(text: str, metrics: QFontMetrics, width: int, max_lines: int) -> list[str]:
    """Word-wrap ``text`` into at most ``max_lines`` lines, eliding the last one."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for i, word in enumerate(words):
        candidate = f"{current} {word}".strip()
        if metrics.horizontalAdvance(candidate) <= width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines - 1:
            rest = " ".join([current, *words[i + 1 :]])
            lines.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
            return lines
    if current:
        lines.append(metrics.elidedText(current, Qt.TextElideMode.ElideRight, width))
    return lines[:max_lines]


def caption_font(base: QFont, text: str) -> QFont:
    """Italic for the caption, unless the italic face lacks a letter of it: an oblique face
    without Arabic (DejaVu's) would paint boxes where the upright one falls back to a font
    that has them."""
    italic = QFont(base)
    italic.setItalic(True)
    metrics = QFontMetrics(italic)
    if all(metrics.inFontUcs4(ord(c)) for c in text if not c.isspace()):
        return italic
    return base


class CardDelegate(QStyledItemDelegate):
    """Paints cards of ``card_width`` pixels; images keep the story's aspect."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.card_width = 200
        self.aspect = 1.0
        self._scaled: OrderedDict[tuple[int, int, int], QImage] = OrderedDict()

    def _fit(self, image: QImage, size: QSize, live: bool) -> QImage:
        """``image`` scaled into ``size``; thumbnails are scaled once per card size."""
        mode = Qt.TransformationMode.SmoothTransformation
        if live:  # a new preview every few steps: not worth keeping
            return image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode)
        key = (image.cacheKey(), size.width(), size.height())
        hit = self._scaled.get(key)
        if hit is None:
            hit = image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode)
            self._scaled[key] = hit
            while len(self._scaled) > 600:
                self._scaled.popitem(last=False)
        else:
            self._scaled.move_to_end(key)
        return hit

    def _thumb_height(self) -> int:
        return int((self.card_width - 2 * PAD) * max(0.4, min(self.aspect, 1.6)))

    def card_size(self) -> QSize:
        base = QFontMetrics(QFont())
        text = base.height() + 2 * base.lineSpacing() + base.lineSpacing() + 22
        return QSize(self.card_width, PAD + self._thumb_height() + 8 + text + PAD)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return self.card_size()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        card: BoardCard | None = index.data(CardRole)
        if card is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        size = self.card_size()
        rect = QRect(option.rect.topLeft(), size)
        rect.moveCenter(option.rect.center())
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        run_state = index.data(RunStateRole)

        body = QRectF(rect).adjusted(1, 1, -1, -1)
        path = QPainterPath()
        path.addRoundedRect(body, RADIUS, RADIUS)
        painter.fillPath(path, theme.ACCENT_SOFT if selected else theme.PANEL)
        border = theme.ACCENT if selected else (QColor("#aab1bb") if hovered else theme.BORDER)
        painter.setPen(QPen(border, 2 if selected else 1))
        painter.drawPath(path)

        thumb = QRect(rect.left() + PAD, rect.top() + PAD, rect.width() - 2 * PAD, 0)
        thumb.setHeight(self._thumb_height())
        preview = index.data(PreviewRole)
        image = preview if isinstance(preview, QImage) else index.data(ThumbnailRole)
        self._paint_image(painter, thumb, image, card, live=isinstance(preview, QImage))
        self._paint_number(painter, thumb, card, option.font)
        mark = index.data(SceneRole)
        if mark is not None:
            self._paint_scene(painter, rect, mark)

        y = thumb.bottom() + 8
        inner = rect.width() - 2 * PAD
        title_font = theme.small_font(option.font, 0, bold=True)
        painter.setFont(title_font)
        painter.setPen(theme.TEXT)
        fm = QFontMetrics(title_font)
        shot = card.frame.shot_label.strip() or (mark.shot if mark is not None else "")
        title = f"Shot {shot}" if shot else f"Frame {card.frame.position + 1}"
        rounds = "" if card.current_round is None else f"round {card.current_round}"
        round_w = QFontMetrics(option.font).horizontalAdvance(rounds) + 4 if rounds else 0
        painter.drawText(
            QRect(rect.left() + PAD, y, inner - round_w, fm.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(title, Qt.TextElideMode.ElideRight, inner - round_w),
        )
        if rounds:
            painter.setFont(theme.small_font(option.font, -1))
            painter.setPen(theme.MUTED)
            painter.drawText(
                QRect(rect.left() + PAD, y, inner, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                rounds,
            )
        y += fm.height() + 2

        text_font = theme.small_font(option.font, -0.5)
        painter.setFont(text_font)
        tfm = QFontMetrics(text_font)
        painter.setPen(theme.TEXT if card.compiled_prompt else theme.MUTED)
        for line in wrap_lines(card_summary(card), tfm, inner, 2):
            painter.drawText(QRect(rect.left() + PAD, y, inner, tfm.height()), 0, line)
            y += tfm.lineSpacing()
        if card.frame.caption.strip():
            font = caption_font(text_font, card.frame.caption)
            painter.setFont(font)
            painter.setPen(theme.MUTED)
            caption = QFontMetrics(font).elidedText(
                card.frame.caption.strip(), Qt.TextElideMode.ElideRight, inner
            )
            painter.drawText(QRect(rect.left() + PAD, y, inner, tfm.height()), 0, caption)
        y = rect.bottom() - PAD - 18
        self._paint_badges(
            painter,
            rect.left() + PAD,
            y,
            card_badges(card, run_state, index.data(ReadoutRole)),
            option.font,
        )
        painter.restore()

    def _paint_image(
        self, painter: QPainter, box: QRect, image: QImage | None, card: BoardCard, live: bool
    ) -> None:
        painter.save()  # no clip path: clipping every image costs more than the whole card
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.PLACEHOLDER)
        painter.drawRoundedRect(QRectF(box), 5, 5)
        if image is not None and not image.isNull():
            scaled = self._fit(image, box.size(), live)
            x = box.left() + (box.width() - scaled.width()) // 2
            y = box.top() + (box.height() - scaled.height()) // 2
            painter.drawImage(x, y, scaled)
            if live:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(theme.BADGES["drawing"][0], 3))
                painter.drawRect(QRectF(x + 1.5, y + 1.5, scaled.width() - 3, scaled.height() - 3))
        else:
            damaged = card.thumbnail_damaged
            painter.setPen(theme.BADGES["damaged"][0] if damaged else theme.MUTED)
            painter.setFont(theme.small_font(painter.font(), -1))
            text = "Image damaged — see History" if damaged else "No image yet"
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _paint_number(self, painter: QPainter, box: QRect, card: BoardCard, font: QFont) -> None:
        number = str(card.frame.position + 1)
        bold = theme.small_font(font, -1, bold=True)
        fm = QFontMetrics(bold)
        w = max(fm.horizontalAdvance(number) + 12, fm.height() + 4)
        pill = QRectF(box.left() + 6, box.top() + 6, w, fm.height() + 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 24, 30, 170))
        painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(bold)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, number)

    def _paint_scene(self, painter: QPainter, card: QRect, mark) -> None:
        """A scene's colour along the card's left edge."""
        if mark.color:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(mark.color))
            painter.drawRoundedRect(
                QRectF(card.left() + 1, card.top() + 6, 4, card.height() - 12), 2, 2
            )

    def _paint_badges(
        self, painter: QPainter, x: int, y: int, badges: list[str], font: QFont
    ) -> None:
        small = theme.small_font(font, -1.5, bold=True)
        fm = QFontMetrics(small)
        painter.setFont(small)
        for name in badges:
            fg, bg = theme.BADGES[name]
            w = fm.horizontalAdvance(name) + 12
            pill = QRectF(x, y, w, fm.height() + 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bg)
            painter.drawRoundedRect(pill, 4, 4)
            if name == "drawing":
                painter.setBrush(fg)
                painter.drawEllipse(QPointF(x + 6, pill.center().y()), 2.5, 2.5)
                pill = pill.adjusted(5, 0, 5, 0)
                w += 5
            painter.setPen(fg)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, name)
            x += w + 4
