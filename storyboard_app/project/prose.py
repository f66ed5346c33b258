"""Plain prose -> ParsedScript (``storyboard new --from-text FILE --prose``).

Paragraphs separated by blank lines are frames (or their sentences, with ``per_sentence``);
a line ``Name: what they say`` is dialogue, the caption of the frame before it (a name of up
to three capitalised words, or one defined in the cast); ``@Name: description`` defines a cast
member, whose name in the prose becomes ``@Name``; a paragraph that is a scene heading alone
(``INT. LAMP ROOM - NIGHT``) starts a scene; ``#`` starts a comment, as in the line format.
"""

from __future__ import annotations

import re

from storyboard_app.project.headings import is_scene_heading
from storyboard_app.project.screenplay import ParsedScript, ScriptBuilder, ScriptError
from storyboard_app.project.textimport import MAX_TEXT_CHARS, strip_comment

_CAST_LINE = re.compile(r"@(\w+)\s*:(.*)")
_DIALOGUE = re.compile(r"([A-Z][\w'.-]*(?: [A-Z][\w'.-]*){0,2}|@\w+)\s*:\s+(\S.*)")


def parse_prose(text: str, *, per_sentence: bool = False) -> ParsedScript:
    """Read prose into scenes of frames; ScriptError lists the problems with line numbers."""
    if len(text) > MAX_TEXT_CHARS:
        raise ScriptError([(1, f"the text is longer than {MAX_TEXT_CHARS:,} characters")], "text")
    builder = ScriptBuilder(per_sentence=per_sentence)
    paragraph: list[str] = []
    start = 0

    def flush() -> None:
        if paragraph:
            joined = " ".join(paragraph)
            if len(paragraph) == 1 and is_scene_heading(joined):
                builder.heading(joined, "", start)
            else:
                builder.action(joined, start)
            paragraph.clear()

    for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = strip_comment(raw).strip()
        if not line:
            if not raw.strip():
                flush()
            continue
        cast = _CAST_LINE.fullmatch(line)
        spoken = _DIALOGUE.fullmatch(line)
        if cast and cast.group(2).strip():
            flush()
            builder.describe(cast.group(1), cast.group(2).strip())
        elif spoken:
            flush()
            builder.dialogue(spoken.group(1), "", [spoken.group(2)], number)
        else:
            if not paragraph:
                start = number
            paragraph.append(line)
    flush()
    return builder.result("text")
