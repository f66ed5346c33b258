"""Film storyboard sheets: N shots per page, each with its label, frame, text and duration.

Wide cells (one column of shots) read left to right: shot label and duration, the frame,
then action / dialogue / notes. Narrower cells (a grid of shots, e.g. 3 × 2 on a landscape
sheet) stack the label bar, the frame and the text. Frames show the whole image.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from storyboard_app.export.board import FRAME_ASPECTS, ExportBoard, ExportOptions, ExportPanel
from storyboard_app.export.layout import (
    MM,
    Align,
    DraftPage,
    PanelSlot,
    Rect,
    TextBlock,
    fit_box,
    single_line,
)
from storyboard_app.export.naming import shot_labels
from storyboard_app.export.timing import duration_text
from storyboard_app.export.typeset import Paragraph, Typesetter, paragraphs

BODY_SIZE = 8.5
BODY_MIN_SIZE = 6.0
HEADING_SCALE = 0.75
LABEL_COLUMN = 56.0
WIDE_CELL = 1.8  # cells at least this much wider than tall are laid out as a row
IMAGE_SHARE = 0.58  # of a stacked cell's height below its label bar
ROW_IMAGE_SHARE = 0.55  # of a row cell's width beside its label column
TEXT_FLOOR = 7.0


def grid_shape(per_page: int, landscape: bool) -> tuple[int, int]:
    """(columns, rows) of shots on a sheet."""
    if landscape:
        columns = per_page if per_page <= 3 else math.ceil(per_page / 2)
    else:
        columns = 1 if per_page <= 4 else 2
    return columns, math.ceil(per_page / columns)


@dataclass(frozen=True)
class _Cell:
    """A shot's place on the sheet before its text is fitted."""

    position: int
    label: str
    image: Rect
    text: Rect
    texts: tuple[TextBlock, ...]
    sections: tuple[Paragraph, ...]


def draft_pages(
    board: ExportBoard,
    options: ExportOptions,
    body: Rect,
    aspects: Sequence[float],
    typesetter: Typesetter,
) -> list[DraftPage]:
    """Film sheets, before page numbers, headers and continuation pages are added."""
    labels = shot_labels(board.panels, options.shot_numbering)
    per_page = options.panels_per_page
    columns, rows = grid_shape(per_page, body.w > body.h)
    gutter = max(options.gutter_mm * MM, 6.0)
    cell_w = (body.w - (columns - 1) * gutter) / columns
    cell_h = (body.h - (rows - 1) * gutter) / rows
    typical = FRAME_ASPECTS[options.frame_aspect] or statistics.median(aspects)
    make = _row_cell if _row_frame_is_larger(cell_w, cell_h, typical) else _stacked_cell
    drafts = []
    for start in range(0, len(board.panels), per_page):
        draft = DraftPage()
        cells = []
        positions = range(start, min(len(board.panels), start + per_page))
        for k, position in enumerate(positions):
            row, column = divmod(k, columns)
            x, y = body.x + column * (cell_w + gutter), body.y + row * (cell_h + gutter)
            cell = Rect(x, y, cell_w, cell_h)
            if options.rtl:
                cell = cell.mirrored(body)
            panel = board.panels[position]
            mask = FRAME_ASPECTS[options.frame_aspect] or aspects[position]
            cells.append(make(panel, position, labels[position], cell, mask, typesetter, options))
            if row < rows - 1 and column == 0 and k + columns < len(positions):
                rule_y = cell.bottom + gutter / 2
                draft.rules.append((body.x, rule_y, body.right, rule_y))
        size = _page_text_size(cells, typesetter)
        for cell in cells:
            panel = board.panels[cell.position]
            fit = panel.image_fit or options.image_fit
            image = cell.image.fitted(aspects[cell.position]) if fit == "fit" else cell.image
            slot = _slot(panel, cell, size, draft, typesetter)
            draft.slots.append(replace(slot, image_rect=image, fit=fit))
        drafts.append(draft)
    return drafts


def _row_frame_is_larger(cell_w: float, cell_h: float, aspect: float) -> bool:
    """Whether a frame beside its text (a row) is larger than one above it (stacked).

    Cells much wider than tall are rows; otherwise the layout that prints the frame larger
    wins, so a 2.39 mask on a portrait sheet stacks and fills the sheet's width.
    """
    if cell_w / cell_h < WIDE_CELL:
        return False
    row_w = min(cell_h * aspect, (cell_w - LABEL_COLUMN) * ROW_IMAGE_SHARE)
    stacked = Rect(0, 0, cell_w, (cell_h - 21) * IMAGE_SHARE).fitted(aspect)
    return row_w * row_w / aspect >= stacked.w * stacked.h


def _page_text_size(cells: Sequence[_Cell], typesetter: Typesetter) -> float:
    """One text size for the whole sheet: the largest at which every shot's text fits.

    A shot whose text does not fit even at TEXT_FLOOR does not pull the others down: it
    alone shrinks further and then continues on a continuation page.
    """
    size = BODY_SIZE
    for cell in cells:
        if cell.sections:
            fitted = typesetter.fit(cell.sections, cell.text.w, cell.text.h, BODY_SIZE, TEXT_FLOOR)
            if not fitted.overflow:
                size = min(size, fitted.size)
    return size


def _row_cell(
    panel: ExportPanel,
    position: int,
    label: str,
    cell: Rect,
    aspect: float,
    typesetter: Typesetter,
    options: ExportOptions,
) -> _Cell:
    label_box = Rect(cell.x, cell.y, LABEL_COLUMN - 8, 22)
    texts = [single_line(typesetter, "shot", label, label_box, 15, bold=True, min_size=7)]
    if "duration" in options.film_fields:
        duration_box = Rect(cell.x, label_box.bottom + 2, LABEL_COLUMN - 8, 12)
        texts.append(_duration(typesetter, panel, duration_box))
    left = cell.x + LABEL_COLUMN
    width = min(cell.h * aspect, (cell.right - left) * ROW_IMAGE_SHARE)
    image = Rect(left, cell.y, width, width / aspect)
    text_x = image.right + 12
    text = Rect(text_x, cell.y, cell.right - text_x, cell.h)
    return _Cell(position, label, image, text, tuple(texts), _sections(panel, options))


def _stacked_cell(
    panel: ExportPanel,
    position: int,
    label: str,
    cell: Rect,
    aspect: float,
    typesetter: Typesetter,
    options: ExportOptions,
) -> _Cell:
    room = Rect(cell.x, cell.y + 21, cell.w, (cell.h - 21) * IMAGE_SHARE)
    image = room.fitted(aspect, align="left")
    image = Rect(image.x, room.y, image.w, image.h)
    bar = Rect(cell.x, cell.y, image.w, 18)
    split = bar.w * 0.7
    texts = [
        single_line(
            typesetter, "shot", label, Rect(bar.x, bar.y, split, bar.h), 12, bold=True, min_size=7
        )
    ]
    if "duration" in options.film_fields:
        duration_box = Rect(bar.x + split, bar.y, bar.w - split, bar.h)
        texts.append(_duration(typesetter, panel, duration_box, "right"))
    text = Rect(cell.x, image.bottom + 8, cell.w, cell.bottom - image.bottom - 8)
    return _Cell(position, label, image, text, tuple(texts), _sections(panel, options))


def _sections(panel: ExportPanel, options: ExportOptions) -> tuple[Paragraph, ...]:
    """The scene heading where a scene starts, then ACTION / DIALOGUE / NOTES (those the
    options print), each a small heading over the writer's text."""
    sections: list[Paragraph] = []
    if panel.scene_heading.strip():
        sections.append(Paragraph(" ".join(panel.scene_heading.split()), True))
    for heading, field, text in (
        ("ACTION", "action", panel.action),
        ("DIALOGUE", "dialogue", panel.caption),
        ("NOTES", "notes", panel.notes),
    ):
        if field in options.film_fields and text.strip():
            sections.append(Paragraph(heading, True, HEADING_SCALE, 0.55 if sections else 0.0))
            sections.extend(paragraphs(text))
    return tuple(sections)


def _slot(
    panel: ExportPanel, cell: _Cell, size: float, draft: DraftPage, typesetter: Typesetter
) -> PanelSlot:
    texts = list(cell.texts)
    if panel.image_png is None:
        texts.append(
            single_line(
                typesetter, "placeholder", "No image", cell.image.inset(4), 9, align="center"
            )
        )
    if cell.sections:
        texts.append(
            fit_box(
                typesetter,
                "body",
                cell.text,
                cell.sections,
                size=size,
                min_size=BODY_MIN_SIZE,
                pad=0.0,
                slot=len(draft.slots),
                heading=f"Shot {cell.label} (frame {panel.index})",
                overflows=draft.overflows,
            )
        )
    return PanelSlot(cell.position, cell.label, cell.image, cell.image, "fit", tuple(texts))


def _duration(
    typesetter: Typesetter, panel: ExportPanel, rect: Rect, align: Align = "left"
) -> TextBlock:
    return single_line(typesetter, "duration", duration_text(panel.duration), rect, 8, align=align)
