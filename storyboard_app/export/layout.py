"""Page composition as plain values: where every image, text line and rule goes.

``layout_board`` turns a board and options into :class:`PageLayout` values in points
(1/72 inch, origin at the page's top-left corner, bleed included). Text is already set
into lines here (see :mod:`typeset`), so whatever paints a layout — the preview or the
PDF — prints the same words on the same lines. Nothing here draws.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from storyboard_app.export.board import ExportBoard, ExportError, ExportOptions, ExportPanel
from storyboard_app.export.images import image_size
from storyboard_app.export.typeset import Fitted, Paragraph, Typesetter

MM = 72 / 25.4
PAGE_SIZES_PT = {"A4": (210 * MM, 297 * MM), "Letter": (612.0, 792.0), "comic": (477.0, 733.5)}
MARKER_SIZE = 6.5  # the "continued on page N" line
CROP_MARK_SLUG_MM = 8.0  # paper outside the bleed that carries the crop marks

PageKind = Literal["title", "panels", "continuation", "blank", "sheet"]
Fit = Literal["fill", "fit"]
Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def inset(self, dx: float | tuple[float, float], dy: float | None = None) -> Rect:
        """This rect shrunk by ``dx`` left and right and ``dy`` (default ``dx``) top and bottom.

        ``dx`` may also be a (horizontal, vertical) pair.
        """
        if isinstance(dx, tuple):
            dx, dy = dx
        dy = dx if dy is None else dy
        return Rect(self.x + dx, self.y + dy, max(0.0, self.w - 2 * dx), max(0.0, self.h - 2 * dy))

    def mirrored(self, within: Rect) -> Rect:
        """This rect reflected left-to-right inside ``within`` (for right-to-left pages)."""
        return replace(self, x=within.x + within.right - self.right)

    def fitted(self, aspect: float, align: Align = "center") -> Rect:
        """The largest rect of ``aspect`` (width / height) inside this one."""
        w, h = self.w, self.w / aspect
        if h > self.h:
            w, h = self.h * aspect, self.h
        x = {"left": self.x, "center": self.x + (self.w - w) / 2, "right": self.right - w}[align]
        return Rect(x, self.y + (self.h - h) / 2, w, h)


@dataclass(frozen=True)
class PlacedLine:
    """A line of text at its final place: left edge, baseline, size in points."""

    text: str
    x: float
    baseline: float
    size: float
    bold: bool = False


@dataclass(frozen=True)
class TextBlock:
    """Lines of one kind of text (``role``: caption, shot, heading, ...) in their box."""

    role: str
    rect: Rect
    lines: tuple[PlacedLine, ...]


@dataclass(frozen=True)
class PanelSlot:
    """One panel on a page: its bordered frame, image area, and texts."""

    position: int  # 0-based position of the panel in ``ExportBoard.panels``
    shot_label: str
    frame_rect: Rect
    image_rect: Rect
    fit: Fit  # "fill": cover the rect, cropping the image's edges; "fit": whole image
    texts: tuple[TextBlock, ...] = ()


@dataclass(frozen=True)
class PageMark:
    """A printer's mark: a crop-mark line, or the safe-area rectangle (corners x1,y1 x2,y2)."""

    kind: Literal["crop", "safe-area"]
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class PageLayout:
    """Everything on one page. ``trim`` is where the printer cuts (the page without bleed)."""

    page_number: int
    page_count: int
    kind: PageKind
    width: float
    height: float
    trim: Rect
    slots: tuple[PanelSlot, ...] = ()
    texts: tuple[TextBlock, ...] = ()
    rules: tuple[tuple[float, float, float, float], ...] = ()
    marks: tuple[PageMark, ...] = ()
    bleed: Rect | None = None  # the trim plus its bleed; None: the whole page

    @property
    def bleed_box(self) -> Rect:
        return self.bleed or Rect(0.0, 0.0, self.width, self.height)


@dataclass(frozen=True)
class Overflow:
    """Text that did not fit its box and continues on a continuation page."""

    slot: int  # index of the slot on its draft page
    heading: str  # e.g. "Shot 3B (frame 7)"
    paragraphs: tuple[Paragraph, ...]
    marker: Rect  # where "continued on page N" is printed in the box


@dataclass
class DraftPage:
    """A page of panels before page numbers are known."""

    slots: list[PanelSlot] = field(default_factory=list)
    overflows: list[Overflow] = field(default_factory=list)
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)


# ---------------------------------------------------------------------------- geometry


def bleed_of(options: ExportOptions) -> float:
    """The bleed in points (comic pages only)."""
    return options.bleed_mm * MM if options.layout == "comic" else 0.0


def page_geometry(options: ExportOptions) -> tuple[float, float, Rect]:
    """(page width, page height, trim rect) in points; bleed surrounds the trim, and with
    crop marks a slug of CROP_MARK_SLUG_MM around the bleed carries them."""
    width, height = PAGE_SIZES_PT[options.page_size]
    if options.orientation == "landscape":
        width, height = height, width
    edge = bleed_of(options) + (CROP_MARK_SLUG_MM * MM if options.crop_marks else 0.0)
    return width + 2 * edge, height + 2 * edge, Rect(edge, edge, width, height)


def content_rect(options: ExportOptions, trim: Rect) -> Rect:
    content = trim.inset(options.margin_mm * MM)
    if content.w < 72 or content.h < 72:
        raise ExportError(
            f"The margins ({options.margin_mm} mm) leave less than an inch of the page to print on."
        )
    return content


def panel_aspects(board: ExportBoard) -> tuple[list[float], float]:
    """Each panel's image aspect (width / height) and the board's typical aspect.

    Panels without an image take the typical aspect, so placeholders match their
    neighbours. Image sizes are read from headers; oversized images are refused here.
    """
    known: list[float | None] = []
    for panel in board.panels:
        if panel.image_png is None:
            known.append(None)
            continue
        w, h = image_size(panel.image_png, describe_frame(panel))
        known.append(w / h)
    present = [a for a in known if a is not None]
    typical = statistics.median(present) if present else 1.0
    return [typical if a is None else a for a in known], typical


def describe_frame(panel: ExportPanel, label: str = "") -> str:
    """How messages name a panel: "frame 7" or "frame 7 (shot 3B)"."""
    shot = label or panel.shot_label.strip()
    return f"frame {panel.index} (shot {shot})" if shot else f"frame {panel.index}"


# ---------------------------------------------------------------------------- text blocks


def text_block(
    role: str,
    rect: Rect,
    fitted: Fitted,
    *,
    pad: float | tuple[float, float] = 0.0,
    align: Align = "left",
    valign: Literal["top", "center", "bottom"] = "top",
) -> TextBlock:
    """Place fitted lines inside ``rect`` (with ``pad`` on every side)."""
    inner = rect.inset(pad)
    top = inner.y
    if valign == "center":
        top += max(0.0, (inner.h - fitted.height) / 2)
    elif valign == "bottom":
        top += max(0.0, inner.h - fitted.height)
    lines = []
    for line in fitted.lines:
        x = inner.x
        if align == "center":
            x += (inner.w - line.width) / 2
        elif align == "right":
            x += inner.w - line.width
        lines.append(PlacedLine(line.text, x, top + line.baseline, line.size, line.bold))
    return TextBlock(role, rect, tuple(lines))


def single_line(
    typesetter: Typesetter,
    role: str,
    text: str,
    rect: Rect,
    size: float,
    *,
    bold: bool = False,
    align: Align = "left",
    min_size: float | None = None,
) -> TextBlock:
    """A short text (label, page number) shrunk to fit ``rect``; wraps only if it must."""
    fitted = typesetter.fit(
        [Paragraph(text, bold)], rect.w, rect.h, size, min_size or size * 0.6, size * 0.6
    )
    if fitted.overflow:  # too long even when shrunk: show it all, on more lines
        lines = typesetter.set_text([Paragraph(text, bold)], rect.w, fitted.size)
        fitted = Fitted(fitted.size, tuple(lines), lines[-1].top + lines[-1].size)
    return text_block(role, rect, fitted, align=align, valign="center")


def fit_box(
    typesetter: Typesetter,
    role: str,
    rect: Rect,
    paragraphs: Sequence[Paragraph],
    *,
    size: float,
    min_size: float,
    pad: float | tuple[float, float],
    slot: int,
    heading: str,
    overflows: list[Overflow],
    align: Align = "left",
) -> TextBlock:
    """Fit paragraphs into a box; what does not fit is recorded as an overflow."""
    inner = rect.inset(pad)
    fitted = typesetter.fit(paragraphs, inner.w, inner.h, size, min_size, MARKER_SIZE)
    if fitted.overflow:
        marker = Rect(
            inner.x, inner.y + fitted.height, inner.w, typesetter.line_height(MARKER_SIZE)
        )
        overflows.append(Overflow(slot, heading, fitted.overflow, marker))
    return text_block(role, rect, fitted, pad=pad, align=align)


# ---------------------------------------------------------------------------- the board


def layout_board(
    board: ExportBoard, options: ExportOptions, typesetter: Typesetter | None = None
) -> tuple[PageLayout, ...]:
    """Lay out every page of ``board`` (title page, panel pages, continuation pages)."""
    # Imported here: those modules build on the values defined above.
    from storyboard_app.export import layout_comic, layout_film, layout_pages

    if not board.panels:
        raise ExportError("The board has no frames to export.")
    typesetter = typesetter or Typesetter()
    width, height, trim = page_geometry(options)
    content = content_rect(options, trim)
    aspects, _ = panel_aspects(board)
    if options.layout == "comic":
        drafts = layout_comic.draft_pages(board, options, content, aspects, typesetter)
    else:
        body = layout_pages.film_body(content)
        drafts = layout_film.draft_pages(board, options, body, aspects, typesetter)
    return layout_pages.assemble(board, options, (width, height, trim, content), drafts, typesetter)
