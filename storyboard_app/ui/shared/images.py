"""Pixels for the screen: PNG bytes and latent previews as QImage/QPixmap, decoded once."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from storyboard_app.project.errors import InvalidImageError
from storyboard_app.project.imaging import checked_png_size


def image_from_png(data: bytes | None) -> QImage:
    """A QImage of PNG bytes: a null image for None, undecodable bytes, or a PNG claiming
    more pixels than export accepts (checked from the header before decoding)."""
    image = QImage()
    if not data:
        return image
    try:
        checked_png_size(data)
    except InvalidImageError:
        return image
    image.loadFromData(data, "PNG")
    return image


def damaged_placeholder(size: QSize, text: str = "Image damaged") -> QPixmap:
    """What the app shows instead of an image whose bytes fail their checksum."""
    pixmap = QPixmap(size)
    pixmap.fill(QColor("#fde8e7"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#b42318"))
    painter.drawRect(0, 0, size.width() - 1, size.height() - 1)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
    painter.end()
    return pixmap


def image_from_array(pixels: np.ndarray) -> QImage:
    """A QImage copy of an (h, w, 3) uint8 array."""
    rgb = np.ascontiguousarray(pixels[..., :3], dtype=np.uint8)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def previews_by_frame(frame_ids: tuple[str, ...], preview: np.ndarray | None) -> dict[int, QImage]:
    """The engine's latent preview of a batch, per frame id ((B, h, w, 3) or one (h, w, 3))."""
    if preview is None or not frame_ids:
        return {}
    batch = preview if preview.ndim == 4 else preview[None]
    out = {}
    for k, frame_id in enumerate(frame_ids[: len(batch)]):
        try:
            out[int(frame_id)] = image_from_array(batch[k])
        except ValueError:
            continue
    return out


def fitted(image: QImage, size: QSize, *, smooth: bool = True) -> QPixmap:
    """``image`` scaled to fit ``size`` keeping its aspect."""
    if image.isNull():
        return QPixmap()
    mode = (
        Qt.TransformationMode.SmoothTransformation
        if smooth
        else Qt.TransformationMode.FastTransformation
    )
    return QPixmap.fromImage(image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode))


class ThumbnailCache:
    """Decoded thumbnails by image id (image ids never change their pixels)."""

    def __init__(self, capacity: int = 2000) -> None:
        self._images: OrderedDict[int, QImage] = OrderedDict()
        self._capacity = capacity

    def get(self, image_id: int | None, png: bytes | None) -> QImage | None:
        if image_id is None:
            return None
        hit = self._images.get(image_id)
        if hit is not None:
            self._images.move_to_end(image_id)
            return hit
        if png is None:
            return None
        image = image_from_png(png)
        if image.isNull():
            return None
        self._images[image_id] = image
        while len(self._images) > self._capacity:
            self._images.popitem(last=False)
        return image

    def clear(self) -> None:
        self._images.clear()
