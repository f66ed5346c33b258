"""Print-ready PDFs read back with poppler: boxes, art into the bleed, crop marks, fit or fill,
dpi, film aspect masks and the film sheet's fields and header."""

from __future__ import annotations

import re

import numpy as np
import pytest

from storyboard_app.export import ExportOptions, export_pdf, layout_board, render_page_image
from storyboard_app.export.layout import CROP_MARK_SLUG_MM, MM
from storyboard_app.export.report import WarningKind
from tests.export import poppler
from tests.export.boards import make_board, panel_colour

pytestmark = pytest.mark.usefixtures("poppler")


def boxes(pdf) -> dict[str, tuple[float, ...]]:
    out = poppler._run("pdfinfo", "-box", "-f", "1", "-l", "1", pdf)
    return {
        name: tuple(float(v) for v in values.split())
        for name, values in re.findall(r"Page\s+1 (\w+Box):\s+([-\d. ]+)", out)
    }


def test_trim_and_bleed_boxes_art_into_the_bleed_and_crop_marks(tmp_path):
    bleed = 3.175
    options = ExportOptions(
        page_size="comic", bleed_mm=bleed, margin_mm=0, gutter_mm=0, rows=2, columns=2,
        crop_marks=True,
    )  # fmt: skip
    out = tmp_path / "print.pdf"
    export_pdf(make_board(4, caption=""), options, out)
    found = boxes(out)
    media, trim, bleed_box = found["MediaBox"], found["TrimBox"], found["BleedBox"]
    assert trim[2] - trim[0] == pytest.approx(477, abs=0.02)  # US comic trim, 6.625 in
    assert trim[3] - trim[1] == pytest.approx(733.5, abs=0.02)
    for inner, outer in zip(trim[:2], bleed_box[:2]):
        assert inner - outer == pytest.approx(bleed * MM, abs=0.02)
    slug = CROP_MARK_SLUG_MM * MM
    assert bleed_box[0] - media[0] == pytest.approx(slug, abs=0.02)

    dpi = 100
    page = poppler.render(out, 1, tmp_path, dpi=dpi)
    top = media[3]
    trim_left, trim_top = trim[0] - media[0], top - trim[3]  # from the top-left corner
    # The first panel's art runs into the bleed, beyond the trim's top-left corner.
    in_bleed = poppler.sample(page, trim_left - bleed * MM / 2, trim_top - bleed * MM / 2, dpi)
    assert poppler.close(in_bleed, panel_colour(0), 30)
    # Outside the bleed is paper, except the crop marks in line with the trim's edges.
    assert poppler.sample(page, trim_left - bleed * MM - 2, trim_top + 20, dpi) == (255, 255, 255)
    pixels = np.asarray(page.convert("L"), dtype=np.int16)
    mark_x = round(trim_left * dpi / 72)
    mark_rows = slice(2, round((trim_top - bleed * MM - 2) * dpi / 72))
    assert pixels[mark_rows, mark_x - 1 : mark_x + 2].min() < 160  # a vertical crop mark


def test_fit_shows_whole_images_and_fill_crops_with_a_warning(tmp_path):
    board = make_board(4, size=(640, 360), caption="")
    filled = tmp_path / "fill.pdf"
    report = export_pdf(board, ExportOptions(rows=2, columns=2), filled)
    (cropped,) = [w for w in report.warnings if w.kind == WarningKind.CROPPED]
    assert cropped.frames == (1, 2, 3, 4) and "cropped to fill" in str(cropped)

    fitted = tmp_path / "fit.pdf"
    report = export_pdf(board, ExportOptions(rows=2, columns=2, image_fit="fit"), fitted)
    assert not [w for w in report.warnings if w.kind == WarningKind.CROPPED]
    slot = layout_board(board, ExportOptions(rows=2, columns=2, image_fit="fit"))[0].slots[0]
    assert slot.image_rect.w / slot.image_rect.h == pytest.approx(16 / 9, rel=0.01)
    page = poppler.render(fitted, 1, tmp_path)
    above_image = (slot.frame_rect.center[0], (slot.frame_rect.y + slot.image_rect.y) / 2)
    assert poppler.sample(page, *above_image) == (255, 255, 255)  # paper above a fitted image
    assert poppler.close(poppler.sample(page, *slot.image_rect.center), panel_colour(0))


def test_the_preview_shows_what_fill_crops(tmp_path):
    board = make_board(4, size=(640, 360), caption="")
    options = ExportOptions(rows=2, columns=2)
    plain = np.asarray(render_page_image(board, options, 1, 600).bits()).copy()
    shown = np.asarray(render_page_image(board, options, 1, 600, show_crop=True).bits()).copy()
    assert (plain != shown).mean() > 0.001


@pytest.mark.parametrize("dpi", [300, 600])
def test_dpi_choice_sets_the_embedded_resolution(dpi, tmp_path):
    board = make_board(12, size=(1600, 1600), caption="")  # 625 ppi in a 4 x 3 grid
    out = tmp_path / f"{dpi}.pdf"
    export_pdf(board, ExportOptions(rows=4, columns=3, dpi=dpi), out)
    images = poppler.images(out)
    assert len(images) == 12 and all(abs(i.y_ppi - dpi) <= 3 for i in images)


def test_film_aspect_mask_fields_and_header(tmp_path):
    board = make_board(3, size=(512, 512))
    options = ExportOptions(
        layout="film",
        frame_aspect="2.39",
        image_fit="fit",
        film_fields=("action", "duration"),
        revision="Rev. B (blue pages)",
    )
    page = layout_board(board, options)[0]
    for slot in page.slots:
        frame = slot.frame_rect
        assert frame.w / frame.h == pytest.approx(2.39, rel=0.01)
        assert slot.image_rect.w == pytest.approx(slot.image_rect.h)  # the square, fitted
    out = tmp_path / "film.pdf"
    export_pdf(board, options, out)
    words = poppler.words(out)
    assert "Rev. B (blue pages) · 3 shots · running time 0:05" in words
    assert "Page 1 of 1" in words and "ACTION" in words and "1.5 s" in words
    assert "DIALOGUE" not in words and "NOTES" not in words
    image = poppler.render(out, 1, tmp_path)
    slot = page.slots[0]
    bar = (slot.frame_rect.x + 3, slot.frame_rect.center[1])  # the mask's bar beside the image
    assert max(poppler.sample(image, *bar)) < 60
