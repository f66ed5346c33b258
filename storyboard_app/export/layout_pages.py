"""Turning draft panel pages into numbered pages: title page, headers, footers and the
continuation pages that carry text too long for its box."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from storyboard_app.export.board import ExportBoard, ExportOptions
from storyboard_app.export.layout import (
    CROP_MARK_SLUG_MM,
    MARKER_SIZE,
    MM,
    DraftPage,
    Overflow,
    PageKind,
    PageLayout,
    PageMark,
    PanelSlot,
    PlacedLine,
    Rect,
    TextBlock,
    bleed_of,
    single_line,
    text_block,
)
from storyboard_app.export.timing import running_time_text
from storyboard_app.export.typeset import Fitted, Paragraph, SetLine, Typesetter

HEADER_HEIGHT = 32.0
CONTINUED_SIZE = 9.0


@dataclass(frozen=True)
class _PageSpec:
    kind: PageKind
    draft: DraftPage | None = None
    lines: tuple[SetLine, ...] = ()
    continues_page: int = 0


def film_body(content: Rect) -> Rect:
    """The part of a film sheet below its header."""
    return Rect(content.x, content.y + HEADER_HEIGHT, content.w, content.h - HEADER_HEIGHT)


def assemble(
    board: ExportBoard,
    options: ExportOptions,
    geometry: tuple[float, float, Rect, Rect],
    drafts: Sequence[DraftPage],
    typesetter: Typesetter,
) -> tuple[PageLayout, ...]:
    """Number the pages, add continuation pages, then headers, footers and markers."""
    width, height, trim, content = geometry
    bleed_box = trim.inset(-bleed_of(options))
    body = film_body(content) if options.layout == "film" else content
    specs: list[_PageSpec] = [_PageSpec("title")] if options.title_page else []
    markers: dict[int, dict[int, int]] = {}  # spec index -> overflow index -> page
    waiting: list[int] = []  # spec indexes of panel pages whose text continues later
    spreads = options.layout == "comic"
    for number, draft in enumerate(drafts, start=1):
        specs.append(_PageSpec("panels", draft))
        if draft.overflows:
            waiting.append(len(specs) - 1)
        # Comic pages face each other (page 1 alone, then 2-3, 4-5...): continuation pages
        # wait for the end of a spread, so they never split one. Film sheets stand alone.
        spread_ends = not spreads or len(specs) % 2 == 1 or number == len(drafts)
        if waiting and spread_ends:
            for index in waiting:
                markers[index] = _continue(specs, index, body, typesetter)
            waiting = []
            if spreads and number < len(drafts) and len(specs) % 2 == 0:
                specs.append(_PageSpec("blank"))  # the next panel page starts a spread

    page_count = len(specs)
    layouts = []
    for number, spec in enumerate(specs, start=1):
        page = PageLayout(number, page_count, spec.kind, width, height, trim, bleed=bleed_box)
        if spec.kind == "title":
            page = replace(page, texts=_title_texts(board, options, content, typesetter))
        elif spec.kind == "panels":
            assert spec.draft is not None
            slots = _with_markers(spec.draft, markers.get(number - 1, {}), typesetter)
            page = replace(page, slots=tuple(slots), rules=tuple(spec.draft.rules))
        elif spec.kind == "continuation":
            heading = single_line(
                typesetter,
                "continued-title",
                f"Continued from page {spec.continues_page}",
                Rect(body.x, body.y, body.w, 18),
                11,
                bold=True,
            )
            lines = tuple(
                PlacedLine(line.text, body.x, body.y + 24 + line.baseline, line.size, line.bold)
                for line in spec.lines
            )
            page = replace(page, texts=(heading, TextBlock("continued", body, lines)))
        if spec.kind in ("panels", "continuation"):
            page = _with_furniture(page, board, options, content, typesetter)
        layouts.append(replace(page, marks=printer_marks(options, page)))
    return tuple(layouts)


def printer_marks(options: ExportOptions, page: PageLayout) -> tuple[PageMark, ...]:
    """Crop marks at the trim's corners, in the bleed, and the safe-area guide."""
    marks: list[PageMark] = []
    trim = page.trim
    if options.crop_marks:
        # In the slug: from just outside the bleed outwards, in line with the trim's edges.
        start = trim.x - page.bleed_box.x + 1.5 * MM
        length = CROP_MARK_SLUG_MM * MM - 2 * MM
        for x, y, sx, sy in (
            (trim.x, trim.y, -1, -1),
            (trim.right, trim.y, 1, -1),
            (trim.x, trim.bottom, -1, 1),
            (trim.right, trim.bottom, 1, 1),
        ):
            near_x, near_y = x + sx * start, y + sy * start
            marks.append(PageMark("crop", near_x, y, near_x + sx * length, y))
            marks.append(PageMark("crop", x, near_y, x, near_y + sy * length))
    if options.safe_area_mm:
        safe = trim.inset(options.safe_area_mm * MM)
        marks.append(PageMark("safe-area", safe.x, safe.y, safe.right, safe.bottom))
    return tuple(marks)


def _continue(
    specs: list[_PageSpec],
    index: int,
    body: Rect,
    typesetter: Typesetter,
) -> dict[int, int]:
    """Add the continuation pages of panel page ``specs[index]``; returns its markers' pages."""
    draft = specs[index].draft
    assert draft is not None
    pages, starts = _flow_continuations(draft.overflows, body, typesetter)
    first = len(specs) + 1
    specs.extend(_PageSpec("continuation", lines=p, continues_page=index + 1) for p in pages)
    return {k: first + start for k, start in enumerate(starts)}


def _with_markers(
    draft: DraftPage, pages: dict[int, int], typesetter: Typesetter
) -> list[PanelSlot]:
    slots = list(draft.slots)
    for k, overflow in enumerate(draft.overflows):
        slot = slots[overflow.slot]
        marker = single_line(
            typesetter,
            "marker",
            f"continued on page {pages[k]} →",
            overflow.marker,
            MARKER_SIZE,
            bold=True,
        )
        slots[overflow.slot] = replace(slot, texts=(*slot.texts, marker))
    return slots


def _flow_continuations(
    overflows: Sequence[Overflow], body: Rect, typesetter: Typesetter
) -> tuple[list[tuple[SetLine, ...]], list[int]]:
    """Set overflowing texts one after another over as many pages as they need.

    Returns each page's lines (tops relative to the page's text area) and, per
    overflow, the index of the continuation page its text starts on.
    """
    room = body.h - 24
    pages: list[list[SetLine]] = [[]]
    starts: list[int] = []
    y = 0.0
    for overflow in overflows:
        paragraphs = [Paragraph(f"{overflow.heading} — continued", True), *overflow.paragraphs]
        lines = typesetter.set_text(paragraphs, body.w, CONTINUED_SIZE)
        if y > 0:
            y += typesetter.line_height(CONTINUED_SIZE) * 0.8
        for i, line in enumerate(lines):
            step = lines[i + 1].top - line.top if i + 1 < len(lines) else 0.0
            needed = typesetter.line_height(line.size)
            if i == 0 and len(lines) > 1:  # keep the heading with its first line
                needed = lines[1].top - line.top + typesetter.line_height(lines[1].size)
            if y > 0 and y + needed > room:
                pages.append([])
                y = 0.0
            if i == 0:
                starts.append(len(pages) - 1)
            pages[-1].append(replace(line, top=y, baseline=y + line.baseline - line.top))
            y += step if step else typesetter.line_height(line.size)
    return [tuple(p) for p in pages], starts


def _title_texts(
    board: ExportBoard, options: ExportOptions, content: Rect, typesetter: Typesetter
) -> tuple[TextBlock, ...]:
    title_box = Rect(content.x, content.y + content.h * 0.28, content.w, content.h * 0.3)
    title = typesetter.fit(
        [Paragraph(board.title or "Untitled", True)], title_box.w, title_box.h, 32, 12
    )
    if title.overflow:
        lines = typesetter.set_text([Paragraph(board.title, True)], title_box.w, 12)
        title = Fitted(12, tuple(lines), lines[-1].top + typesetter.line_height(12))
    title_block = text_block("title", title_box, title, align="center", valign="bottom")
    kind = "Storyboard" if options.layout == "film" else "Comic"
    seconds = sum(p.duration for p in board.panels)
    running = running_time_text(seconds)
    facts = f"{kind} · {len(board.panels)} frames · {running} running time · {board.created}"
    subtitle = single_line(
        typesetter,
        "subtitle",
        facts,
        Rect(content.x, title_box.bottom + 18, content.w, 16),
        11,
        align="center",
    )
    return (title_block, subtitle)


def _with_furniture(
    page: PageLayout,
    board: ExportBoard,
    options: ExportOptions,
    content: Rect,
    typesetter: Typesetter,
) -> PageLayout:
    """The film sheet's header, or the comic page's footer."""
    counter = f"Page {page.page_number} of {page.page_count}"
    title = board.title or "Untitled"
    if options.layout == "film":
        split = content.w * 0.66
        seconds = sum(panel.duration for panel in board.panels)
        facts = [f"{len(board.panels)} shots", f"running time {running_time_text(seconds)}"]
        if options.revision.strip():
            facts.insert(0, " ".join(options.revision.split()))
        texts = (
            single_line(
                typesetter,
                "header-title",
                title,
                Rect(content.x, content.y, split, 15),
                13,
                bold=True,
            ),
            single_line(
                typesetter,
                "header-info",
                " · ".join(facts),
                Rect(content.x, content.y + 15, split, 9),
                7.5,
            ),
            single_line(
                typesetter,
                "header-info",
                counter,
                Rect(content.x + split, content.y, content.w - split, 11),
                9,
                bold=True,
                align="right",
            ),
            single_line(
                typesetter,
                "header-info",
                board.created,
                Rect(content.x + split, content.y + 11, content.w - split, 10),
                8,
                align="right",
            ),
        )
        rule_y = content.y + HEADER_HEIGHT - 8
        rules = ((content.x, rule_y, content.right, rule_y),)
        return replace(page, texts=(*page.texts, *texts), rules=(*page.rules, *rules))
    margin = options.margin_mm * MM
    if margin < 6 * MM:
        return page
    band = Rect(content.x, content.bottom + (margin - 10) / 2, content.w, 10)
    texts = (
        single_line(typesetter, "footer", title, Rect(band.x, band.y, band.w * 0.7, band.h), 7),
        single_line(typesetter, "footer", str(page.page_number), band, 7, align="right"),
    )
    return replace(page, texts=(*page.texts, *texts))
