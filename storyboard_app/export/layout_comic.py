"""Comic pages: panels in rows, a grid or justified rows that follow the images' shapes.

Fixed grid: ``rows`` × ``columns`` equal cells. One of them 0: the other is derived from
the page and the images' typical shape. Both 0 ("auto"): panels are set in reading order
into justified rows, each row's panel widths proportional to their images' aspect ratios
(no reordering), and rows are packed onto pages, stretched or squeezed a little (images
are cropped to fill their panels) so pages end flush. Right-to-left mirrors every row.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from storyboard_app.export.board import ExportBoard, ExportOptions, ImageFit
from storyboard_app.export.layout import (
    MM,
    DraftPage,
    Overflow,
    PanelSlot,
    Rect,
    TextBlock,
    bleed_of,
    fit_box,
    page_geometry,
    single_line,
)
from storyboard_app.export.naming import shot_labels
from storyboard_app.export.typeset import WRAP_SLACK, Typesetter, paragraphs

CAPTION_SIZE = 9.0
CAPTION_MIN_SIZE = 6.0
CAPTION_PAD = (0.0, 3.5)  # below the panel: flush with its edges, a little air above
BOX_PAD = (5.0, 3.5)  # caption box inside the panel
BOX_INSET = 6.0
TAG_SIZE = 7.0
MAX_PER_ROW = 4
MAX_CAPTION_SHARE = 0.4  # of a row's height
SQUEEZE, STRETCH = 0.8, 1.3  # how far a row's height may bend to fill a page


@dataclass
class _Row:
    positions: list[int]
    widths: list[float]
    image_h: float
    caption_h: float


def draft_pages(
    board: ExportBoard,
    options: ExportOptions,
    content: Rect,
    aspects: Sequence[float],
    typesetter: Typesetter,
) -> list[DraftPage]:
    """Comic panel pages, before page numbers and continuation pages are added."""
    gutter = options.gutter_mm * MM
    below = options.caption_placement == "below"

    def caption_need(position: int, width: float) -> float:
        caption = board.panels[position].caption
        if not below or not caption.strip():
            return 0.0
        lines = typesetter.set_text(paragraphs(caption), width, CAPTION_SIZE)
        return lines[-1].top + typesetter.line_height(CAPTION_SIZE) + 2 * CAPTION_PAD[1]

    if options.rows and options.columns:
        pages = _grid(len(aspects), options.rows, options.columns, content, gutter, caption_need)
    elif options.rows or options.columns:
        rows, columns = _derived_grid(options, content, gutter, aspects, caption_need)
        pages = _grid(len(aspects), rows, columns, content, gutter, caption_need)
    else:
        pages = _justified(aspects, content, gutter, caption_need, typesetter, below)

    labels = shot_labels(board.panels, options.shot_numbering)
    drafts = []
    for page_rows in pages:
        draft = DraftPage()
        y = content.y
        for row in page_rows:
            x = content.x
            for position, width in zip(row.positions, row.widths):
                frame = Rect(x, y, width, row.image_h)
                below_rect = Rect(x, frame.bottom, width, row.caption_h)
                if options.rtl:
                    frame, below_rect = frame.mirrored(content), below_rect.mirrored(content)
                slot = _slot(
                    board,
                    options,
                    position,
                    labels[position],
                    frame,
                    below_rect,
                    len(draft.slots),
                    draft.overflows,
                    typesetter,
                )
                fit = board.panels[position].image_fit or options.image_fit
                draft.slots.append(_placed(slot, aspects[position], fit, options))
                x += width + gutter
            y += row.image_h + row.caption_h + gutter
        drafts.append(draft)
    return drafts


def _grid(
    count: int,
    rows: int,
    columns: int,
    content: Rect,
    gutter: float,
    caption_need: Callable[[int, float], float],
) -> list[list[_Row]]:
    cell_w = (content.w - (columns - 1) * gutter) / columns
    cell_h = (content.h - (rows - 1) * gutter) / rows
    all_rows = []
    for start in range(0, count, columns):
        positions = list(range(start, min(count, start + columns)))
        need = max(caption_need(p, cell_w) for p in positions)
        caption_h = min(need, MAX_CAPTION_SHARE * cell_h)
        all_rows.append(_Row(positions, [cell_w] * len(positions), cell_h - caption_h, caption_h))
    return [all_rows[i : i + rows] for i in range(0, len(all_rows), rows)]


def _derived_grid(
    options: ExportOptions,
    content: Rect,
    gutter: float,
    aspects: Sequence[float],
    caption_need: Callable[[int, float], float],
) -> tuple[int, int]:
    """The missing one of rows / columns, from the page and the images' typical shape."""
    typical = statistics.median(aspects)
    if options.columns:
        cell_w = (content.w - (options.columns - 1) * gutter) / options.columns
        caption = statistics.median(caption_need(p, cell_w) for p in range(len(aspects)))
        rows = math.floor((content.h + gutter) / (cell_w / typical + caption + gutter))
        return max(1, rows), options.columns
    cell_h = (content.h - (options.rows - 1) * gutter) / options.rows
    guess_w = cell_h * typical
    caption = statistics.median(caption_need(p, guess_w) for p in range(len(aspects)))
    columns = round((content.w + gutter) / ((cell_h - caption) * typical + gutter))
    return options.rows, max(1, min(columns, 12))


def _justified(
    aspects: Sequence[float],
    content: Rect,
    gutter: float,
    caption_need: Callable[[int, float], float],
    typesetter: Typesetter,
    below: bool,
) -> list[list[_Row]]:
    tiers = 3 if content.h >= content.w else 2
    typical_caption = 0.0
    if below:
        typical_caption = 2 * typesetter.line_height(CAPTION_SIZE) + 2 * CAPTION_PAD[1]
    target = (content.h - (tiers - 1) * gutter) / tiers - typical_caption
    rows: list[_Row] = []
    start = 0
    while start < len(aspects):
        best: tuple[float, int, float] | None = None
        for k in range(1, min(MAX_PER_ROW, len(aspects) - start) + 1):
            height = (content.w - (k - 1) * gutter) / sum(aspects[start : start + k])
            score = abs(math.log(height / target))
            if best is None or score < best[0]:
                best = (score, k, height)
        assert best is not None
        _, k, height = best
        if start + k == len(aspects) and height > target * STRETCH:
            # A short last row is not blown up: it takes its neighbours' height.
            height = min(target, rows[-1].image_h) if rows else target
        height = min(height, content.h * 0.75)
        positions = list(range(start, start + k))
        widths = [aspects[p] * height for p in positions]
        spare = content.w - sum(widths) - (k - 1) * gutter
        if spare < 0:  # capped height: keep the row inside the page
            widths = [w + spare * w / sum(widths) for w in widths]
        need = max(caption_need(p, w) for p, w in zip(positions, widths))
        caption_h = min(need, MAX_CAPTION_SHARE * (height + need))
        rows.append(_Row(positions, widths, height, caption_h))
        start += k
    return _pack(rows, content.h, gutter)


def _pack(rows: list[_Row], room: float, gutter: float) -> list[list[_Row]]:
    """Fill pages with rows in order, then bend row heights so each page ends flush."""
    pages: list[list[_Row]] = []
    current: list[_Row] = []
    for row in rows:
        trial = [*current, row]
        least = sum(r.image_h * SQUEEZE + r.caption_h for r in trial) + (len(trial) - 1) * gutter
        if current and least > room:
            pages.append(current)
            current = [row]
        else:
            current = trial
    pages.append(current)
    for number, page in enumerate(pages):
        last = number == len(pages) - 1
        free = room - (len(page) - 1) * gutter - sum(r.caption_h for r in page)
        factor = free / sum(r.image_h for r in page)
        factor = min(factor, 1.0 if last else STRETCH)
        for row in page:
            row.image_h *= factor
    return pages


def _slot(
    board: ExportBoard,
    options: ExportOptions,
    position: int,
    label: str,
    frame: Rect,
    below: Rect,
    slot_index: int,
    overflows: list[Overflow],
    typesetter: Typesetter,
) -> PanelSlot:
    panel = board.panels[position]
    texts: list[TextBlock] = []
    if panel.image_png is None:
        texts.append(
            single_line(typesetter, "placeholder", "No image", frame.inset(4), 9, align="center")
        )
    caption = paragraphs(panel.caption)
    heading = f"Panel {label} (frame {panel.index})"
    if caption and options.caption_placement == "below":
        texts.append(
            fit_box(
                typesetter,
                "caption",
                below,
                caption,
                size=CAPTION_SIZE,
                min_size=CAPTION_MIN_SIZE,
                pad=CAPTION_PAD,
                slot=slot_index,
                heading=heading,
                overflows=overflows,
            )
        )
    elif caption:
        inner_w = frame.w - 2 * BOX_INSET - 2 * BOX_PAD[0]
        lines = typesetter.set_text(caption, inner_w, CAPTION_SIZE)
        need = lines[-1].top + typesetter.line_height(CAPTION_SIZE) + 2 * BOX_PAD[1]
        height = min(need, MAX_CAPTION_SHARE * frame.h)
        if need <= height:  # the box hugs its text, like a lettered caption
            inner_w = min(inner_w, max(line.width for line in lines) / WRAP_SLACK + 1)
        width = inner_w + 2 * BOX_PAD[0]
        x = frame.right - BOX_INSET - width if options.rtl else frame.x + BOX_INSET
        box = Rect(x, frame.y + BOX_INSET, width, height)
        texts.append(
            fit_box(
                typesetter,
                "caption-box",
                box,
                caption,
                size=CAPTION_SIZE,
                min_size=CAPTION_MIN_SIZE,
                pad=BOX_PAD,
                slot=slot_index,
                heading=heading,
                overflows=overflows,
            )
        )
    texts.append(_tag(typesetter, label, frame, options.rtl))
    return PanelSlot(position, label, frame, frame, "fill", tuple(texts))


def _placed(slot: PanelSlot, aspect: float, fit: ImageFit, options: ExportOptions) -> PanelSlot:
    """The slot's image filling its panel or fitted whole inside it; with bleed and no
    margin, a panel touching the trim runs out to the bleed's edge on that side, so the
    printer's trim never leaves a white sliver."""
    frame = slot.frame_rect
    if options.bleed_mm and options.margin_mm == 0:
        _, _, trim = page_geometry(options)
        bleed = trim.inset(-bleed_of(options))
        left = bleed.x if frame.x <= trim.x + 0.5 else frame.x
        top = bleed.y if frame.y <= trim.y + 0.5 else frame.y
        right = bleed.right if frame.right >= trim.right - 0.5 else frame.right
        bottom = bleed.bottom if frame.bottom >= trim.bottom - 0.5 else frame.bottom
        frame = Rect(left, top, right - left, bottom - top)
    image = frame.fitted(aspect) if fit == "fit" else frame
    return replace(slot, frame_rect=frame, image_rect=image, fit=fit)


def _tag(typesetter: Typesetter, label: str, frame: Rect, rtl: bool) -> TextBlock:
    """The shot label in a small box tucked into the panel's last corner."""
    pad = 3.0
    width = min(frame.w * 0.6, typesetter.advance(label, TAG_SIZE, True) + 2 * pad + 1)
    height = typesetter.line_height(TAG_SIZE) + 2
    x = frame.x if rtl else frame.right - width
    return single_line(
        typesetter,
        "shot-tag",
        label,
        Rect(x, frame.bottom - height, width, height),
        TAG_SIZE,
        bold=True,
        align="center",
    )
