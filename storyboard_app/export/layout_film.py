"""Film storyboard sheets: N shots per page, each with its label, frame, text and duration.

Wide cells (one column of shots) read left to right: shot label and duration, the frame,
then action / dialogue / notes. Narrower cells (a grid of shots, e.g. 3 × 2 on a landscape
sheet) stack the label bar, the frame and the text. Frames show the whole image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from storyboard_app.export.board import ExportBoard, ExportOptions, ExportPanel
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
from storyboard_app.export.typeset import Paragraph, Typesetter, paragraphs

BODY_SIZE = 8.5
BODY_MIN_SIZE = 6.0
HEADING_SCALE = 0.75
LABEL_COLUMN = 56.0
WIDE_CELL = 1.8  # cells at least this much wider than tall are laid out as a row


def grid_shape(per_page: int, landscape: bool) -> tuple[int, int]:
    """(columns, rows) of shots on a sheet."""
    if landscape:
        columns = per_page if per_page <= 3 else math.ceil(per_page / 2)
    else:
        columns = 1 if per_page <= 4 else 2
    return columns, math.ceil(per_page / columns)


def draft_pages(
    board: ExportBoard,
    options: ExportOptions,
    body: Rect,
    aspects: Sequence[float],
    typical: float,
    typesetter: Typesetter,
) -> list[DraftPage]:
    """Film sheets, before page numbers, headers and continuation pages are added."""
    del typical  # panels without images already carry the typical aspect
    labels = shot_labels(board.panels, options.shot_numbering)
    per_page = options.panels_per_page
    columns, rows = grid_shape(per_page, body.w > body.h)
    gutter = max(options.gutter_mm * MM, 6.0)
    cell_w = (body.w - (columns - 1) * gutter) / columns
    cell_h = (body.h - (rows - 1) * gutter) / rows
    wide = cell_w / cell_h >= WIDE_CELL
    drafts = []
    for start in range(0, len(board.panels), per_page):
        draft = DraftPage()
        positions = range(start, min(len(board.panels), start + per_page))
        for k, position in enumerate(positions):
            row, column = divmod(k, columns)
            cell = Rect(
                body.x + column * (cell_w + gutter),
                body.y + row * (cell_h + gutter),
                cell_w,
                cell_h,
            )
            if options.rtl:
                cell = cell.mirrored(body)
            make = _row_cell if wide else _stacked_cell
            draft.slots.append(
                make(
                    board.panels[position],
                    position,
                    labels[position],
                    cell,
                    aspects[position],
                    draft,
                    typesetter,
                )
            )
            if row < rows - 1 and column == 0 and k + columns < len(positions):
                y = cell.bottom + gutter / 2
                draft.rules.append((body.x, y, body.right, y))
        drafts.append(draft)
    return drafts


def _row_cell(
    panel: ExportPanel,
    position: int,
    label: str,
    cell: Rect,
    aspect: float,
    draft: DraftPage,
    typesetter: Typesetter,
) -> PanelSlot:
    label_box = Rect(cell.x, cell.y, LABEL_COLUMN - 8, 22)
    texts = [
        single_line(typesetter, "shot", label, label_box, 15, bold=True, min_size=7),
        _duration(typesetter, panel, Rect(cell.x, label_box.bottom + 2, LABEL_COLUMN - 8, 12)),
    ]
    left = cell.x + LABEL_COLUMN
    width = min(cell.h * aspect, (cell.right - left) * 0.55)
    image = Rect(left, cell.y, width, width / aspect)
    text_x = image.right + 12
    text = Rect(text_x, cell.y, cell.right - text_x, cell.h)
    return _slot(panel, position, label, image, text, texts, draft, typesetter)


def _stacked_cell(
    panel: ExportPanel,
    position: int,
    label: str,
    cell: Rect,
    aspect: float,
    draft: DraftPage,
    typesetter: Typesetter,
) -> PanelSlot:
    bar = Rect(cell.x, cell.y, cell.w, 18)
    texts = [
        single_line(
            typesetter,
            "shot",
            label,
            Rect(bar.x, bar.y, bar.w * 0.7, bar.h),
            12,
            bold=True,
            min_size=7,
        ),
        _duration(typesetter, panel, Rect(bar.x + bar.w * 0.7, bar.y, bar.w * 0.3, bar.h), "right"),
    ]
    room = Rect(cell.x, bar.bottom + 3, cell.w, (cell.h - bar.h - 3) * 0.62)
    image = room.fitted(aspect)
    image = Rect(image.x, room.y, image.w, image.h)
    text = Rect(cell.x, image.bottom + 8, cell.w, cell.bottom - image.bottom - 8)
    return _slot(panel, position, label, image, text, texts, draft, typesetter)


def _slot(
    panel: ExportPanel,
    position: int,
    label: str,
    image: Rect,
    text: Rect,
    texts: list[TextBlock],
    draft: DraftPage,
    typesetter: Typesetter,
) -> PanelSlot:
    if panel.image_png is None:
        texts.append(
            single_line(typesetter, "placeholder", "No image", image.inset(4), 9, align="center")
        )
    sections = []
    for heading, body in (
        ("ACTION", panel.action),
        ("DIALOGUE", panel.caption),
        ("NOTES", panel.notes),
    ):
        if body.strip():
            sections.append(Paragraph(heading, True, HEADING_SCALE, 0.55 if sections else 0.0))
            sections.extend(paragraphs(body))
    if sections:
        texts.append(
            fit_box(
                typesetter,
                "body",
                text,
                sections,
                size=BODY_SIZE,
                min_size=BODY_MIN_SIZE,
                pad=0.0,
                slot=len(draft.slots),
                heading=f"Shot {label} (frame {panel.index})",
                overflows=draft.overflows,
            )
        )
    return PanelSlot(position, label, image, image, "fit", tuple(texts))


def _duration(
    typesetter: Typesetter, panel: ExportPanel, rect: Rect, align: Align = "left"
) -> TextBlock:
    seconds = f"{panel.duration:.1f}".rstrip("0").rstrip(".")
    return single_line(typesetter, "duration", f"{seconds} s", rect, 8, align=align)
