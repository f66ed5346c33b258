"""Engine story files (``python -m engine render --story``) get the same bounds as a project:
JSON size and nesting, the number of frames, the length and type of every text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.__main__ import load_story
from engine.api import MAX_FRAMES, MAX_TEXT_LENGTH
from engine.errors import EngineError


def _story(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "story.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 200_000, "nested deeper than 64 levels"),
        (json.dumps({"frames": [{"prompt": "x"}]}), None),
        (json.dumps({"frames": [{"prompt": "@Ann"}], "cast": {"Ann": 5}}), "must be text"),
        (json.dumps({"frames": [{"prompt": 7}]}), "frame 1's prompt must be text, not int"),
        (json.dumps({"frames": [{"character": ["a"]}]}), "frame 1's character must be text"),
        (
            json.dumps({"frames": [{"prompt": "x" * (MAX_TEXT_LENGTH + 1)}]}),
            f"the limit is {MAX_TEXT_LENGTH:,}",
        ),
        (
            json.dumps({"frames": [{"prompt": "x"}] * (MAX_FRAMES + 1)}),
            f"a story holds at most {MAX_FRAMES:,}",
        ),
        (json.dumps([{"prompt": "x"}]), "not an object but a list"),
        ("\udcff", "not valid JSON"),
    ],
    ids=["deep", "ok", "cast-int", "prompt-int", "field-list", "long", "frames", "list", "bytes"],
)
def test_story_bounds(tmp_path: Path, text: str, message: str | None) -> None:
    path = tmp_path / "story.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    if message is None:
        frames, posed = load_story(path)
        assert len(frames) == 1 and not posed
        return
    with pytest.raises(EngineError, match=message) as caught:
        load_story(path)
    assert str(path) in str(caught.value)


def test_deep_json_just_under_the_interpreter_limit_is_refused(tmp_path: Path) -> None:
    deep: object = "x"
    for _ in range(900):
        deep = [deep]
    path = _story(tmp_path, json.dumps({"frames": [{"prompt": "x", "pose": None, "k": deep}]}))
    with pytest.raises(EngineError, match="nested deeper than 64 levels"):
        load_story(path)
