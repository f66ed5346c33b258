"""A finished frame's PNG and thumbnail bytes, encoded wherever the frame was drawn."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

from engine.api import FrameResult

THUMBNAIL_SIDE = 256


def png_bytes(image: Any) -> bytes:
    """PNG of a PIL image (fast compression: generated art barely shrinks at higher levels)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def thumbnail_bytes(image: Any, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small PNG of a PIL image for the board."""
    small = image.copy()
    small.thumbnail((side, side))
    return png_bytes(small)


def encode_result(result: FrameResult, *, keep_image: bool = True) -> FrameResult:
    """The result with its PNG and thumbnail bytes (zlib releases the GIL, so this runs on a
    thread beside the GPU). ``keep_image`` False drops the pixels: only bytes travel on."""
    if result.png:
        return result
    encoded = replace(
        result, png=png_bytes(result.image), thumbnail_png=thumbnail_bytes(result.image)
    )
    return encoded if keep_image else replace(encoded, image=None)
