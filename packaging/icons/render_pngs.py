"""Render the app icon's hicolor PNG sizes from its SVG (``make icons``; the PNGs are kept in
the repository so installing needs no SVG renderer)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

APP_ID = "org.storyiter.Studio"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
HERE = Path(__file__).resolve().parent


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841  (QPainter needs the application)
    renderer = QSvgRenderer(str(HERE / f"{APP_ID}.svg"))
    if not renderer.isValid():
        print(f"error: {APP_ID}.svg is not a valid SVG", file=sys.stderr)
        return 2
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = HERE / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            print(f"error: cannot write {target}", file=sys.stderr)
            return 2
    print(f"Wrote {len(SIZES)} PNG sizes under {HERE / 'hicolor'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
