"""Story text -> cast and frame cards (``storyboard new --from-text``).

The format, one item per line::

    # A comment line; a '#' also ends a line's text (write \\# for a literal '#')
    @Mira: a young inventor with goggles and a red scarf      <- a cast member
    @Mira | repairs a brass robot | in a cluttered workshop | "Almost there."
    A lighthouse on a cliff at dusk                              <- a free prompt

* A card has up to four fields separated by ``|``: Character | Interaction | Scene | Caption.
* A line without ``|`` is a free prompt: it becomes the card's character text with the other
  fields empty, so the compiled prompt is the line itself.
* ``@Name: description`` defines a cast member; ``@Name`` in a card's Character, Interaction
  or Scene refers to one (names are one word, matched ignoring case; defined anywhere in the
  text, or already in the project).
* Blank lines are skipped. Problems are reported together, each with its line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.prompts import mentions
from storyboard_app.project.errors import StoryTextError
from storyboard_app.project.model import MAX_TEXT_LENGTH

FIELDS = ("character", "interaction", "scene", "caption")
MAX_TEXT_CHARS = 10_000_000
_CAST_LINE = re.compile(r"@(\w+)\s*:(.*)", re.DOTALL)
_ESCAPED_HASH = "\\#"


@dataclass(frozen=True)
class ParsedStory:
    """The cast (name, description) and frame cards (field dicts) of a story text.

    ``frame_lines`` holds the 1-based line number of each frame, for messages.
    """

    cast: list[tuple[str, str]] = field(default_factory=list)
    frames: list[dict[str, str]] = field(default_factory=list)
    frame_lines: list[int] = field(default_factory=list)


def strip_comment(line: str) -> str:
    """The line without its ``#`` comment; ``\\#`` stands for a literal ``#``.

    Every other character is kept as it is (a NUL too: no stand-in character is used).
    """
    kept = []
    for piece in line.split(_ESCAPED_HASH):
        if "#" in piece:
            kept.append(piece.split("#", 1)[0])
            break
        kept.append(piece)
    return "#".join(kept)


def parse_story_text(text: str, known_cast: Iterable[str] = ()) -> ParsedStory:
    """Parse story text into cast and frame cards; StoryTextError lists every problem.

    ``known_cast`` are names already in the project, which cards may mention without
    defining them again.
    """
    if not isinstance(text, str):
        raise StoryTextError([(0, f"story text must be text, not {type(text).__name__}")])
    if len(text) > MAX_TEXT_CHARS:
        raise StoryTextError([(0, f"the text is longer than {MAX_TEXT_CHARS:,} characters")])
    problems: list[tuple[int, str]] = []
    parsed = ParsedStory()
    defined: dict[str, int] = {}  # casefolded name -> line
    used: list[tuple[int, str]] = []
    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = strip_comment(raw).strip()
        if not line:
            continue
        cast_line = _CAST_LINE.fullmatch(line)
        if cast_line:
            name, description = cast_line.group(1), cast_line.group(2).strip()
            folded = name.casefold()
            if not description:
                problems.append((number, f"the cast member @{name} has no description"))
            elif "|" in description:
                problems.append(
                    (number, f"'@{name}:' starts a cast line, but the line has '|' like a card")
                )
            elif folded in defined:
                problems.append((number, f"@{name} is already defined on line {defined[folded]}"))
            elif len(description) > MAX_TEXT_LENGTH:
                problems.append((number, f"the description of @{name} is too long"))
            else:
                defined[folded] = number
                parsed.cast.append((name, description))
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > len(FIELDS):
            problems.append(
                (
                    number,
                    f"the card has {len(parts)} fields; the format is "
                    "Character | Interaction | Scene | Caption",
                )
            )
            continue
        if not any(parts):
            problems.append((number, "the card has only empty fields"))
            continue
        if any(len(part) > MAX_TEXT_LENGTH for part in parts):
            problems.append((number, f"a field is longer than {MAX_TEXT_LENGTH:,} characters"))
            continue
        card = dict(zip(FIELDS, parts, strict=False))
        for name in mentions(" ".join(parts[:3])):
            used.append((number, name))
        parsed.frames.append(card)
        parsed.frame_lines.append(number)
    known = {name.casefold() for name in known_cast} | set(defined)
    for number, name in used:
        if name.casefold() not in known:
            problems.append(
                (number, f"@{name} is not in the cast; define it with a line '@{name}: ...'")
            )
    if problems:
        raise StoryTextError(sorted(problems))
    return parsed
