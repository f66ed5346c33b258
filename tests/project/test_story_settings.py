"""The one check of story settings that `storyboard settings` and the Story Settings dialog
share, and the aspect presets; the command itself is run as a writer would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storyboard_app.project.model import StorySettings
from storyboard_app.project.store import ProjectStore
from storyboard_app.project.story_settings import (
    ASPECT_PRESETS,
    InvalidSettingsError,
    Orientation,
    checked_settings,
    orientation_of,
    parse_size,
    preset_of,
)

BASE = StorySettings(seed=5)


def test_changes_typed_as_text_or_numbers() -> None:
    changed = checked_settings(
        BASE,
        {"width": "1368", "height": 768, "steps": " 30 ", "guidance": "7.5", "rounds": 4,
         "style": "FILM", "seed": "123456789012"},
    )  # fmt: skip
    assert (changed.width, changed.height, changed.steps, changed.guidance) == (1368, 768, 30, 7.5)
    assert (changed.rounds, changed.style, changed.seed) == (4, "film", 123456789012)
    assert checked_settings(BASE, {}) == BASE


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        ({"width": 1001}, "width", r"multiple of 8 .*1001 is not: use 1000 or 1008"),
        ({"height": 32}, "height", r"Height must be from 64 to 8192 pixels; got 32"),
        ({"width": "wide"}, "width", r"Width must be a whole number, not 'wide'"),
        ({"steps": 0}, "steps", r"Steps must be from 1 to 1000; got 0"),
        ({"steps": 2.5}, "steps", r"Steps must be a whole number"),
        ({"guidance": "nan"}, "guidance", r"Guidance must be from 0 to 100"),
        ({"guidance": "high"}, "guidance", r"Guidance must be a number, not 'high'"),
        ({"rounds": -1}, "rounds", r"Rounds must be from 0 to 1000; got -1"),
        ({"style": "noir"}, "style", r"Unknown style 'noir'; known styles: comic, film"),
        ({"seed": -4}, "seed", r"Seed must be from 0 to 9223372036854775807; got -4"),
        ({"seed": "12ab"}, "seed", r"Seed must be a whole number, not '12ab'"),
        ({"colour": 1}, "colour", r"There is no story setting 'colour'"),
    ],
)
def test_each_bad_value_is_named(changes: dict, setting: str, message: str) -> None:
    with pytest.raises(InvalidSettingsError, match=message) as caught:
        checked_settings(BASE, changes)
    assert list(caught.value.problems) == [setting]


def test_every_problem_at_once() -> None:
    with pytest.raises(InvalidSettingsError) as caught:
        checked_settings(BASE, {"width": 7, "steps": 0, "style": "noir", "rounds": 3})
    assert set(caught.value.problems) == {"width", "steps", "style"}


def test_sizes() -> None:
    assert parse_size("1024x576") == (1024, 576)
    assert parse_size(" 512 × 768 ") == (512, 768)
    for bad in ("16:9", "1024", "x", "-8x8"):
        with pytest.raises(InvalidSettingsError, match="looks like 1024x576"):
            parse_size(bad)


def test_aspect_presets_keep_the_area_in_8_pixel_steps() -> None:
    sizes = {p.label: p.size(p.orientation, 1024 * 1024) for p in ASPECT_PRESETS}
    assert sizes == {
        "16:9": (1368, 768),
        "2.39:1": (1584, 664),
        "1.85:1": (1392, 752),
        "4:3": (1184, 888),
        "1:1": (1024, 1024),
        "2:3": (840, 1256),
    }
    for label, (w, h) in sizes.items():
        assert w % 8 == 0 and h % 8 == 0
        assert preset_of(w, h) is not None and preset_of(w, h).label == label
        assert abs(w * h / 1024**2 - 1) < 0.02
    wide = ASPECT_PRESETS[0]
    assert wide.size(Orientation.PORTRAIT, 1024 * 1024) == (768, 1368)
    assert preset_of(768, 1368) is wide and orientation_of(768, 1368) is Orientation.PORTRAIT
    assert preset_of(1000, 640) is None  # custom
    assert wide.size(Orientation.LANDSCAPE, 64 * 64) == (88, 64)  # never below the minimum


def test_the_command_refuses_bad_settings_and_keeps_the_story(tmp_path: Path) -> None:
    path = tmp_path / "s.storyiter"
    ProjectStore.create(path, settings=StorySettings(seed=9)).close()
    command = [sys.executable, "-m", "storyboard_app.cli", "settings", str(path)]
    bad = subprocess.run(
        [*command, "--size", "1001x576", "--steps", "0", "--style", "noir"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    for part in ("1001 is not: use 1000 or 1008", "Steps must be from 1", "Unknown style 'noir'"):
        assert part in bad.stderr
    good = subprocess.run(
        [*command, "--size", "1584x664", "--style", "Film", "--seed", "77"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "width        1584" in good.stdout
    with ProjectStore.open_reader(path) as store:
        settings = store.settings()
    assert (settings.width, settings.height, settings.style, settings.seed) == (
        1584,
        664,
        "film",
        77,
    )
