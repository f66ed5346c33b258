"""Reading panel images safely: size from the header first, decode only what is sane.

A project file can come from someone else, so an image blob is untrusted: its size is
read from the header before anything is decoded, and images above
:data:`MAX_IMAGE_PIXELS` are refused with a message naming the frame.
"""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image
from PySide6.QtGui import QImage, QPainter

from storyboard_app.export.board import ExportError
from storyboard_app.project.imaging import MAX_IMAGE_PIXELS  # one cap for every decode

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_size(data: bytes, frame: str) -> tuple[int, int]:
    """(width, height) of an image from its header, refusing image bombs.

    ``frame`` names the panel in error messages, e.g. "frame 7 (shot 3B)".
    """
    if data[:8] == _PNG_SIGNATURE and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
    else:
        width, height = _size_from_pillow(data, frame)
    if width <= 0 or height <= 0:
        raise ExportError(f"The image of {frame} has no pixels ({width}×{height}).")
    if width * height > MAX_IMAGE_PIXELS:
        raise ExportError(
            f"The image of {frame} is {width}×{height} pixels "
            f"({width * height / 1e6:.0f} MP); export accepts images up to "
            f"{MAX_IMAGE_PIXELS / 1e6:.0f} MP."
        )
    return width, height


def _size_from_pillow(data: bytes, frame: str) -> tuple[int, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                return image.size
    except Image.DecompressionBombError:
        raise ExportError(f"The image of {frame} is too large to export safely.") from None
    except Exception as exc:
        raise ExportError(f"The image of {frame} is not a readable image ({exc}).") from None


def decode_qimage(data: bytes, frame: str) -> QImage:
    """Decode a panel image to a QImage after checking its size."""
    width, height = image_size(data, frame)
    image = QImage()
    if not image.loadFromData(data) or image.isNull():
        raise ExportError(f"The image of {frame} is damaged and cannot be decoded.")
    if (image.width(), image.height()) != (width, height):
        raise ExportError(f"The image of {frame} does not match its own header.")
    if image.hasAlphaChannel():
        # Print on white: transparent pixels become paper, not black.
        flat = QImage(image.size(), QImage.Format.Format_RGB32)
        flat.fill(0xFFFFFFFF)
        painter = QPainter(flat)
        painter.drawImage(0, 0, image)
        painter.end()
        return flat
    return image.convertToFormat(QImage.Format.Format_RGB32)


def decode_pil(data: bytes, frame: str) -> Image.Image:
    """Decode a panel image to an RGB Pillow image after checking its size."""
    image_size(data, frame)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except Exception as exc:
        raise ExportError(
            f"The image of {frame} is damaged and cannot be decoded ({exc})."
        ) from None
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image.convert("RGB")


def is_png(data: bytes) -> bool:
    return data[:8] == _PNG_SIGNATURE
