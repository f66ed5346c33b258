"""The story text format: cards, free prompts, cast lines, comments, and errors by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard_app.project.errors import StoryTextError
from storyboard_app.project.store import ProjectStore
from storyboard_app.project.textimport import parse_story_text, strip_comment

STORY = """\
# The Lighthouse — a test story
@Mira: a young inventor with brass goggles and a red scarf
@Otto: a small brass robot   # her assistant

@Mira | repairs @otto | in a cluttered workshop | "Almost there."
@Mira|walks||
A lighthouse on a cliff at dusk, storm clouds   # establishing shot
  Shot \\#3 | | on the pier
"""


def test_the_grammar() -> None:
    parsed = parse_story_text(STORY)
    assert parsed.cast == [
        ("Mira", "a young inventor with brass goggles and a red scarf"),
        ("Otto", "a small brass robot"),
    ]
    assert parsed.frames == [
        {
            "character": "@Mira",
            "interaction": "repairs @otto",
            "scene": "in a cluttered workshop",
            "caption": '"Almost there."',
        },
        {"character": "@Mira", "interaction": "walks", "scene": "", "caption": ""},
        {"character": "A lighthouse on a cliff at dusk, storm clouds"},
        {"character": "Shot #3", "interaction": "", "scene": "on the pier"},
    ]
    assert parsed.frame_lines == [5, 6, 7, 8]


def test_comments() -> None:
    assert strip_comment("a # b # c") == "a "
    assert strip_comment("# all") == ""
    assert strip_comment("take \\#2 # note") == "take #2 "
    assert parse_story_text("# only comments\n   # here\n\n").frames == []


def test_cast_may_be_defined_after_use_or_already_known() -> None:
    parsed = parse_story_text("@Ann | runs\n@Ann: a runner\n")
    assert parsed.cast == [("Ann", "a runner")]
    parsed = parse_story_text("@Bob | sits", known_cast=["bob"])
    assert parsed.cast == [] and parsed.frames == [{"character": "@Bob", "interaction": "sits"}]
    # an e-mail address is not a mention
    assert parse_story_text("write to ann@example.com").frames


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("ok\na | b | c | d | e\n", 2, "5 fields"),
        ("\n\n | | \n", 3, "only empty fields"),
        ("@Ann:\n", 1, "no description"),
        ("@Ann: x\n@ann: y\n", 2, "already defined on line 1"),
        ("@Ann: a | b\n", 1, "like a card"),
        ("fine\n@Zed | waves\n", 2, "@Zed is not in the cast"),
    ],
)
def test_errors_name_their_line(text: str, line: int, message: str) -> None:
    with pytest.raises(StoryTextError, match=message) as info:
        parse_story_text(text)
    assert info.value.problems[0][0] == line
    assert f"line {line}:" in str(info.value)


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(StoryTextError) as info:
        parse_story_text("a|b|c|d|e\n@X:\nok\n@Nobody waves\n")
    assert [line for line, _ in info.value.problems] == [1, 2, 4]


def test_import_into_a_project(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        store.add_cast_member("Otto", "an existing description")
        frames = store.import_story_text(STORY)
        assert [f.position for f in frames] == [0, 1, 2, 3]
        assert [(m.name, m.description) for m in store.cast()] == [
            ("Otto", "an existing description"),
            ("Mira", "a young inventor with brass goggles and a red scarf"),
        ]
        prompts = [card.compiled_prompt for card in store.board()]
        assert prompts[0] == (
            "a young inventor with brass goggles and a red scarf, repairs an existing "
            "description, in a cluttered workshop"
        )
        assert prompts[2] == "A lighthouse on a cliff at dusk, storm clouds"  # the line itself
        assert frames[0].caption == '"Almost there."'
        # a bad text adds nothing
        with pytest.raises(StoryTextError):
            store.import_story_text("good line\n@Ghost | boo\n")
        assert len(store.frames()) == 4


def _sqlite_work_of_importing(tmp_path: Path, members: int) -> int:
    """SQLite virtual-machine steps (in thousands) spent importing ``members`` cast members
    and a card per ten of them: a count of work done, the same on every machine."""
    text = "\n".join(f"@Member{k}: character {k}" for k in range(members))
    text += "\n" + "\n".join(f"@Member{k} waves | hello" for k in range(0, members, 10))
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0  # 0: carry on

    with ProjectStore.create(tmp_path / f"cast-{members}.storyiter") as store:
        store._connection().set_progress_handler(count, 1000)
        store.import_story_text(text)
        store._connection().set_progress_handler(None, 0)
        assert len(store.cast()) == members
    return steps[0]


def test_importing_a_cast_is_linear_in_its_size(tmp_path: Path) -> None:
    """Twice the cast is about twice the work (it was four times: every member added scanned
    the whole cast to check its name and count the palette)."""
    small = _sqlite_work_of_importing(tmp_path, 1000)
    large = _sqlite_work_of_importing(tmp_path, 2000)
    assert large < 2.6 * small, (small, large)
