"""Fountain screenplays -> ParsedScript (``storyboard new --from-fountain``).

Parsing is fountain-py's (``fountain.FountainParser``), which follows the Fountain spec:
forced headings (``.FLASHBACK``) and scene numbers (``#12A#``), character extensions,
parentheticals, dual dialogue (``^``), transitions (``CUT TO:``, ``> BURN TO WHITE.``),
centered text, lyrics, notes, boneyard, sections, synopses and page breaks. Its diagnostics
of severity "error" (an unclosed boneyard or note) refuse the script with their line.
"""

from __future__ import annotations

from typing import Any

from fountain import ElementType, FountainParser

from storyboard_app.project.screenplay import ParsedScript, ScriptBuilder, ScriptError

MAX_FOUNTAIN_CHARS = 10_000_000
_DIALOGUE_PARTS = (ElementType.DIALOGUE, ElementType.PARENTHETICAL)


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
    document = FountainParser().parse(text)
    errors = [(i.line_number, i.message) for i in document.issues if i.severity == "error"]
    if errors:
        raise ScriptError(errors)
    builder = ScriptBuilder(per_sentence=per_sentence)
    title = document.metadata.get("title")
    builder.title = " ".join(str(title).split()) or None if title else None
    elements = list(document.elements)
    index = 0
    while index < len(elements):
        element = elements[index]
        index += 1
        kind = element.type
        if kind is ElementType.CHARACTER:
            parts = []
            while index < len(elements) and elements[index].type in _DIALOGUE_PARTS:
                parts.append(elements[index])
                index += 1
            _dialogue(builder, element, parts)
        elif kind is ElementType.DUAL_DIALOGUE:
            left, right = element.dual_dialogue_columns()
            for column in (left, right):
                _dialogue(builder, column[0], column[1:])
        else:
            _element(builder, element)
    return builder.result()


def _element(builder: ScriptBuilder, element: Any) -> None:
    kind, text, line = element.type, element.text, element.line_number
    if kind is ElementType.SCENE_HEADING:
        builder.heading(text, str(element.metadata.get("scene_number", "")), line)
    elif kind in (ElementType.ACTION, ElementType.CENTERED):
        builder.action(text, line)
    elif kind is ElementType.TRANSITION:
        builder.note(text, line)
    elif kind is ElementType.NOTE:
        builder.note(text.removeprefix("[[").removesuffix("]]"), line)
    elif kind is ElementType.SYNOPSIS:
        builder.synopsis(text, line)
    elif kind is ElementType.LYRICS:
        builder.lyric(text, line)
    elif kind in (ElementType.DIALOGUE, ElementType.PARENTHETICAL):
        builder.action(text, line)  # the parser only leaves these after a cue; kept as text
    # Boneyard, sections, page breaks and the title page are outline, not story.


def _dialogue(builder: ScriptBuilder, cue: Any, parts: list[Any]) -> None:
    # Parentheticals stay between the lines they sit between.
    extension = str(cue.metadata.get("extension", ""))
    builder.dialogue(cue.text, extension, [p.text for p in parts], cue.line_number)
