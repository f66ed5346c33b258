"""Fountain screenplays -> ParsedScript (``storyboard new --from-fountain``).

Parsing is fountain-py's (``fountain.FountainParser``), which follows the Fountain spec:
forced headings (``.FLASHBACK``) and scene numbers (``#12A#``), character extensions,
parentheticals, dual dialogue (``^``), transitions (``CUT TO:``, ``> BURN TO WHITE.``),
centered text, lyrics, notes, boneyard, sections, synopses and page breaks. Its diagnostics
of severity "error" (an unclosed boneyard or note) refuse the script with their line. Notes
inside a line (``[[...]]`` within action or dialogue), which it leaves out of the text, are
found in the script again and kept as notes of the frame they are written in.
"""

from __future__ import annotations

import re
from typing import Any

from fountain import ElementType, FountainParser

from storyboard_app.project.screenplay import ParsedScript, ScriptBuilder, ScriptError

MAX_FOUNTAIN_CHARS = 10_000_000
_DIALOGUE_PARTS = (ElementType.DIALOGUE, ElementType.PARENTHETICAL)
_BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
_NOTE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


def decode_script(data: bytes, what: str = "script") -> str:
    """Script bytes as text: UTF-8 (a BOM allowed); a bad byte or NUL is refused with its
    line number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ScriptError([(line, "the file is not UTF-8 text")], what) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScriptError([(line, "the text holds a NUL character (is it a binary file?)")], what)
    return text


def parse_fountain(text: str, *, per_sentence: bool = False) -> ParsedScript:
    """Read Fountain text; ScriptError lists the problems with their line numbers."""
    if len(text) > MAX_FOUNTAIN_CHARS:
        raise ScriptError([(1, f"the script is longer than {MAX_FOUNTAIN_CHARS:,} characters")])
    text = _spaced_notes(_joined_notes(text))
    document = FountainParser().parse(text)
    errors = [(i.line_number, i.message) for i in document.issues if i.severity == "error"]
    if errors:
        raise ScriptError(errors)
    builder = ScriptBuilder(per_sentence=per_sentence)
    title = document.metadata.get("title")
    builder.title = " ".join(str(title).split()) or None if title else None
    elements = list(document.elements)
    inline = _inline_notes(text, elements)
    index = 0
    while index < len(elements):
        element = elements[index]
        index += 1
        while inline and inline[0][0] < element.line_number:  # notes of the element before
            builder.note(*reversed(inline.pop(0)))
        kind = element.type
        if kind is ElementType.CHARACTER:
            parts = []
            while index < len(elements) and elements[index].type in _DIALOGUE_PARTS:
                parts.append(elements[index])
                index += 1
            _dialogue(builder, element, parts)
        elif kind is ElementType.DUAL_DIALOGUE:
            left, right = element.dual_dialogue_columns()
            _dialogue(builder, left[0], left[1:])
            _dialogue(builder, right[0], right[1:], together=True)
        else:
            _element(builder, element)
    for line, note in inline:
        builder.note(note, line)
    return builder.result()


def _joined_notes(text: str) -> str:
    """A note inside an action or dialogue line that runs on over lines (``She waits [[for
    how\nlong?]] alone.``) on one line: the parser would end the paragraph at the note and
    make two frames of it. The lines it took are given back as blank lines where the
    paragraph ends, so what follows keeps its line numbers."""
    for match in reversed(list(_NOTE.finditer(text))):
        lines = match.group(0).count("\n")
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        end = len(text) if end < 0 else end
        inline = text[start : match.start()].strip() or text[match.end() : end].strip()
        if not lines or not inline or "\n\n" in match.group(0):  # a blank line ends a note
            continue
        one = " ".join(part.strip() for part in match.group(0).splitlines() if part.strip())
        paragraph_end = text.find("\n\n", match.end())
        paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
        text = (
            text[: match.start()]
            + one
            + text[match.end() : paragraph_end]
            + "\n" * lines
            + text[paragraph_end:]
        )
    return text


def _spaced_notes(text: str) -> str:
    """A space between a note and a word it touches (``JIM.[[note]] They``): the parser
    takes a note out with the spaces around it, and one flush against a word would join
    the words on either side (``JIM.They``). Line numbers stay as they are."""

    def spaced(match: re.Match[str]) -> str:
        before = match.start() > 0 and not text[match.start() - 1].isspace()
        after = match.end() < len(text) and not text[match.end()].isspace()
        return f"{' ' if before else ''}{match.group(0)}{' ' if after else ''}"

    return _NOTE.sub(spaced, text)


def _inline_notes(text: str, elements: list[Any]) -> list[tuple[int, str]]:
    """(line, text) of the notes written inside an action, heading or dialogue line
    (``She kneels. [[Check the props.]]``), which the parser takes out of the text it
    returns. Notes on lines of their own are elements already; notes in the boneyard or on
    the title page are not story."""
    masked = _BONEYARD.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    own_lines = {e.line_number for e in elements if e.type is ElementType.NOTE}
    first = min((e.line_number for e in elements), default=0)
    notes = []
    for match in _NOTE.finditer(masked):
        line = masked.count("\n", 0, match.start()) + 1
        if line >= first and line not in own_lines and match.group(1).strip():
            notes.append((line, " ".join(match.group(1).split())))
    return notes


def _element(builder: ScriptBuilder, element: Any) -> None:
    kind, text, line = element.type, element.text, element.line_number
    if kind is ElementType.SCENE_HEADING:
        builder.heading(text, str(element.metadata.get("scene_number", "")), line)
    elif kind in (ElementType.ACTION, ElementType.CENTERED):
        builder.action(text, line)
    elif kind is ElementType.TRANSITION:
        builder.note(text, line)
    elif kind is ElementType.NOTE:
        note = text.strip().removeprefix("[[").removesuffix("]]").splitlines()
        builder.note("\n".join(part.strip() for part in note if part.strip()), line)
    elif kind is ElementType.SYNOPSIS:
        builder.synopsis(text, line)
    elif kind is ElementType.LYRICS:
        builder.lyric(text, line)
    elif kind in (ElementType.DIALOGUE, ElementType.PARENTHETICAL):
        builder.action(text, line)  # the parser only leaves these after a cue; kept as text
    # Boneyard, sections, page breaks and the title page are outline, not story.


def _dialogue(builder: ScriptBuilder, cue: Any, parts: list[Any], together: bool = False) -> None:
    # Parentheticals stay between the lines they sit between.
    extension = str(cue.metadata.get("extension", ""))
    lines = [p.text for p in parts]
    builder.dialogue(cue.text, extension, lines, cue.line_number, together=together)
