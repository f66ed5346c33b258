"""The story model's values: settings validation and (de)serialisation, frame field checks."""

from __future__ import annotations

import json

import pytest

from storyboard_app.project.errors import InvalidValueError
from storyboard_app.project.model import Frame, StorySettings, check_frame_fields


def test_settings_defaults_are_the_reference_method() -> None:
    s = StorySettings(seed=1)
    assert (s.rounds, s.steps, s.guidance, s.width, s.height) == (10, 50, 5.0, 1024, 1024)
    assert (s.style, s.fast, s.controlnet, s.seed_policy, s.batch_size) == (
        "comic", False, False, "shared", 4,
    )  # fmt: skip


def test_settings_round_trip_through_json() -> None:
    s = StorySettings(rounds=3, guidance=7, seed=12345, seed_policy="per_frame")
    assert s.guidance == 7.0 and isinstance(s.guidance, float)
    assert StorySettings.from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_settings_from_dict_ignores_unknown_keys_and_refuses_wrong_types() -> None:
    assert StorySettings.from_dict({"seed": 5, "future_option": True}).seed == 5
    for bad in (
        {"rounds": "10"},
        {"rounds": True},
        {"guidance": "5"},
        {"guidance": float("nan")},
        {"width": 1020},  # not a multiple of 8
        {"width": 32},
        {"fast": 1},
        {"seed": -1},
        {"seed": 2**63},
        {"seed_policy": "random"},
        {"style": ""},
        {"batch_size": -1},
    ):
        with pytest.raises(InvalidValueError):
            StorySettings.from_dict({"seed": 1, **bad})
    with pytest.raises(InvalidValueError):
        StorySettings.from_dict([("seed", 1)])  # type: ignore[arg-type]


def test_seed_for_frame() -> None:
    frame = Frame(id=7, position=0)
    assert StorySettings(seed=100).seed_for(frame) == 100
    assert StorySettings(seed=100, seed_policy="per_frame").seed_for(frame) == 107
    assert StorySettings(seed=100).seed_for(Frame(id=7, position=0, seed_override=3)) == 3


def test_frame_field_checks() -> None:
    assert check_frame_fields({"duration": 3, "locked": True, "pose_json": None}) == {
        "duration": 3.0,
        "locked": True,
        "pose_json": None,
    }
    with pytest.raises(InvalidValueError, match="no editable field 'id'"):
        check_frame_fields({"id": 3})
    with pytest.raises(InvalidValueError, match="characters long"):
        check_frame_fields({"notes": "x" * 100_000})
    assert Frame(id=1, position=0, pose_json="{}").posed
