"""Image bytes and embeddings as the project file keeps them: PNG checks, thumbnails, float16.

PNG bytes are checked from their header only (cheap: no decode) before they are stored;
decoding happens only for thumbnails, and never for more pixels than ``MAX_IMAGE_PIXELS``.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image

from storyboard_app.project.errors import InvalidImageError, InvalidValueError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_PIXELS = 8192 * 8192  # refuse to decode more (a crafted PNG can claim any size)
MAX_PNG_BYTES = 256 * 1024 * 1024  # well below the file's 512 MiB limit per value
THUMBNAIL_SIDE = 256
EMBEDDING_DTYPE = "float16"
_FLOAT16 = np.dtype("<f2")
_FLOAT16_MAX = float(np.finfo(np.float16).max)


def png_size(png: bytes, what: str = "The image") -> tuple[int, int]:
    """(width, height) from a PNG header, without decoding; InvalidImageError if not a PNG."""
    if not isinstance(png, bytes | bytearray | memoryview) or bytes(png[:8]) != PNG_MAGIC:
        raise InvalidImageError(f"{what} is not a PNG (its first bytes are not the PNG signature).")
    if len(png) > MAX_PNG_BYTES:
        raise InvalidImageError(f"{what} is {len(png) / 2**20:.0f} MiB; the limit is 256 MiB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(png), formats=["PNG"]) as im:
                return im.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise InvalidImageError(f"{what} is a damaged PNG ({e}).") from None
    except Image.DecompressionBombWarning:
        raise InvalidImageError(f"{what} claims more pixels than any frame could have.") from None


def checked_png_size(png: bytes, what: str = "The image") -> tuple[int, int]:
    """(width, height) from the header of a PNG that may be decoded: InvalidImageError for
    bytes that are not a PNG and for more than ``MAX_IMAGE_PIXELS`` pixels. Every decode of
    stored or exported pixels (thumbnails, the app's board, export) checks with this first."""
    width, height = png_size(png, what)
    if width * height > MAX_IMAGE_PIXELS:
        raise InvalidImageError(
            f"{what} is {width}×{height} pixels; images above {MAX_IMAGE_PIXELS:,} pixels "
            "are refused."
        )
    return width, height


def make_thumbnail(png: bytes, max_side: int = THUMBNAIL_SIDE) -> bytes:
    """A PNG thumbnail whose longer side is at most ``max_side``, keeping the aspect ratio.

    Raises InvalidImageError for bytes that are not a PNG, a damaged PNG, or one claiming
    more than ``MAX_IMAGE_PIXELS`` pixels (checked from the header, before decoding).
    """
    if max_side < 1:
        raise ValueError(f"max_side must be positive, not {max_side}.")
    checked_png_size(png)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(png), formats=["PNG"]) as im:
                im.load()
                image = im if im.mode in ("RGB", "RGBA", "L", "LA") else im.convert("RGBA")
                image = image.copy()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise InvalidImageError(f"The image is a damaged PNG ({e}).") from None
    except Image.DecompressionBombWarning:
        raise InvalidImageError("The image claims more pixels than any frame could have.") from None
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def encode_embedding(embedding: np.ndarray) -> tuple[int, bytes]:
    """(dim, little-endian float16 bytes) of a 1-D finite embedding; InvalidValueError else."""
    if not isinstance(embedding, np.ndarray):
        raise InvalidValueError(f"An embedding must be a numpy array, not {type(embedding)}.")
    vector = embedding.reshape(-1) if embedding.ndim == 2 and embedding.shape[0] == 1 else embedding
    if vector.ndim != 1 or vector.size == 0:
        raise InvalidValueError(f"An embedding must be one vector; got shape {embedding.shape}.")
    if not np.issubdtype(vector.dtype, np.floating):
        raise InvalidValueError(f"An embedding must hold floats, not {vector.dtype}.")
    if not np.isfinite(vector).all() or float(np.abs(vector).max()) > _FLOAT16_MAX:
        raise InvalidValueError("An embedding holds NaN, infinite or out-of-range values.")
    return int(vector.size), vector.astype(_FLOAT16).tobytes()


def decode_embedding(dim: int, data: bytes) -> np.ndarray:
    """The float32 vector of a stored embedding."""
    return np.frombuffer(data, dtype=_FLOAT16, count=dim).astype(np.float32)
