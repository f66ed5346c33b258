"""The story as a Fountain screenplay (``storyboard export --fountain``), so a writer can take
the board back to the script: scenes as headings, frames as action, captions as dialogue.

It is the inverse of the Fountain import (``project/fountain_in.py``): importing the written
script again gives the same scenes, action, dialogue and cast. A caption line ``NAME: words``
(``NAME (V.O.): (quietly) words``) is dialogue, two of them joined by ``‖`` dual dialogue
(the second cue gets Fountain's ``^``); other caption lines, frame notes and scene
notes are written as Fountain notes, except lines that read as transitions (``CUT TO:``).
"""

from __future__ import annotations

import re
from pathlib import Path

from storyboard_app.project.headings import is_scene_heading
from storyboard_app.project.model import Frame, Scene
from storyboard_app.project.safe_write import write_text
from storyboard_app.project.screenplay import DUAL_MARK
from storyboard_app.project.store import ProjectStore

FOUNTAIN_SUFFIXES = (".fountain", ".spmd", ".txt")
_SPOKEN = re.compile(r"(?P<cue>[^\s:(][^:(]*?)(?: \((?P<ext>[^)]*)\))?: (?P<said>.+)")
_PARENTHETICAL = re.compile(r"(\([^)]*\))\s*")
_MENTION = re.compile(r"(?<![\w@])@(\w+)")
_LYRIC = re.compile(r"♪ (.*) ♪")


def mentions_as_names(text: str) -> str:
    """``@Mrs_Baker waves`` -> ``Mrs Baker waves``: a mention as the script writes the name."""
    return _MENTION.sub(lambda m: m.group(1).replace("_", " "), text)


def frame_action(frame: Frame) -> str:
    """A card's text as one action line: its Character, Interaction and Scene parts."""
    parts = (frame.character, frame.interaction, frame.scene)
    return mentions_as_names(", ".join(" ".join(p.split()) for p in parts if p.strip()))


def story_fountain(store: ProjectStore) -> str:
    """The whole story as Fountain text."""
    frames = store.frames()
    out = [f"Title: {' '.join(store.story().title.split())}", ""]
    for scene in store.scenes():
        members = [f for f in frames if f.scene_id == scene.id]
        out.extend(_scene(scene, members))
    return "\n".join(out).rstrip() + "\n"


def export_fountain(store: ProjectStore, path: Path | str) -> Path:
    """Write the story as a Fountain file at ``path`` through the safe writer (a project or
    another format's name is refused; an old file is replaced only once this one is whole)."""
    return write_text(
        path, story_fountain(store), "the Fountain script", suffixes=FOUNTAIN_SUFFIXES
    )


def _scene(scene: Scene, frames: list[Frame]) -> list[str]:
    lines: list[str] = []
    heading = " ".join(scene.heading.split())
    if heading or scene.position > 0:
        shown = heading or f"SCENE {scene.position + 1}"
        forced = "" if is_scene_heading(shown) else "."
        number = f" #{scene.number}#" if scene.number else ""
        lines += [f"{forced}{shown}{number}", ""]
    elif scene.number:
        lines += [f".SCENE 1 #{scene.number}#", ""]
    lines += _notes(scene.notes)
    for frame in frames:
        lines += _frame(frame)
    return lines


def _frame(frame: Frame) -> list[str]:
    lines: list[str] = []
    action = frame_action(frame)
    speaker_only = frame.interaction == "speaking" and not frame.scene and frame.caption
    if action and not (speaker_only and _MENTION.fullmatch(frame.character.strip())):
        # "!" keeps an all-capitals line from reading as a cue or heading.
        forced = "!" if action.upper() == action or is_scene_heading(action) else ""
        lines += [forced + action, ""]
    for line in frame.caption.splitlines():
        lines += _caption_line(line.strip())
    lines += _notes(frame.notes)
    return lines


def _caption_line(line: str) -> list[str]:
    if not line:
        return []
    first, mark, second = line.partition(DUAL_MARK.strip())
    if mark and _SPOKEN.fullmatch(first.strip()) and _SPOKEN.fullmatch(second.strip()):
        left, right = _caption_line(first.strip()), _caption_line(second.strip())
        return [*left, right[0] + " ^", *right[1:]]  # dual dialogue: the second cue's caret
    lyric = _LYRIC.fullmatch(line)
    if lyric:
        return [f"~{lyric.group(1)}", ""]
    spoken = _SPOKEN.fullmatch(line)
    if spoken and spoken.group("cue").upper() == spoken.group("cue"):
        cue = spoken.group("cue").strip()
        ext = spoken.group("ext")
        said = spoken.group("said").strip()
        block = [f"{cue} ({ext})" if ext else cue]
        opening = _PARENTHETICAL.match(said)
        if opening:
            block.append(opening.group(1))
            said = said[opening.end() :]
        return [*block, said, ""] if said else [*block, ""]
    if spoken:  # a mixed-case cue (a forced one, like @McCLANE)
        cue, said = spoken.group("cue").strip(), spoken.group("said").strip()
        return [f"@{cue}", said, ""]
    return [f"[[{line}]]", ""]


def _notes(notes: str) -> list[str]:
    lines: list[str] = []
    for note in notes.splitlines():
        note = " ".join(note.split())
        if not note:
            continue
        if note.upper() == note and (note.endswith("TO:") or note.endswith(".")):
            lines += [f"> {note}" if not note.endswith("TO:") else note, ""]
        else:
            lines += [f"[[{note}]]", ""]
    return lines
