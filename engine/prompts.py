"""From a frame card to the prompt SDXL sees: cast mentions, the card template, style wrappers.

The card template is Story-Iter's Character + Interaction + Scene. Its parts are joined with
", " after stripping surrounding spaces and commas, and empty parts are left out:
"One man wearing a yellow robe" + "dancing" + "in the palace hall" ->
"One man wearing a yellow robe, dancing, in the palace hall". Commas are the separators
CLIP prompts are written with, and they keep each part readable in the token budget.

``@Name`` anywhere in a card is replaced by that cast member's description (names match
case-insensitively; descriptions are not expanded again). An unknown ``@Name`` stays as
written so the writer can see and fix it.

Styles live in ``resources/styles/styles.json`` (data the writer may edit); the prompt sent
is ``prefix + prompt + suffix``, exactly like the reference implementation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from engine.errors import RequestError, StyleError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

STYLES_FILE = Path(__file__).resolve().parent.parent / "resources" / "styles" / "styles.json"
CARD_FIELDS = ("character", "interaction", "scene")
_MENTION = re.compile(r"(?<![\w@])@(\w+)")
_STYLE_KEYS = {"label", "prefix", "suffix", "negative_prompt", "note"}
_FILE_KEYS = {"version", "negative_prompt", "styles", "note"}


# --------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class Style:
    """A prompt wrapper: the text sent is ``prefix + prompt + suffix``."""

    name: str
    label: str
    prefix: str
    suffix: str
    negative_prompt: str


def load_styles(path: Path | None = None) -> Mapping[str, Style]:
    """The styles of a style file (default: the shipped one), by name in file order.

    Raises StyleError naming the file and the problem when it is damaged.
    """
    path = Path(path) if path is not None else STYLES_FILE
    try:
        stat = path.stat()
    except OSError as exc:
        raise StyleError(f"Style file {path} cannot be read ({exc.strerror or exc}).") from None
    return _load_styles_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_styles_cached(path: Path, _mtime_ns: int, _size: int) -> Mapping[str, Style]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StyleError(f"Style file {path} cannot be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise StyleError(f"Style file {path} is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise StyleError(
            f"Style file {path} is not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}."
        ) from None
    try:
        return MappingProxyType(_styles_from_document(doc))
    except StyleError as exc:
        raise StyleError(f"Style file {path}: {exc}") from None


def _styles_from_document(doc: Any) -> dict[str, Style]:
    if not isinstance(doc, dict):
        raise StyleError(
            "the top level must be an object with 'version', 'negative_prompt', 'styles'."
        )
    unknown = sorted(set(doc) - _FILE_KEYS)
    if unknown:
        raise StyleError(f"unknown key {unknown[0]!r} at the top level.")
    if doc.get("version") != 1:
        raise StyleError(f"'version' is {doc.get('version')!r}; this app reads version 1.")
    shared = _text(doc, "negative_prompt", "the top level")
    styles = doc.get("styles")
    if not isinstance(styles, dict) or not styles:
        raise StyleError("'styles' must be an object with at least one style.")
    out: dict[str, Style] = {}
    for name, entry in styles.items():
        where = f"style {name!r}"
        if not name.strip() or name != name.strip():
            raise StyleError(f"{where}: a style name must be non-empty with no surrounding spaces.")
        if not isinstance(entry, dict):
            raise StyleError(f"{where} must be an object with 'label', 'prefix', 'suffix'.")
        unknown = sorted(set(entry) - _STYLE_KEYS)
        if unknown:
            raise StyleError(f"{where}: unknown key {unknown[0]!r}.")
        negative = _text(entry, "negative_prompt", where) if "negative_prompt" in entry else shared
        out[name] = Style(
            name=name,
            label=_text(entry, "label", where),
            prefix=_text(entry, "prefix", where),
            suffix=_text(entry, "suffix", where),
            negative_prompt=negative,
        )
    return out


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    if key not in entry:
        raise StyleError(f"{where}: missing {key!r}.")
    value = entry[key]
    if not isinstance(value, str):
        raise StyleError(f"{where}: {key!r} must be text, not {type(value).__name__}.")
    return value


def get_style(name: str, styles: Mapping[str, Style] | None = None) -> Style:
    """The style called ``name`` (exact, else case-insensitive); StyleError if there is none."""
    styles = load_styles() if styles is None else styles
    if name in styles:
        return styles[name]
    folded = {key.casefold(): style for key, style in styles.items()}
    if isinstance(name, str) and name.casefold() in folded:
        return folded[name.casefold()]
    raise StyleError(f"Unknown style {name!r}; known styles: {', '.join(styles)}.")


def apply_style(prompt: str, style: Style) -> str:
    """The text sent to the text encoders: ``prefix + prompt + suffix``, nothing else."""
    return style.prefix + prompt + style.suffix


# --------------------------------------------------------------------------- cards and cast


def mentions(text: str) -> tuple[str, ...]:
    """The ``@Name`` mentions of ``text``, without the ``@``, first appearance first, no repeats."""
    return tuple(dict.fromkeys(_MENTION.findall(text)))


def _cast_pattern(cast: Mapping[str, str]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    by_name: dict[str, str] = {}
    for name, description in cast.items():
        by_name.setdefault(name.lstrip("@").strip().casefold(), description.strip())
    names = sorted((n for n in by_name if n), key=len, reverse=True)  # longest name wins
    if not names:
        return None, by_name
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w@])@({alternatives})(?!\w)", re.IGNORECASE), by_name


def resolve_mentions(text: str, cast: Mapping[str, str] | None = None) -> str:
    """Replace every ``@Name`` of a cast member by its description; unknown mentions stay."""
    pattern, by_name = _cast_pattern(cast or {})
    if pattern is None:
        return text
    return pattern.sub(lambda m: by_name[m.group(1).casefold()], text)


def unknown_mentions(text: str, cast: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The ``@Name`` mentions of ``text`` that name nobody in ``cast`` (for a warning)."""
    pattern, _ = _cast_pattern(cast or {})
    rest = text if pattern is None else pattern.sub(" ", text)
    return mentions(rest)


def _clean_part(text: str) -> str:
    return text.strip().strip(",").strip()


def compile_card(
    character: str, interaction: str, scene: str, cast: Mapping[str, str] | None = None
) -> str:
    """The card's prompt: Character, Interaction, Scene joined by ", " with mentions resolved."""
    parts = (_clean_part(resolve_mentions(p or "", cast)) for p in (character, interaction, scene))
    return ", ".join(p for p in parts if p)


def story_job_prompt(
    entry: Mapping[str, Any], cast: Mapping[str, str] | None = None, *, index: int | None = None
) -> str:
    """The prompt of one STORY.json frame: ``{"prompt": ...}`` or the three card fields.

    ``cast`` is the story's cast, if any. Raises RequestError when the entry has neither
    form, mixes them, or yields no text; ``index`` (1-based) names the frame in the message.
    """
    where = f"Frame {index}" if index is not None else "A frame"
    if not isinstance(entry, Mapping):
        raise RequestError(f"{where} must be an object, not {type(entry).__name__}.")
    card = [key for key in CARD_FIELDS if key in entry]
    if "prompt" in entry and card:
        raise RequestError(f"{where} has both 'prompt' and {card[0]!r}; use one form.")
    if "prompt" not in entry and not card:
        raise RequestError(f"{where} has neither 'prompt' nor 'character'/'interaction'/'scene'.")
    for key in ["prompt", *card] if "prompt" in entry else card:
        if not isinstance(entry[key], str):
            raise RequestError(f"{where}: {key!r} must be text.")
    if "prompt" in entry:
        prompt = resolve_mentions(entry["prompt"], cast).strip()
    else:
        prompt = compile_card(*(entry.get(key, "") for key in CARD_FIELDS), cast=cast)
    if not prompt:
        raise RequestError(f"{where} has no text to draw.")
    return prompt


# --------------------------------------------------------------------------- token budget


@dataclass(frozen=True)
class PromptPreview:
    """What the writer sees under a card: the prompt as sent and how it fits CLIP's budget."""

    prompt: str
    prompt_sent: str
    negative_prompt: str
    tokens: int  # start and end tokens included
    budget: int
    over_budget: bool
    truncated_tail: str  # the part of prompt_sent the text encoders never see


def preview_prompt(
    prompt: str, style: Style, tokenizer: PreTrainedTokenizerBase | None = None
) -> PromptPreview:
    """Apply ``style`` to ``prompt`` and measure it against CLIP's 77-token budget."""
    from engine.tokenizer import CLIP_TOKEN_BUDGET, clip_tokenizer

    tok = tokenizer or clip_tokenizer()
    sent = apply_style(prompt, style)
    try:
        encoded = tok(sent, truncation=False, return_offsets_mapping=True)
        offsets = encoded["offset_mapping"]
    except (NotImplementedError, ValueError, TypeError):  # a slow tokenizer has no offsets
        encoded, offsets = tok(sent, truncation=False), None
    ids = list(encoded["input_ids"])
    kept = CLIP_TOKEN_BUDGET - 2  # the encoders keep the start token, 75 tokens, the end token
    tail = ""
    if len(ids) > CLIP_TOKEN_BUDGET:
        first_dropped = kept + 1  # index in ids, after the start token
        if offsets is not None:
            tail = sent[offsets[first_dropped][0] :].strip()
        else:
            tail = tok.decode(ids[first_dropped:-1]).strip()
    return PromptPreview(
        prompt=prompt,
        prompt_sent=sent,
        negative_prompt=style.negative_prompt,
        tokens=len(ids),
        budget=CLIP_TOKEN_BUDGET,
        over_budget=len(ids) > CLIP_TOKEN_BUDGET,
        truncated_tail=tail,
    )
