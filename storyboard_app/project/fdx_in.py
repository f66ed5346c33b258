"""Final Draft XML (``.fdx``) -> ParsedScript (``storyboard new --from-fdx``).

An FDX file is ``<FinalDraft><Content>`` holding ``<Paragraph Type="...">`` elements whose
``<Text>`` runs make the paragraph's text: Scene Heading (``Number`` attribute), Action,
General, Shot, Character, Parenthetical, Dialogue, Transition; a ``<DualDialogue>`` inside a
paragraph holds two speakers' paragraphs. ``<ScriptNote>`` text becomes notes.

Read with the standard library's expat parser, as defusedxml would: a document type
declaration or any entity declaration is refused (no entity is ever expanded, nothing
external is fetched), and every problem names its line.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Callable
from dataclasses import dataclass, field

from storyboard_app.project.screenplay import (
    MAX_SCRIPT_BYTES,
    ParsedScript,
    ScriptBuilder,
    ScriptError,
)

_WHAT = "Final Draft file"


@dataclass
class _Paragraph:
    kind: str
    line: int
    number: str = ""
    text: list[str] = field(default_factory=list)
    dual: int = 0  # which <DualDialogue> it is in (1, 2, ...), 0: none


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class _Reader:
    """Collects the paragraphs of ``<Content>`` (and script notes) in document order."""

    def __init__(self) -> None:
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._refuse("a document type declaration")
        self.parser.EntityDeclHandler = self._refuse("an entity declaration")
        self.parser.ExternalEntityRefHandler = self._refuse("an external entity")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._characters
        self.paragraphs: list[_Paragraph] = []
        self.root: str | None = None
        self._stack: list[str] = []
        self._opened: list[bool] = []
        self._open: list[_Paragraph] = []
        self._in_text = 0
        self._duals = 0

    def _refuse(self, what: str) -> Callable[..., None]:
        def handler(*_: object) -> None:
            raise _Refused(self.parser.CurrentLineNumber, f"it holds {what}, which is refused")

        return handler

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        line = self.parser.CurrentLineNumber
        opened: _Paragraph | None = None
        if name == "Paragraph" and "Content" in self._stack:
            opened = _Paragraph(attrs.get("Type", "General"), line, attrs.get("Number", ""))
            opened.dual = self._duals if "DualDialogue" in self._stack else 0
        elif name == "DualDialogue":
            self._duals += 1
        elif name == "ScriptNote":
            opened = _Paragraph("Note", line)
        elif name == "Text":
            self._in_text += 1
        if opened is not None:
            self._open.append(opened)
            self.paragraphs.append(opened)
        self._stack.append(name)
        self._opened.append(opened is not None)

    def _end(self, name: str) -> None:
        self._stack.pop()
        if self._opened.pop():
            self._open.pop()
        elif name == "Text":
            self._in_text -= 1

    def _characters(self, data: str) -> None:
        if self._in_text and self._open:
            self._open[-1].text.append(data)


def parse_fdx(data: bytes, *, per_sentence: bool = False) -> ParsedScript:
    """Read a Final Draft file; ScriptError lists the problems with their line numbers."""
    if len(data) > MAX_SCRIPT_BYTES:
        raise ScriptError([(1, f"the file is larger than {MAX_SCRIPT_BYTES:,} bytes")], _WHAT)
    reader = _Reader()
    try:
        reader.parser.Parse(data, True)
    except _Refused as e:
        raise ScriptError([(e.line, str(e))], _WHAT) from None
    except xml.parsers.expat.ExpatError as e:
        message = xml.parsers.expat.errors.messages[e.code]
        raise ScriptError([(e.lineno, f"it is not well-formed XML ({message})")], _WHAT) from None
    if reader.root != "FinalDraft":
        raise ScriptError([(1, f"its root element is <{reader.root}>, not <FinalDraft>")], _WHAT)
    builder = ScriptBuilder(per_sentence=per_sentence)
    paragraphs = reader.paragraphs
    index = 0
    spoken_in = 0  # the <DualDialogue> of the last cue
    while index < len(paragraphs):
        paragraph = paragraphs[index]
        index += 1
        kind, text = paragraph.kind, "".join(paragraph.text)
        if kind == "Character":
            lines = []
            while index < len(paragraphs) and paragraphs[index].kind in (
                "Dialogue",
                "Parenthetical",
            ):
                lines.append("".join(paragraphs[index].text))
                index += 1
            cue, _, extension = text.partition("(")
            together = bool(paragraph.dual) and paragraph.dual == spoken_in
            builder.dialogue(cue, extension, lines, paragraph.line, together=together)
            spoken_in = paragraph.dual
        elif kind == "Scene Heading":
            builder.heading(text, paragraph.number, paragraph.line)
        elif kind in ("Action", "General", "Shot", "Cast List"):
            builder.action(text, paragraph.line)
        elif kind in ("Transition", "Note"):
            builder.note(text, paragraph.line)
        elif kind in ("Dialogue", "Parenthetical"):
            builder.action(text, paragraph.line)  # a stray line without a cue: keep it
    return builder.result(_WHAT)
