"""Reading a screenplay or prose file from disk into a ParsedScript, by its kind."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from storyboard_app.project.errors import ProjectError
from storyboard_app.project.fdx_in import parse_fdx
from storyboard_app.project.fountain_in import decode_script, parse_fountain
from storyboard_app.project.prose import parse_prose
from storyboard_app.project.screenplay import MAX_SCRIPT_BYTES, ParsedScript, ScriptError

ScriptKind = Literal["fountain", "fdx", "prose"]
SCRIPT_SUFFIXES: dict[str, ScriptKind] = {
    ".fountain": "fountain",
    ".spmd": "fountain",
    ".fdx": "fdx",
    ".txt": "prose",
}


def script_kind(path: Path) -> ScriptKind:
    """The kind of a script file by its suffix (``.fountain``, ``.fdx``, ``.txt``)."""
    kind = SCRIPT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(SCRIPT_SUFFIXES)
        raise ProjectError(f"{path.name} is not a script this app reads ({known}).")
    return kind


def read_script(path: Path, kind: ScriptKind, *, per_sentence: bool = False) -> ParsedScript:
    """Read and parse a script file; ProjectError (ScriptError with line numbers) when it
    cannot be read or imported. Nothing is stored."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SCRIPT_BYTES + 1)
    except OSError as e:
        raise ProjectError(f"Cannot read {path}: {e.strerror or e}.") from None
    try:
        if kind == "fdx":
            return parse_fdx(data, per_sentence=per_sentence)
        if len(data) > MAX_SCRIPT_BYTES:
            raise ScriptError([(1, f"the file is larger than {MAX_SCRIPT_BYTES:,} bytes")])
        text = decode_script(data)
        if kind == "fountain":
            return parse_fountain(text, per_sentence=per_sentence)
        return parse_prose(text, per_sentence=per_sentence)
    except ScriptError as e:
        e.args = (f"{path}: {e.args[0]}",)
        raise
