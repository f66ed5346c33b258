"""Print boxes a printer needs to impose a PDF: TrimBox and BleedBox on every page.

Qt's PDF writer sets only the MediaBox, in whole points. After it has written the pages, the
boxes are set with pikepdf from the layout's own numbers: the MediaBox is the whole laid-out
page (with a slug for crop marks if asked for), the BleedBox the trim plus its bleed, the
TrimBox where the printer cuts. PDF coordinates start at the
bottom-left corner, the layout's at the top-left, so both are measured from the MediaBox's top.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf

from storyboard_app.export.board import ExportError
from storyboard_app.export.layout import PageLayout, Rect


def with_print_boxes(data: bytes, pages: Sequence[PageLayout]) -> bytes:
    """The PDF ``data`` with a TrimBox and a BleedBox on each page of ``pages``."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        raise ExportError(f"The PDF writer produced an unreadable file ({exc}).") from None
    with pdf:
        if len(pdf.pages) != len(pages):
            raise ExportError(
                f"The PDF writer produced {len(pdf.pages)} pages instead of {len(pages)}."
            )
        for page, layout in zip(pdf.pages, pages):
            _, _, _, top = (float(v) for v in page.mediabox)
            # The exact page, not Qt's whole points (trim, bleed and any crop-mark slug).
            page.obj.MediaBox = _box(Rect(0.0, 0.0, layout.width, layout.height), top)
            page.obj.BleedBox = _box(layout.bleed_box, top)
            page.obj.TrimBox = _box(layout.trim, top)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _box(rect: Rect, top: float) -> pikepdf.Array:
    """A layout rect (top-left origin) as a PDF box [left bottom right top]."""
    return pikepdf.Array(
        [round(v, 3) for v in (rect.x, top - rect.bottom, rect.right, top - rect.y)]
    )
