"""PDF export checked with poppler: pages, sizes, real text, images, panel positions."""

from __future__ import annotations

import math
import re
import struct
import zlib
from dataclasses import replace

import pytest

from storyboard_app.export import (
    ExportError,
    ExportOptions,
    ExportPanel,
    export_pdf,
    layout_board,
)
from storyboard_app.export.layout import MM
from storyboard_app.export.report import WarningKind
from storyboard_app.project.safe_write import FileWriteError
from tests.export import poppler
from tests.export.boards import caption_for, make_board, panel_colour, solid_png

pytestmark = pytest.mark.usefixtures("poppler")

A4 = (595.0, 842.0)  # whole points: Qt writes the page box rounded to whole points
LETTER = (612.0, 792.0)
COMIC_TRIM = (477.0, 733.5)

CONFIGURATIONS = {
    "comic-a4-grid": (ExportOptions(layout="comic", rows=3, columns=2), A4, 6),
    "comic-letter-landscape": (
        ExportOptions(
            layout="comic",
            page_size="Letter",
            orientation="landscape",
            rows=2,
            columns=3,
            shot_numbering="1A",
        ),
        LETTER[::-1],
        6,
    ),
    "comic-trim-bleed": (
        ExportOptions(
            layout="comic",
            page_size="comic",
            bleed_mm=3,
            rows=3,
            columns=2,
            caption_placement="inside",
        ),
        (COMIC_TRIM[0] + 6 * MM, COMIC_TRIM[1] + 6 * MM),
        6,
    ),
    "film-a4-portrait": (ExportOptions(layout="film", panels_per_page=3), A4, 3),
    "film-letter-landscape": (
        ExportOptions(
            layout="film",
            page_size="Letter",
            orientation="landscape",
            panels_per_page=6,
            shot_numbering="1-1",
        ),
        LETTER[::-1],
        6,
    ),
}


@pytest.fixture(params=sorted(CONFIGURATIONS))
def configuration(request):
    return CONFIGURATIONS[request.param]


def test_pages_text_and_images_as_configured(configuration, tmp_path):
    options, (width, height), per_page = configuration
    board = make_board(14, size=(1024, 1024))
    out = tmp_path / "board.pdf"

    report = export_pdf(board, options, out)

    expected_pages = math.ceil(len(board.panels) / per_page)
    assert poppler.page_count(out) == expected_pages == report.pages
    for page_w, page_h in poppler.page_sizes(out):
        assert abs(page_w - width) <= 1 and abs(page_h - height) <= 1
    words = poppler.words(out)
    pages = layout_board(board, options)
    labels = [slot.shot_label for page in pages for slot in page.slots]
    assert len(labels) == len(board.panels)
    tokens = set(words.split())
    for i, label in enumerate(labels):
        assert caption_for(i) in words
        assert label in tokens
    if options.layout == "film":
        assert f"Page 1 of {expected_pages}" in words
        assert "Action 014: she stops by the fountain." in words
        assert "Note 014" in words
    assert poppler.info(out)["Title"] == "Test Board"


def test_one_image_per_panel_at_print_resolution(configuration, tmp_path):
    options, _, _ = configuration
    sizes = [(1600, 1600), (1024, 1024), (400, 400)] * 3
    board = make_board(9, sizes=sizes)
    out = tmp_path / "board.pdf"
    export_pdf(board, options, out)

    found = poppler.images(out)
    slots = [slot for page in layout_board(board, options) for slot in page.slots]
    assert len(found) == len(slots) == 9
    for image, slot in zip(found, slots):
        source_w, source_h = sizes[slot.position]
        rect = slot.image_rect
        shown = min(source_w, source_h * rect.w / rect.h) if slot.fit == "fill" else source_w
        # 300 dpi at the panel's size, or the source's own pixels if it has fewer.
        expected = min(300, shown / (rect.w / 72))
        assert abs(image.x_ppi - expected) <= 3, (slot.shot_label, image, expected)
        assert image.width <= source_w and image.height <= source_h


def test_small_images_are_never_upscaled(tmp_path):
    board = make_board(4, size=(200, 200))
    out = tmp_path / "small.pdf"
    report = export_pdf(board, ExportOptions(rows=2, columns=2), out)

    for image in poppler.images(out):
        assert image.width <= 200 and image.height <= 200
        assert image.x_ppi < 150
    (low,) = [w for w in report.warnings if w.kind == WarningKind.LOW_RESOLUTION]
    assert low.frames == (1, 2, 3, 4) and "below 150 dpi" in str(low)


def test_fonts_are_embedded_and_text_is_real(board, tmp_path):
    out = tmp_path / "board.pdf"
    export_pdf(board, ExportOptions(layout="film"), out)

    fonts = poppler.fonts(out)
    assert {name for name, _ in fonts} == {"DejaVuSans", "DejaVuSans-Bold"}
    assert all(embedded for _, embedded in fonts)


def _panel_colours(image, page, dpi=50):
    return [poppler.sample(image, *slot.image_rect.center, dpi=dpi) for slot in page.slots]


def test_comic_grid_positions_by_pixel_sampling(tmp_path):
    board = make_board(6)
    options = ExportOptions(rows=2, columns=2, margin_mm=10, gutter_mm=5)
    out = tmp_path / "grid.pdf"
    export_pdf(board, options, out)
    image = poppler.render(out, 1, tmp_path)

    # Worked out from the page alone: A4, 10 mm margins, 5 mm gutters, 2 × 2 cells.
    margin, gutter = 10 * MM, 5 * MM
    cell_w = (210 * MM - 2 * margin - gutter) / 2
    cell_h = (297 * MM - 2 * margin - gutter) / 2
    for k in range(4):
        row, column = divmod(k, 2)
        x = margin + column * (cell_w + gutter) + cell_w / 2
        y = margin + row * (cell_h + gutter) + cell_h * 0.4  # the image sits above its caption
        assert poppler.close(poppler.sample(image, x, y), panel_colour(k)), f"panel {k + 1}"
    assert poppler.page_count(out) == 2


def test_every_layout_places_panels_where_the_layout_says(configuration, tmp_path):
    options, _, _ = configuration
    board = make_board(7)
    out = tmp_path / "board.pdf"
    export_pdf(board, options, out)
    page = layout_board(board, options)[0]
    image = poppler.render(out, 1, tmp_path)

    for slot, colour in zip(page.slots, _panel_colours(image, page)):
        assert poppler.close(colour, panel_colour(slot.position)), slot.shot_label
    # Reading order: panel k starts left of (or below) panel k - 1.
    for before, after in zip(page.slots, page.slots[1:]):
        a, b = before.frame_rect, after.frame_rect
        assert b.x > a.x or b.y >= a.bottom - 1


@pytest.mark.parametrize("layout", ["comic", "film"])
def test_right_to_left_mirrors_the_order(layout, tmp_path):
    board = make_board(4)
    base = ExportOptions(
        layout=layout, rows=2, columns=2, orientation="landscape", panels_per_page=4
    )
    ltr, rtl = tmp_path / "ltr.pdf", tmp_path / "rtl.pdf"
    export_pdf(board, base, ltr)
    export_pdf(board, replace(base, rtl=True), rtl)
    ltr_page = layout_board(board, base)[0]
    rtl_page = layout_board(board, replace(base, rtl=True))[0]
    ltr_image = poppler.render(ltr, 1, tmp_path)
    rtl_image = poppler.render(rtl, 1, tmp_path)

    for page, image in ((ltr_page, ltr_image), (rtl_page, rtl_image)):
        for slot, colour in zip(page.slots, _panel_colours(image, page)):
            assert poppler.close(colour, panel_colour(slot.position))
    # Left to right, the first panel is left of the second; right to left, it is right of it.
    first, second = (s.image_rect.center for s in ltr_page.slots[:2])
    assert first[0] < second[0] and abs(first[1] - second[1]) < 1
    first, second = (s.image_rect.center for s in rtl_page.slots[:2])
    assert first[0] > second[0] and abs(first[1] - second[1]) < 1
    # Where the first panel is on a left-to-right page, the second one is now.
    where = ltr_page.slots[0].image_rect.center
    assert poppler.close(poppler.sample(rtl_image, *where), panel_colour(1))
    if layout == "comic":  # comic rows are exact mirror images of each other
        mirrored = (ltr_page.width - where[0], where[1])
        assert poppler.close(poppler.sample(rtl_image, *mirrored), panel_colour(0))


def test_auto_rows_follow_image_shapes_in_order(tmp_path):
    sizes = [(1024, 576), (576, 1024), (768, 768), (1024, 512), (512, 768), (900, 600)] * 2
    board = make_board(12, sizes=sizes)
    options = ExportOptions(layout="comic")
    out = tmp_path / "auto.pdf"
    export_pdf(board, options, out)
    pages = layout_board(board, options)

    positions = [slot.position for page in pages for slot in page.slots]
    assert positions == list(range(12))
    for page in pages:
        rows: dict[float, list] = {}
        for slot in page.slots:
            rows.setdefault(round(slot.frame_rect.y, 3), []).append(slot)
        for row in rows.values():
            heights = {round(s.frame_rect.h, 3) for s in row}
            assert len(heights) == 1  # one height per row
    image = poppler.render(out, 1, tmp_path)
    for slot, colour in zip(pages[0].slots, _panel_colours(image, pages[0])):
        assert poppler.close(colour, panel_colour(slot.position))


def test_title_page_comes_first(board, tmp_path):
    out = tmp_path / "titled.pdf"
    report = export_pdf(board, ExportOptions(layout="film", title_page=True), out)

    assert report.pages == poppler.page_count(out) == 1 + math.ceil(8 / 3)
    first = " ".join(poppler.text(out, 1, 1).split())
    assert "Test Board" in first and "8 frames" in first
    assert "Caption" not in first


def test_a_120_frame_board_keeps_every_caption(tmp_path):
    board = make_board(120, size=(96, 96))
    for options in (ExportOptions(layout="comic"), ExportOptions(layout="film", panels_per_page=6)):
        out = tmp_path / f"{options.layout}.pdf"
        export_pdf(board, options, out)
        words = poppler.words(out)
        missing = [i + 1 for i in range(120) if caption_for(i) not in words]
        assert not missing, f"{options.layout}: captions missing for frames {missing}"


@pytest.mark.parametrize(
    ("layout", "placement"), [("comic", "inside"), ("comic", "below"), ("film", "inside")]
)
def test_a_long_caption_continues_and_is_never_dropped(layout, placement, tmp_path):
    long_caption = " ".join(f"w{n:04d}" for n in range(1, 701))
    board = make_board(4)
    panels = list(board.panels)
    panels[1] = replace(panels[1], caption=long_caption)
    board = replace(board, panels=tuple(panels))
    out = tmp_path / "long.pdf"

    options = ExportOptions(layout=layout, rows=2, columns=2, caption_placement=placement)
    report = export_pdf(board, options, out)

    found = re.findall(r"w\d{4}", poppler.words(out))
    assert found == [f"w{n:04d}" for n in range(1, 701)]
    assert report.continued == (2,)
    assert "continued on page 2" in poppler.words(out)
    assert "Continued from page 1" in " ".join(poppler.text(out, 2, 2).split())
    for i in (0, 2, 3):
        assert caption_for(i) in poppler.words(out)


def test_empty_panel_prints_a_placeholder(tmp_path):
    board = make_board(4)
    panels = list(board.panels)
    panels[2] = replace(panels[2], image_png=None)
    board = replace(board, panels=tuple(panels))
    out = tmp_path / "empty.pdf"
    report = export_pdf(board, ExportOptions(rows=2, columns=2), out)

    assert len(poppler.images(out)) == 3
    assert "No image" in poppler.words(out)
    (missing,) = [w for w in report.warnings if w.kind == WarningKind.NO_IMAGE]
    assert (
        missing.frames == (3,) and str(missing) == "Frame 3 has no image; a placeholder is printed."
    )


# ---------------------------------------------------------------------------- safety


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge image (the pixels are never needed)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return b"\x89PNG\r\n\x1a\n" + body


def test_image_bombs_are_refused_naming_the_frame(tmp_path):
    board = make_board(4)
    panels = list(board.panels)
    panels[2] = replace(panels[2], image_png=_png_header_only(20_000, 20_000), shot_label="3X")
    board = replace(board, panels=tuple(panels))
    out = tmp_path / "bomb.pdf"
    with pytest.raises(ExportError, match=r"frame 3 \(shot 3X\).*400 MP"):
        export_pdf(board, ExportOptions(), out)
    assert not out.exists()


def test_failed_export_leaves_an_existing_file_untouched(tmp_path):
    out = tmp_path / "board.pdf"
    out.write_bytes(b"the writer's previous export")
    board = make_board(8)
    panels = list(board.panels)
    panels[6] = replace(panels[6], image_png=solid_png((1, 2, 3))[:60])  # damaged on page 2
    board = replace(board, panels=tuple(panels))

    with pytest.raises(ExportError, match="frame 7"):
        export_pdf(board, ExportOptions(rows=2, columns=2), out)

    assert out.read_bytes() == b"the writer's previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.pdf"]


def test_missing_folder_is_a_clear_error(board, tmp_path):
    out = tmp_path / "no-such-folder" / "board.pdf"
    with pytest.raises(FileWriteError, match="does not exist"):
        export_pdf(board, ExportOptions(), out)
    assert not out.parent.exists()


def test_a_folder_in_the_way_is_a_clear_error(board, tmp_path):
    (tmp_path / "board.pdf").mkdir()
    with pytest.raises(FileWriteError, match="folder of that name"):
        export_pdf(board, ExportOptions(), tmp_path / "board.pdf")


@pytest.mark.skipif(
    not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
    reason="root can write into read-only folders",
)
def test_read_only_folder_is_a_clear_error(board, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    existing = folder / "board.pdf"
    existing.write_bytes(b"old")
    folder.chmod(0o555)
    try:
        with pytest.raises(FileWriteError, match="not writable"):
            export_pdf(board, ExportOptions(), existing)
        assert existing.read_bytes() == b"old"
    finally:
        folder.chmod(0o755)


def test_replacing_an_existing_export_succeeds(board, tmp_path):
    out = tmp_path / "board.pdf"
    out.write_bytes(b"old")
    export_pdf(board, ExportOptions(), out)
    assert out.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["board.pdf"]


def test_bad_options_are_refused():
    with pytest.raises(ExportError, match="layout"):
        ExportOptions(layout="manga")  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="dpi"):
        ExportOptions(dpi=10)
    with pytest.raises(ExportError, match="start at 1"):
        ExportPanel(index=0)
