"""Setting text into boxes: measuring, wrapping, shrinking to fit, and what overflows.

Measurements come from the export font at a large reference size and scale linearly,
so line breaks do not depend on the paint device: the preview and the PDF break every
caption at the same words. Nothing here draws; the painter draws the lines it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtGui import QFont, QFontMetricsF

from storyboard_app.export.qt import export_font

_REFERENCE_PX = 1000
LINE_SPACING = 1.24  # line height as a multiple of the font size
WRAP_SLACK = 0.985  # keep 1.5% free on each line for kerning across word joins


@dataclass(frozen=True)
class Paragraph:
    """A run of text set in one style; ``scale`` is relative to the block's font size."""

    text: str
    bold: bool = False
    scale: float = 1.0
    space_before: float = 0.0  # in lines of the block's font size


def paragraphs(text: str, bold: bool = False) -> list[Paragraph]:
    """The writer's text as paragraphs, one per non-blank line they typed."""
    return [Paragraph(line, bold) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class SetLine:
    """One line of set text; ``top`` and ``baseline`` are offsets from the block's top."""

    text: str
    bold: bool
    size: float
    top: float
    baseline: float
    width: float


@dataclass(frozen=True)
class Fitted:
    """Text fitted into a box: the size used, its lines, and what did not fit."""

    size: float
    lines: tuple[SetLine, ...]
    height: float
    overflow: tuple[Paragraph, ...] = ()


@dataclass(frozen=True)
class _Token:
    text: str
    joined: bool  # True when it continues the previous token without a space (split word)


class Typesetter:
    """Measures and wraps text in the export font (regular and bold)."""

    def __init__(self) -> None:
        self._metrics: dict[bool, QFontMetricsF] = {}
        for bold in (False, True):
            font = QFont(export_font(bold))
            font.setPixelSize(_REFERENCE_PX)
            self._metrics[bold] = QFontMetricsF(font)
        regular = self._metrics[False]
        self._ascent = regular.ascent() / _REFERENCE_PX
        self._descent = regular.descent() / _REFERENCE_PX
        self._widths: dict[tuple[bool, str], float] = {}

    # ------------------------------------------------------------------ measuring

    def advance(self, text: str, size: float, bold: bool = False) -> float:
        """Width of ``text`` at ``size`` points."""
        key = (bold, text)
        width = self._widths.get(key)
        if width is None:
            width = self._metrics[bold].horizontalAdvance(text) / _REFERENCE_PX
            if len(self._widths) < 200_000:
                self._widths[key] = width
        return width * size

    def line_height(self, size: float) -> float:
        return size * LINE_SPACING

    def baseline_offset(self, size: float) -> float:
        """Distance from a line's top to its baseline (the line's leading split evenly)."""
        extra = LINE_SPACING - self._ascent - self._descent
        return size * (self._ascent + extra / 2)

    # ------------------------------------------------------------------ setting

    def set_text(self, paragraphs: Sequence[Paragraph], width: float, size: float) -> list[SetLine]:
        """Wrap ``paragraphs`` to ``width`` at ``size``; lines are stacked from offset 0."""
        lines: list[SetLine] = []
        y = 0.0
        for para, _tokens, para_lines in self._wrapped(paragraphs, width, size):
            psize = size * para.scale
            if lines and para.space_before:
                y += para.space_before * self.line_height(size)
            for text, line_width, _count in para_lines:
                lines.append(
                    SetLine(text, para.bold, psize, y, y + self.baseline_offset(psize), line_width)
                )
                y += self.line_height(psize)
        return lines

    def fit(
        self,
        paragraphs: Sequence[Paragraph],
        width: float,
        height: float,
        max_size: float,
        min_size: float,
        marker_size: float | None = None,
    ) -> Fitted:
        """Set text at the largest size (down to ``min_size``) that fits the box.

        If it does not fit even at ``min_size``, the lines that fit are kept, room for a
        "continued" marker line of ``marker_size`` is left below them, and the rest is
        returned as ``overflow`` so the caller can print it elsewhere: text is never lost.
        """
        paragraphs = [p for p in paragraphs if p.text.strip()]
        if not paragraphs:
            return Fitted(max_size, (), 0.0)
        size = max_size
        while True:
            lines = self.set_text(paragraphs, width, size)
            used = _height(lines, self)
            if used <= height + 1e-6:
                return Fitted(size, tuple(lines), used)
            if size <= min_size:
                break
            size = max(min_size, size - 0.5)
        return self._split(paragraphs, width, height, min_size, marker_size or min_size)

    def _split(
        self,
        paragraphs: Sequence[Paragraph],
        width: float,
        height: float,
        size: float,
        marker_size: float,
    ) -> Fitted:
        room = height - self.line_height(marker_size)
        kept: list[SetLine] = []
        kept_per_paragraph: list[int] = []
        overflow: list[Paragraph] = []
        y = 0.0
        wrapped = list(self._wrapped(paragraphs, width, size))
        for index, (para, tokens, para_lines) in enumerate(wrapped):
            psize = size * para.scale
            if kept and para.space_before:
                y += para.space_before * self.line_height(size)
            consumed = 0
            kept_lines = 0
            for text, line_width, count in para_lines:
                if y + self.line_height(psize) > room + 1e-6:
                    break
                kept.append(
                    SetLine(text, para.bold, psize, y, y + self.baseline_offset(psize), line_width)
                )
                y += self.line_height(psize)
                consumed += count
                kept_lines += 1
            kept_per_paragraph.append(kept_lines)
            if consumed < len(tokens):
                overflow.append(_rest(para, tokens[consumed:]))
                overflow.extend(paragraphs[index + 1 :])
                previous = paragraphs[index - 1] if index else None
                if consumed == 0 and previous is not None and previous.bold and not para.bold:
                    # A heading is not left behind without any of its text.
                    del kept[len(kept) - kept_per_paragraph[index - 1] :]
                    overflow.insert(0, previous)
                break
        return Fitted(size, tuple(kept), _height(kept, self), tuple(overflow))

    def _wrapped(self, paragraphs: Sequence[Paragraph], width: float, size: float):
        """Yield (paragraph, tokens, [(line text, line width)]) for each paragraph."""
        for para in paragraphs:
            psize = size * para.scale
            tokens = self._tokens(para.text, width, psize, para.bold)
            yield para, tokens, self._break(tokens, width, psize, para.bold)

    def _tokens(self, text: str, width: float, size: float, bold: bool) -> list[_Token]:
        tokens: list[_Token] = []
        for word in text.split():
            if self.advance(word, size, bold) <= width * WRAP_SLACK:
                tokens.append(_Token(word, False))
                continue
            # A word wider than the box is broken by characters rather than clipped.
            piece = ""
            joined = False
            for char in word:
                if piece and self.advance(piece + char, size, bold) > width * WRAP_SLACK:
                    tokens.append(_Token(piece, joined))
                    piece, joined = "", True
                piece += char
            tokens.append(_Token(piece, joined))
        return tokens

    def _break(
        self, tokens: Sequence[_Token], width: float, size: float, bold: bool
    ) -> list[tuple[str, float, int]]:
        """Greedy line breaking: (line text, its width, how many tokens it holds)."""
        space = self.advance(" ", size, bold)
        lines: list[tuple[str, float, int]] = []
        text, line_width, count = "", 0.0, 0
        for token in tokens:
            token_width = self.advance(token.text, size, bold)
            gap = 0.0 if token.joined or not text else space
            if text and line_width + gap + token_width > width * WRAP_SLACK:
                lines.append((text, line_width, count))
                text, line_width, count, gap = "", 0.0, 0, 0.0
            text += (" " if gap else "") + token.text
            line_width += gap + token_width
            count += 1
        if text:
            lines.append((text, line_width, count))
        return lines


def _height(lines: Sequence[SetLine], typesetter: Typesetter) -> float:
    if not lines:
        return 0.0
    last = lines[-1]
    return last.top + typesetter.line_height(last.size)


def _rest(para: Paragraph, tokens: Sequence[_Token]) -> Paragraph:
    text = ""
    for token in tokens:
        text += ("" if token.joined or not text else " ") + token.text
    return Paragraph(text, para.bold, para.scale, para.space_before)
