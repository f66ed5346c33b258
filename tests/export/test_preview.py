"""The export dialog's preview is painted by the same code as the PDF: it looks the same."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from storyboard_app.export import (
    ExportError,
    ExportOptions,
    export_pdf,
    layout_board,
    page_count,
    render_page_image,
)
from tests.export import poppler
from tests.export.boards import make_board, panel_colour


def _array(qimage) -> np.ndarray:
    qimage = qimage.convertToFormat(qimage.Format.Format_RGB888)
    width, height = qimage.width(), qimage.height()
    data = np.frombuffer(qimage.constBits(), np.uint8, qimage.sizeInBytes())
    rows = data.reshape(height, qimage.bytesPerLine())[:, : width * 3]
    return rows.reshape(height, width, 3).copy()  # the QImage's buffer dies with it


@pytest.mark.usefixtures("poppler")
@pytest.mark.parametrize("layout", ["comic", "film"])
def test_preview_matches_the_printed_page(layout, tmp_path):
    board = make_board(6)
    options = ExportOptions(layout=layout, caption_placement="below")
    out = tmp_path / "board.pdf"
    export_pdf(board, options, out)
    printed = np.asarray(poppler.render(out, 1, tmp_path, dpi=72), dtype=np.int16)

    # The PDF page is exact (595.28 pt); poppler rounds its pixels up, the preview is 1 px/pt.
    width = int(layout_board(board, options)[0].width)
    preview = _array(render_page_image(board, options, 1, width)).astype(np.int16)

    height = min(printed.shape[0], preview.shape[0])
    difference = np.abs(printed[:height, :width] - preview[:height])
    assert difference.mean() < 3.0
    assert np.percentile(difference.max(axis=2), 99) < 80  # only anti-aliased edges differ


def test_preview_size_and_panel_colours():
    board = make_board(4)
    options = ExportOptions(rows=2, columns=2)
    image = render_page_image(board, options, 1, 600)
    page = layout_board(board, options)[0]
    assert image.width() == 600
    assert image.height() == round(600 * page.height / page.width)
    pixels = Image.fromarray(_array(image))
    scale = 600 / page.width
    for slot in page.slots:
        x, y = slot.image_rect.center
        colour = pixels.getpixel((round(x * scale), round(y * scale)))
        assert poppler.close(colour, panel_colour(slot.position))


def test_page_count_and_bad_page_numbers():
    board = make_board(7)
    options = ExportOptions(layout="film", panels_per_page=3)
    assert page_count(board, options) == 3
    with pytest.raises(ExportError, match="no page 4"):
        render_page_image(board, options, 4, 400)
    pages = layout_board(board, options)
    assert render_page_image(board, options, 3, 200, pages=pages).width() == 200
