"""Synthetic boards: solid, distinct panel colours so pages can be checked by sampling."""

from __future__ import annotations

import colorsys
import functools
import io

from PIL import Image, ImageDraw

from storyboard_app.export import ExportBoard, ExportPanel


def panel_colour(i: int) -> tuple[int, int, int]:
    """A saturated colour per panel; neighbours differ strongly in hue."""
    hue = (i * 0.381966) % 1.0  # golden-ratio steps spread hues evenly
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.9)
    return round(r * 255), round(g * 255), round(b * 255)


@functools.cache
def solid_png(colour: tuple[int, int, int], size: tuple[int, int] = (512, 512)) -> bytes:
    image = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def caption_for(i: int) -> str:
    return f"Caption {i + 1:03d}: Mara crosses the square at dawn."


def make_board(
    count: int,
    *,
    size: tuple[int, int] = (512, 512),
    sizes: list[tuple[int, int]] | None = None,
    title: str = "Test Board",
    **overrides,
) -> ExportBoard:
    panels = []
    for i in range(count):
        fields = {
            "index": i + 1,
            "image_png": solid_png(panel_colour(i), sizes[i] if sizes else size),
            "caption": caption_for(i),
            "action": f"Action {i + 1:03d}: she stops by the fountain.",
            "notes": f"Note {i + 1:03d}",
            "duration": 1.0 + (i % 4) * 0.5,
        }
        fields.update(overrides)
        panels.append(ExportPanel(**fields))
    return ExportBoard(title, tuple(panels), "2026-02-03")


def gradient_png(i: int, size: tuple[int, int] = (768, 768)) -> bytes:
    """A colourful scene-like image: sky gradient, hills, a sun, a figure."""
    width, height = size
    top = panel_colour(i)
    bottom = panel_colour(i + 3)
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        draw.line((0, y, width, y), fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    sun = (width * (0.2 + 0.6 * ((i * 0.37) % 1)), height * 0.3)
    draw.ellipse((sun[0] - 60, sun[1] - 60, sun[0] + 60, sun[1] + 60), fill=(255, 236, 170))
    hill = tuple(max(0, c - 90) for c in panel_colour(i + 5))
    draw.polygon(
        [
            (0, height),
            (0, height * 0.7),
            (width * 0.35, height * 0.55),
            (width * 0.7, height * 0.72),
            (width, height * 0.6),
            (width, height),
        ],
        fill=hill,
    )
    x = width * (0.3 + 0.4 * ((i * 0.61) % 1))
    base = height * 0.82
    draw.ellipse((x - 22, base - 210, x + 22, base - 166), fill=(30, 30, 40))
    draw.rectangle((x - 26, base - 160, x + 26, base - 60), fill=(30, 30, 40))
    draw.line((x - 14, base - 60, x - 24, base), fill=(30, 30, 40), width=14)
    draw.line((x + 14, base - 60, x + 24, base), fill=(30, 30, 40), width=14)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
