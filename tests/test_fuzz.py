"""Property-based fuzzing of every reader of outside data, with a fixed, derandomized budget:
the story text parser, the OpenPose parser, the engine story loader and the project opener
(on mutated project files). Each must answer with its own error type, whose message is for
the writer, or a valid result; never another exception (a traceback)."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.__main__ import load_story
from engine.errors import EngineError, PoseError
from engine.pose import parse_openpose
from storyboard_app.project.errors import ProjectError, StoryTextError
from storyboard_app.project.model import MAX_TEXT_LENGTH
from storyboard_app.project.textimport import parse_story_text

BUDGET = settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FIXTURE = Path(__file__).parent / "fixtures" / "format-2.storyiter"

# No subnormal floats: a CPU render earlier in this process flushes them to zero
# (engine.models sets torch.set_flush_denormal on CPU), and hypothesis refuses to draw them then.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_subnormal=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=40,
)
story_text = st.text(alphabet=st.sampled_from("ab @|#:\n\t\x00Ü\r|@:"), max_size=300)
VALID_POSE = {
    "canvas_width": 512,
    "canvas_height": 512,
    "people": [{"pose_keypoints_2d": [100.0, 200.0, 1.0] * 18, "label": "Ann"}],
}


@BUDGET
@given(story_text)
def test_story_text_parser(text: str) -> None:
    try:
        parsed = parse_story_text(text)
    except StoryTextError as exc:
        assert exc.problems and all(isinstance(line, int) for line, _ in exc.problems)
        return
    for card in parsed.frames:
        assert all(isinstance(v, str) and len(v) <= MAX_TEXT_LENGTH for v in card.values()
                   if isinstance(v, str))  # fmt: skip


@settings(BUDGET, max_examples=30)
@given(st.one_of(json_values, st.builds(lambda p: {**VALID_POSE, "people": p}, json_values)))
def test_openpose_parser_on_any_json(document: object) -> None:
    for source in (document, json.dumps(document)):
        with contextlib.suppress(PoseError):
            parse_openpose(source)  # type: ignore[arg-type]


@BUDGET
@given(st.binary(max_size=40), st.integers(0, 400))
def test_openpose_parser_on_mutated_text(junk: bytes, at: int) -> None:
    text = json.dumps(VALID_POSE).encode()
    at = min(at, len(text))
    with contextlib.suppress(PoseError):
        parse_openpose(text[:at] + junk + text[at + len(junk) :])


@BUDGET
@given(story=json_values)
def test_engine_story_loader(story: object, tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzzed-story.json"
    wrapped = {"frames": story} if not isinstance(story, dict) else story
    path.write_text(json.dumps(wrapped), encoding="utf-8")
    try:
        frames, _ = load_story(path)
    except EngineError:
        return
    assert frames and all(isinstance(f.prompt, str) for f in frames)


mutations = st.lists(
    st.tuples(st.integers(0, FIXTURE.stat().st_size - 1), st.integers(1, 255)),
    min_size=1,
    max_size=8,
)


@settings(BUDGET, max_examples=15)
@given(flips=mutations, truncate=st.booleans())
def test_project_opener_on_mutated_files(
    flips: list[tuple[int, int]], truncate: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Bytes of a real project file xor-ed (and maybe the file cut short): every open and
    read ends in a ProjectError or works; the original is never touched."""
    from storyboard_app.project.store import ProjectStore
    from storyboard_app.project.verification import verify_project

    path = tmp_path_factory.mktemp("mutated") / "m.storyiter"
    shutil.copy(FIXTURE, path)
    data = bytearray(path.read_bytes())
    for offset, mask in flips:
        data[offset] ^= mask
    if truncate:
        data = data[: flips[0][0]]
    path.write_bytes(bytes(data))
    with contextlib.suppress(ProjectError), ProjectStore.open_reader(path) as store:
        store.to_json()
        for card in store.board():
            if card.current_image_id is not None:
                store.image_png(card.current_image_id)
    with contextlib.suppress(ProjectError):
        verify_project(path)
    with contextlib.suppress(ProjectError), ProjectStore.open(path) as store:
        store.add_frame(character="after the damage")
