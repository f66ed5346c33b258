"""Changing a story's settings: one check shared by ``storyboard settings`` and the app's
Story Settings dialog, and the image-size presets (aspect ratios) both offer.

``checked_settings`` takes what a writer typed (numbers or text) and returns the new
``StorySettings``, or raises ``InvalidSettingsError`` naming every problem at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from engine.errors import StyleError
from engine.prompts import get_style, load_styles
from storyboard_app.project.errors import InvalidValueError
from storyboard_app.project.model import (
    GUIDANCE_RANGE,
    IMAGE_SIDE_RANGE,
    ROUNDS_RANGE,
    SEED_LIMIT,
    SIZE_MULTIPLE,
    STEPS_RANGE,
    StorySettings,
)

_SIZE = re.compile(r"\s*(\d+)\s*[x×X]\s*(\d+)\s*")
_LABELS = {
    "width": "Width",
    "height": "Height",
    "steps": "Steps",
    "guidance": "Guidance",
    "rounds": "Rounds",
    "style": "Style",
    "seed": "Seed",
    "seed_policy": "Seed policy",
    "batch_size": "Batch",
    "fast": "Fast mode",
    "controlnet": "Poses (ControlNet)",
}


class InvalidSettingsError(InvalidValueError):
    """Settings a writer asked for that cannot be used; ``problems`` maps each setting to
    what is wrong with it. Nothing was changed."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__(" ".join(self.problems.values()))


class Orientation(StrEnum):
    """Which way round a non-square image is."""

    LANDSCAPE = "landscape"
    PORTRAIT = "portrait"


@dataclass(frozen=True)
class AspectPreset:
    """A named aspect ratio (``ratio`` = long side / short side) and its usual orientation."""

    label: str
    ratio: float
    orientation: Orientation = Orientation.LANDSCAPE

    def size(self, orientation: Orientation, pixels: int) -> tuple[int, int]:
        """Width and height with this ratio turned to ``orientation``, as close to
        ``pixels`` in area as multiples of 8 within the size bounds allow."""
        long_side = _fit(math.sqrt(pixels * self.ratio))
        short_side = _fit(math.sqrt(pixels / self.ratio))
        if orientation is Orientation.PORTRAIT:
            return short_side, long_side
        return long_side, short_side

    def matches(self, width: int, height: int) -> bool:
        """Whether ``width``×``height`` has this ratio (either way round, within 1 %)."""
        long_side, short_side = max(width, height), min(width, height)
        return short_side > 0 and abs(long_side / short_side / self.ratio - 1) < 0.01


# Film and comic formats, wide ones first; 2:3 is the comic page's usual portrait panel.
ASPECT_PRESETS = (
    AspectPreset("16:9", 16 / 9),
    AspectPreset("2.39:1", 2.39),
    AspectPreset("1.85:1", 1.85),
    AspectPreset("4:3", 4 / 3),
    AspectPreset("1:1", 1.0),
    AspectPreset("2:3", 3 / 2, Orientation.PORTRAIT),
)


def preset_of(width: int, height: int) -> AspectPreset | None:
    """The preset a size has, or None for a custom size."""
    return next((p for p in ASPECT_PRESETS if p.matches(width, height)), None)


def orientation_of(width: int, height: int) -> Orientation:
    """Portrait when the image is taller than wide, else landscape."""
    return Orientation.PORTRAIT if height > width else Orientation.LANDSCAPE


def style_names() -> list[str]:
    """The names of the styles a story may use, in the style file's order."""
    return list(load_styles())


def parse_size(text: str) -> tuple[int, int]:
    """``"1024x576"`` -> (1024, 576); InvalidSettingsError for anything else."""
    match = _SIZE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidSettingsError(
            {"width": f"An image size looks like 1024x576 (width x height), not {text!r}."}
        )
    return int(match[1]), int(match[2])


def checked_settings(current: StorySettings, changes: Mapping[str, Any]) -> StorySettings:
    """``current`` with ``changes`` (setting name -> value; numbers, or text as typed)
    applied, after checking each: sizes in 8-pixel steps within bounds, steps, guidance,
    rounds, a known style (stored by its canonical name), a seed in range.

    Raises InvalidSettingsError listing every problem; an unknown setting is a problem too.
    """
    known = {f.name for f in fields(StorySettings)}
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in known:
            problems[name] = f"There is no story setting {name!r}."
            continue
        try:
            values[name] = _check(name, value)
        except InvalidValueError as exc:
            problems[name] = str(exc)
    if problems:
        raise InvalidSettingsError(problems)
    try:
        return replace(current, **values)
    except InvalidValueError as exc:  # the remaining settings' own checks
        raise InvalidSettingsError({"settings": str(exc)}) from None


def _check(name: str, value: Any) -> Any:
    label = _LABELS[name]
    if name in ("width", "height"):
        side = _whole(label, value, *IMAGE_SIDE_RANGE, unit=" pixels")
        if side % SIZE_MULTIPLE:
            below = side - side % SIZE_MULTIPLE
            raise InvalidValueError(
                f"{label} must be a multiple of {SIZE_MULTIPLE} (the model draws in "
                f"{SIZE_MULTIPLE}-pixel blocks); {side} is not: use {below} or "
                f"{below + SIZE_MULTIPLE}."
            )
        return side
    if name == "steps":
        return _whole(label, value, *STEPS_RANGE)
    if name == "rounds":
        return _whole(label, value, *ROUNDS_RANGE)
    if name == "seed":
        return _whole(label, value, 0, SEED_LIMIT - 1)
    if name == "guidance":
        return _number(label, value, *GUIDANCE_RANGE)
    if name == "style":
        try:
            style_name = str(value).strip()
            get_style(style_name)
        except StyleError as exc:
            raise InvalidValueError(str(exc)) from None
        return next(n for n in style_names() if n.casefold() == style_name.casefold())
    return value  # the other settings are checked by StorySettings itself


def _whole(label: str, value: Any, low: int, high: int, unit: str = "") -> int:
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and re.fullmatch(r"[+-]?\d+", text):
        text = int(text)
    if isinstance(text, bool) or not isinstance(text, int):
        raise InvalidValueError(f"{label} must be a whole number, not {value!r}.")
    if not low <= text <= high:
        raise InvalidValueError(f"{label} must be from {low} to {high}{unit}; got {text}.")
    return text


def _number(label: str, value: Any, low: float, high: float) -> float:
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise InvalidValueError(f"{label} must be a number, not {value!r}.") from None
    if isinstance(value, bool) or not math.isfinite(number) or not low <= number <= high:
        raise InvalidValueError(f"{label} must be from {low:g} to {high:g}; got {value!r}.")
    return number


def _fit(side: float) -> int:
    low, high = IMAGE_SIDE_RANGE
    return min(high, max(low, SIZE_MULTIPLE * round(side / SIZE_MULTIPLE)))
