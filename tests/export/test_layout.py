"""Page composition as values: sizes, grids, numbering, and text that is never lost."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import pytest

from storyboard_app.export import ExportBoard, ExportOptions, ExportPanel, layout_board
from storyboard_app.export.layout import MM, page_geometry
from storyboard_app.export.layout_film import grid_shape
from storyboard_app.export.naming import safe_file_stem, shot_labels, unique_file_names
from storyboard_app.export.typeset import Paragraph, Typesetter
from tests.export.boards import make_board


@pytest.mark.parametrize(
    ("page_size", "orientation", "bleed", "expected"),
    [
        ("A4", "portrait", 0, (595.276, 841.890)),
        ("A4", "landscape", 0, (841.890, 595.276)),
        ("Letter", "portrait", 0, (612, 792)),
        ("comic", "portrait", 0, (477, 733.5)),
        ("comic", "portrait", 3, (477 + 6 * MM, 733.5 + 6 * MM)),
    ],
)
def test_page_sizes_in_points(page_size, orientation, bleed, expected):
    options = ExportOptions(page_size=page_size, orientation=orientation, bleed_mm=bleed)
    width, height, trim = page_geometry(options)
    assert (width, height) == pytest.approx(expected, abs=0.01)
    assert trim.x == pytest.approx(bleed * MM)


def test_film_ignores_bleed():
    width, _, _ = page_geometry(ExportOptions(layout="film", page_size="comic", bleed_mm=3))
    assert width == 477


@pytest.mark.parametrize(("rows", "columns", "pages"), [(2, 2, 3), (3, 3, 2), (1, 4, 3), (4, 1, 3)])
def test_fixed_grid_puts_rows_times_columns_per_page(rows, columns, pages):
    board = make_board(10)
    layout = layout_board(board, ExportOptions(rows=rows, columns=columns))
    assert len(layout) == pages
    assert [len(p.slots) for p in layout[:-1]] == [rows * columns] * (pages - 1)
    assert [s.position for p in layout for s in p.slots] == list(range(10))


@pytest.mark.parametrize(("rows", "columns"), [(0, 3), (2, 0), (0, 0)])
def test_derived_and_auto_grids_stay_inside_the_content_area(rows, columns):
    board = make_board(13, sizes=[(1024, 576), (768, 1024), (1024, 1024)] * 5)
    options = ExportOptions(rows=rows, columns=columns, margin_mm=10)
    for page in layout_board(board, options):
        for slot in page.slots:
            frame = slot.frame_rect
            assert frame.x >= 10 * MM - 0.01 and frame.right <= page.width - 10 * MM + 0.01
            assert frame.y >= 10 * MM - 0.01 and frame.bottom <= page.height - 10 * MM + 0.01
            assert frame.w > 20 and frame.h > 20


def test_auto_rows_give_panels_widths_in_proportion_to_their_images():
    sizes = [(1600, 900), (900, 1600), (1024, 1024), (1200, 800)] * 3
    board = make_board(12, sizes=sizes)
    for page in layout_board(board, ExportOptions()):
        rows: dict[float, list] = {}
        for slot in page.slots:
            rows.setdefault(round(slot.frame_rect.y, 3), []).append(slot)
        for row in rows.values():
            base = row[0]
            for slot in row[1:]:
                ratio = slot.frame_rect.w / base.frame_rect.w
                w0, h0 = sizes[base.position]
                w1, h1 = sizes[slot.position]
                assert ratio == pytest.approx((w1 / h1) / (w0 / h0), rel=1e-6)


def test_rtl_mirrors_each_row():
    board = make_board(4)
    ltr = layout_board(board, ExportOptions(rows=2, columns=2))[0]
    rtl = layout_board(board, ExportOptions(rows=2, columns=2, rtl=True))[0]
    for a, b in zip(ltr.slots, rtl.slots):
        assert b.frame_rect.x == pytest.approx(ltr.width - a.frame_rect.right)
        assert b.frame_rect.y == pytest.approx(a.frame_rect.y)


@pytest.mark.parametrize(
    ("per_page", "landscape", "shape"),
    [
        (3, False, (1, 3)),
        (4, False, (1, 4)),
        (6, False, (2, 3)),
        (6, True, (3, 2)),
        (3, True, (3, 1)),
        (4, True, (2, 2)),
    ],
)
def test_film_grid_shapes(per_page, landscape, shape):
    assert grid_shape(per_page, landscape) == shape


@pytest.mark.parametrize("per_page", [1, 2, 3, 4, 6, 8])
def test_film_puts_n_shots_on_a_sheet(per_page):
    board = make_board(13)
    pages = layout_board(board, ExportOptions(layout="film", panels_per_page=per_page))
    assert [len(p.slots) for p in pages[:-1]] == [per_page] * (len(pages) - 1)
    assert sum(len(p.slots) for p in pages) == 13


def test_film_header_counts_pages():
    pages = layout_board(make_board(7), ExportOptions(layout="film", title_page=True))
    assert len(pages) == 4 and pages[0].kind == "title"
    for page in pages[1:]:
        texts = [line.text for block in page.texts for line in block.lines]
        assert f"Page {page.page_number} of 4" in texts
        assert "Test Board" in texts and "2026-02-03" in texts


def _panel(index, **fields):
    return ExportPanel(index=index, **fields)


def test_shot_numbering_schemes():
    panels = [
        _panel(1),
        _panel(2),
        _panel(3, shot_label="INSERT"),
        _panel(4, scene=2),
        _panel(5),
        _panel(6, scene=2),
        _panel(7, scene=3),
    ]
    assert shot_labels(panels, "1") == ("1", "2", "INSERT", "4", "5", "6", "7")
    assert shot_labels(panels, "1A") == ("1A", "1B", "INSERT", "2A", "2B", "2C", "3A")
    assert shot_labels(panels, "1-1") == ("1-1", "1-2", "INSERT", "2-1", "2-2", "2-3", "3-1")
    many = [_panel(i + 1) for i in range(28)]
    assert shot_labels(many, "1A")[25:] == ("1Z", "1AA", "1AB")


def test_safe_unique_file_names():
    stems = [
        safe_file_stem(label, "frame")
        for label in ["1A", "1a", "a/b", "../etc", "CON", "", "sc 1: close-up?", "é"]
    ]
    assert stems == ["1A", "1a", "a_b", "etc", "_CON", "frame", "sc 1_ close-up", "é"]
    assert unique_file_names([*stems[:2], "1A"], ".png") == ["1A.png", "1a-2.png", "1A-3.png"]


def test_captions_fit_at_the_largest_size_first():
    typesetter = Typesetter()
    short = typesetter.fit([Paragraph("Two words")], 200, 40, 9, 6)
    assert short.size == 9 and not short.overflow
    squeezed = typesetter.fit([Paragraph("word " * 60)], 200, 60, 9, 6)
    assert 6 <= squeezed.size < 9 and not squeezed.overflow


@pytest.mark.parametrize("seed", range(6))
def test_setting_text_never_loses_a_word(seed):
    rng = random.Random(seed)
    words = [f"w{n}" + "x" * rng.randrange(0, 12) for n in range(rng.randrange(1, 400))]
    words.insert(rng.randrange(len(words)), "Supercalifragilistic" * 4)  # wider than the box
    text = " ".join(words)
    typesetter = Typesetter()
    fitted = typesetter.fit([Paragraph("HEAD", True), Paragraph(text)], 120, 90, 9, 6, 6)
    kept = " ".join(line.text for line in fitted.lines)
    rest = " ".join(p.text for p in fitted.overflow)
    joined = re.sub(r"\s+", "", kept + rest)
    assert joined == re.sub(r"\s+", "", "HEAD" + text)
    assert all(line.width <= 120 + 1e-6 for line in fitted.lines)


def test_long_caption_moves_on_to_a_continuation_page():
    board = make_board(3)
    long_caption = " ".join(f"word{n}" for n in range(2000))
    panels = (board.panels[0], replace(board.panels[1], caption=long_caption), board.panels[2])
    board = ExportBoard(board.title, panels, board.created)
    pages = layout_board(board, ExportOptions(rows=2, columns=2))
    assert pages[0].kind == "panels"
    assert len(pages) > 2 and {p.kind for p in pages[1:]} == {"continuation"}
    text = " ".join(
        line.text
        for p in pages
        for b in p.texts + tuple(t for s in p.slots for t in s.texts)
        for line in b.lines
    )
    found = re.findall(r"word\d+", text)
    assert found == long_caption.split()


def test_comic_continuation_pages_wait_for_the_end_of_a_spread():
    """Page 1 stands alone, then 2-3, 4-5...: a caption too long on page 2 continues after
    page 3, and the next panel page still starts a spread."""
    board = make_board(16)
    long_caption = " ".join(f"word{n}" for n in range(900))
    panels = list(board.panels)
    panels[5] = replace(panels[5], caption=long_caption)  # page 2 of a 4-per-page grid
    board = ExportBoard(board.title, tuple(panels), board.created)
    pages = layout_board(board, ExportOptions(rows=2, columns=2, caption_placement="below"))
    kinds = [p.kind for p in pages]
    assert kinds[:3] == ["panels", "panels", "panels"]
    first_panel_after = kinds.index("panels", 3)
    assert set(kinds[3:first_panel_after]) <= {"continuation", "blank"}
    assert "continuation" in kinds[3:first_panel_after]
    assert (first_panel_after + 1) % 2 == 0  # page numbers are 1-based: an even page
    marker = next(t for s in pages[1].slots for t in s.texts if t.role == "marker")
    assert marker.lines[0].text == "continued on page 4 →"
    film = layout_board(board, ExportOptions(layout="film", panels_per_page=3))
    assert [p.kind for p in film][1:3] == ["panels", "continuation"]
