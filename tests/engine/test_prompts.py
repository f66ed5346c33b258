"""Styles, card compilation, cast mentions and the CLIP token budget (no models needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import RequestError, StyleError
from engine.prompts import (
    STYLES_FILE,
    Style,
    apply_style,
    compile_card,
    get_style,
    load_styles,
    mentions,
    preview_prompt,
    resolve_mentions,
    story_job_prompt,
    unknown_mentions,
)
from engine.tokenizer import CLIP_TOKEN_BUDGET, clip_tokenizer, count_tokens

NEGATIVE = "monochrome, lowres, bad anatomy, worst quality, low quality"
CAST = {"Ava": "a tall woman with red hair", "Old Tom": "an old fisherman in a yellow coat"}


# --------------------------------------------------------------------------- styles


def test_reference_wrappers_are_verbatim() -> None:
    styles = load_styles()
    card = "One man wearing a yellow robe, dancing, in the palace hall"
    assert apply_style(card, styles["comic"]) == (
        "best quality, high quality, comic " + card + " . graphic illustration, comic art, "
        "graphic novel art, vibrant, highly detailed"
    )
    assert apply_style(card, styles["film"]) == (
        "best quality, high quality, cinematic film still, " + card + " . shallow depth of field, "
        "vignette, highly detailed, high budget, bokeh, cinemascope, moody, epic, gorgeous, "
        "film grain, grainy"
    )
    assert apply_style(card, styles["realistic"]) == "best quality, high quality, " + card
    for name in ("comic", "film", "realistic"):
        assert styles[name].negative_prompt == NEGATIVE
        assert styles[name].name == name


def test_shipped_styles_keep_reference_first_and_label_additions() -> None:
    styles = load_styles()
    assert list(styles)[:3] == ["comic", "film", "realistic"]
    assert len(styles) >= 4
    for name in list(styles)[3:]:
        assert "addition" in styles[name].label.lower()


def test_style_negative_prompt_override(tmp_path: Path) -> None:
    own = {"label": "O", "prefix": "", "suffix": "", "negative_prompt": "blurry"}
    path = _write_styles(
        tmp_path, {"plain": {"label": "P", "prefix": "", "suffix": ""}, "own": own}
    )
    styles = load_styles(path)
    assert styles["plain"].negative_prompt == NEGATIVE
    assert styles["own"].negative_prompt == "blurry"


def test_get_style_unknown_names_the_known_ones() -> None:
    with pytest.raises(StyleError) as err:
        get_style("noir")
    assert str(err.value).startswith("Unknown style 'noir'; known styles: comic, film, realistic")


def test_get_style_is_case_insensitive_as_a_fallback() -> None:
    assert get_style("Comic").name == "comic"
    custom = {"x": Style("x", "X", "a ", " b", "n")}
    assert get_style("x", custom) is custom["x"]


def _write_styles(folder: Path, styles: object, **top: object) -> Path:
    doc = {"version": 1, "negative_prompt": NEGATIVE, "styles": styles, **top}
    path = folder / "styles.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("styles", "top", "problem"),
    [
        ({"a": {"label": "A", "prefix": "p"}}, {}, "missing 'suffix'"),
        ({"a": {"label": "A", "prefix": 3, "suffix": ""}}, {}, "'prefix' must be text"),
        ({"a": {"label": "A", "prefix": "", "suffix": "", "sufix": ""}}, {}, "unknown key 'sufix'"),
        ({"a": ["label"]}, {}, "style 'a' must be an object"),
        ({}, {}, "at least one style"),
        ({"a": {"label": "A", "prefix": "", "suffix": ""}}, {"version": 2}, "version"),
        ({"a": {"label": "A", "prefix": "", "suffix": ""}}, {"negative_prompt": None}, "text"),
    ],
)
def test_damaged_style_file_names_file_and_problem(
    tmp_path: Path, styles: object, top: dict, problem: str
) -> None:
    path = _write_styles(tmp_path, styles, **top)
    with pytest.raises(StyleError) as err:
        load_styles(path)
    assert str(path.resolve()) in str(err.value)
    assert problem in str(err.value)


def test_style_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "styles.json"
    path.write_text('{"version": 1, "styles": {', encoding="utf-8")
    with pytest.raises(StyleError, match=r"styles\.json is not valid JSON: .* line 1"):
        load_styles(path)
    with pytest.raises(StyleError, match="cannot be read"):
        load_styles(tmp_path / "missing.json")


def test_style_file_is_reread_after_an_edit(tmp_path: Path) -> None:
    path = _write_styles(tmp_path, {"a": {"label": "A", "prefix": "1 ", "suffix": ""}})
    assert load_styles(path)["a"].prefix == "1 "
    path.write_text(path.read_text().replace('"1 "', '"two "'), encoding="utf-8")
    assert load_styles(path)["a"].prefix == "two "


def test_default_style_file_is_the_shipped_one() -> None:
    assert STYLES_FILE.is_file()
    assert load_styles() is load_styles(STYLES_FILE)


# --------------------------------------------------------------------------- cards and cast


def test_card_template_joins_with_comma_space() -> None:
    assert (
        compile_card("One man wearing a yellow robe", "dancing", "in the palace hall")
        == "One man wearing a yellow robe, dancing, in the palace hall"
    )
    assert compile_card("  a cat, ", "", " on a roof ") == "a cat, on a roof"
    assert compile_card("", "", "") == ""


def test_mentions_are_replaced_by_cast_descriptions() -> None:
    prompt = compile_card("@ava and @Old Tom", "talking", "at the harbour", CAST)
    assert prompt == (
        "a tall woman with red hair and an old fisherman in a yellow coat, talking, at the harbour"
    )


def test_unknown_mentions_stay_and_are_reported() -> None:
    text = "@Ava meets @Bruno and @Avalon; mail me@example.com"
    assert resolve_mentions(text, CAST) == (
        "a tall woman with red hair meets @Bruno and @Avalon; mail me@example.com"
    )
    assert unknown_mentions(text, CAST) == ("Bruno", "Avalon")
    assert mentions(text) == ("Ava", "Bruno", "Avalon")
    assert mentions("@Ava, @Ava") == ("Ava",)
    assert unknown_mentions("@Ava", None) == ("Ava",)


def test_descriptions_are_not_expanded_again() -> None:
    assert resolve_mentions("@A", {"A": "friend of @B", "B": "x"}) == "friend of @B"


def test_story_job_prompt_forms() -> None:
    assert story_job_prompt({"prompt": "  a red door "}) == "a red door"
    assert story_job_prompt({"prompt": "@Ava smiles"}, CAST) == "a tall woman with red hair smiles"
    assert (
        story_job_prompt({"character": "@Ava", "interaction": "running", "scene": "in rain"}, CAST)
        == "a tall woman with red hair, running, in rain"
    )
    assert story_job_prompt({"scene": "an empty street"}) == "an empty street"


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"pose": {}}, "neither 'prompt' nor"),
        ({"prompt": "a", "scene": "b"}, "both 'prompt' and 'scene'"),
        ({"prompt": 3}, "'prompt' must be text"),
        ({"character": "  ", "scene": ""}, "no text"),
        (["prompt"], "must be an object"),
    ],
)
def test_story_job_prompt_refuses_bad_entries(entry: object, problem: str) -> None:
    with pytest.raises(RequestError, match=problem) as err:
        story_job_prompt(entry, index=4)  # type: ignore[arg-type]
    assert "Frame 4" in str(err.value)


# --------------------------------------------------------------------------- token budget


def test_preview_of_a_short_prompt() -> None:
    style = get_style("comic")
    preview = preview_prompt("a knight on a horse", style)
    assert preview.prompt == "a knight on a horse"
    assert preview.prompt_sent == apply_style("a knight on a horse", style)
    assert preview.negative_prompt == NEGATIVE
    assert preview.tokens == count_tokens(preview.prompt_sent)
    assert preview.budget == CLIP_TOKEN_BUDGET == 77
    assert not preview.over_budget
    assert preview.truncated_tail == ""


def test_preview_of_a_long_prompt_shows_what_clip_drops() -> None:
    style = get_style("realistic")  # "best quality, high quality, " is 6 tokens
    preview = preview_prompt(" ".join(["cat"] * 100), style)
    assert preview.tokens == 2 + 6 + 100
    assert preview.over_budget
    assert preview.truncated_tail == " ".join(["cat"] * 31)  # 75 tokens fit: 6 + 69 cats


def test_truncated_tail_keeps_the_writers_text() -> None:
    style = get_style("film")
    prompt = ", ".join(["A Very Detailed Golden Castle on a hill"] * 8)
    preview = preview_prompt(prompt, style)
    assert preview.over_budget
    tail = preview.truncated_tail
    assert tail and preview.prompt_sent.endswith(tail)
    assert tail.endswith("film grain, grainy")
    kept = preview.prompt_sent[: len(preview.prompt_sent) - len(tail)]
    assert count_tokens(kept) == CLIP_TOKEN_BUDGET
    assert count_tokens(kept) + count_tokens(tail) - 2 == preview.tokens


class _TokenizerWithoutOffsets:
    """A tokenizer that, like the slow Python ones, cannot report character offsets."""

    def __init__(self) -> None:
        self._tok = clip_tokenizer()

    def __call__(self, text: str, **kwargs: object) -> object:
        if kwargs.get("return_offsets_mapping"):
            raise NotImplementedError("no offsets")
        return self._tok(text, **kwargs)

    def decode(self, ids: list[int]) -> str:
        return self._tok.decode(ids)


def test_truncated_tail_without_offsets_decodes_the_dropped_tokens() -> None:
    preview = preview_prompt(
        " ".join(["cat"] * 100), get_style("realistic"), _TokenizerWithoutOffsets()
    )
    assert preview.tokens == 108
    assert preview.truncated_tail == " ".join(["cat"] * 31)
