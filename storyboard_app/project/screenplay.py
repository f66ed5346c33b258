"""A screenplay as the story sees it: scenes of frames, with dialogue as captions and the
speakers as cast members. The Fountain, Final Draft and prose readers feed a ScriptBuilder
with the elements they find; ``ProjectStore.import_script`` stores the result at once.

The mapping: a scene heading starts a scene; each action paragraph is a frame (or each of
its sentences, with ``per_sentence``); a character cue and its dialogue become a line of the
caption of the frame they follow, the speaker first (``STEEL (V.O.): (whispering) Hi.``), or of
a new frame showing the speaker when the scene has no frame yet; dual dialogue (both speakers
at once) is one caption line, the two joined by ``‖``; every speaker becomes a cast
member, and their names in action text become ``@Name`` mentions. Transitions and notes go
to the notes of the frame before them (the scene's notes when it has none yet), synopses to
the scene's notes; boneyard, sections and page breaks are outline, not story, and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storyboard_app.project.errors import StoryTextError
from storyboard_app.project.model import MAX_TEXT_LENGTH

MAX_SCRIPT_BYTES = 20_000_000
DUAL_MARK = " ‖ "  # between the two speakers of dual dialogue on one caption line
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]*[A-Z0-9])")


class ScriptError(StoryTextError):
    """A screenplay that cannot be imported; ``problems`` lists (line, message)."""

    def __init__(self, problems: list[tuple[int, str]], what: str = "script") -> None:
        super().__init__(problems)
        shown = [f"line {line}: {message}" for line, message in self.problems[:10]]
        if len(self.problems) > 10:
            shown.append(f"... and {len(self.problems) - 10} more")
        self.args = (f"The {what} cannot be imported:\n" + "\n".join(shown),)


@dataclass
class ScriptScene:
    """One scene of an imported script: heading, number ('' = none), notes and frame cards
    (field dicts as ``add_frames`` takes them)."""

    heading: str = ""
    number: str = ""
    notes: list[str] = field(default_factory=list)
    frames: list[dict[str, str]] = field(default_factory=list)


@dataclass
class ParsedScript:
    """What a script holds for the story: its title (None: not given), the cast (name ->
    description) and the scenes in order."""

    title: str | None
    cast: dict[str, str]
    scenes: list[ScriptScene]

    @property
    def frame_count(self) -> int:
        """How many frames the script makes."""
        return sum(len(scene.frames) for scene in self.scenes)


def cast_name(cue: str) -> str:
    """The cast name of a character cue: ``DICK STEEL`` -> ``Dick_Steel``, ``McCLANE`` stays."""
    words = re.findall(r"\w+", cue)
    if cue.upper() == cue:
        words = [w.capitalize() for w in words]
    return "_".join(words)[:100]


@dataclass
class _Speaker:
    name: str
    cue: str  # as the script writes it, for finding the name in action text


class ScriptBuilder:
    """Collects a script's elements in order and turns them into a ParsedScript."""

    def __init__(self, *, per_sentence: bool = False) -> None:
        self.per_sentence = per_sentence
        self.title: str | None = None
        self.scenes = [ScriptScene()]
        self.problems: list[tuple[int, str]] = []
        self._speakers: dict[str, _Speaker] = {}
        self._described: dict[str, str] = {}

    # ------------------------------------------------------------------ elements

    def heading(self, text: str, number: str, line: int) -> None:
        """A scene heading starts a new scene (the first one fills the opening scene when
        nothing came before it)."""
        heading = self._text(text, line)
        opening = self.scenes[-1]
        if len(self.scenes) == 1 and not opening.frames and not opening.heading:
            opening.heading, opening.number = heading, number.strip()
        else:
            self.scenes.append(ScriptScene(heading, number.strip()))

    def action(self, text: str, line: int) -> None:
        """An action paragraph: one frame, or one per sentence."""
        text = " ".join(self._text(text, line).split())
        if not text:
            return
        parts = _SENTENCE_END.split(text) if self.per_sentence else [text]
        for part in parts:
            self.scenes[-1].frames.append({"character": part.strip()})

    def dialogue(
        self, cue: str, extension: str, lines: list[str], line: int, *, together: bool = False
    ) -> None:
        """A character cue with its dialogue and parentheticals (``lines``, in order): a
        caption line of the frame before it. ``together``: the second speaker of dual
        dialogue, spoken at the same time as the line before it, joins that caption line
        after ``DUAL_MARK`` (``MIRA: Race you! ‖ TOM: Race you!``)."""
        cue = " ".join(cue.split()).lstrip("@")
        name = cast_name(cue)
        if not name:
            self.problems.append((line, f"the character cue {cue!r} has no name in it"))
            return
        self._speakers.setdefault(name.casefold(), _Speaker(name, cue))
        said = " ".join(" ".join(part.split()) for part in lines if part.strip())
        speaker = f"{cue} ({extension.strip('() ')})" if extension.strip("() ") else cue
        self._caption(f"{speaker}: {said}" if said else speaker, name, line, together=together)

    def lyric(self, text: str, line: int) -> None:
        """Sung lines join the caption like dialogue."""
        self._caption(f"♪ {' '.join(text.split())} ♪", None, line)

    def note(self, text: str, line: int) -> None:
        """A note or transition: the notes of the frame before it, else of the scene."""
        text = self._text(text, line).strip()
        if not text:
            return
        scene = self.scenes[-1]
        if scene.frames:
            frame = scene.frames[-1]
            frame["notes"] = f"{frame['notes']}\n{text}" if frame.get("notes") else text
        else:
            scene.notes.append(text)

    def synopsis(self, text: str, line: int) -> None:
        """A synopsis describes its scene: the scene's notes."""
        text = self._text(text, line).strip()
        if text:
            self.scenes[-1].notes.append(text)

    def describe(self, name: str, description: str) -> None:
        """A cast member's description, when the source gives one (prose ``@Name: ...``)."""
        self._described[name.casefold()] = description
        self._speakers.setdefault(name.casefold(), _Speaker(name, name))

    # ------------------------------------------------------------------ the result

    def result(self, what: str = "script") -> ParsedScript:
        """The parsed script; ScriptError with every problem found, or when it has no frame."""
        scenes = [s for s in self.scenes if s.frames or s.heading or s.notes]
        if not any(scene.frames for scene in scenes) and not self.problems:
            self.problems.append((1, "it has no action or dialogue to make frames of"))
        if self.problems:
            raise ScriptError(sorted(self.problems), what)
        cast = {
            s.name: self._described.get(key, s.cue.title() if s.cue.isupper() else s.cue)
            for key, s in self._speakers.items()
        }
        pattern = self._mention_pattern()
        for scene in scenes:
            for frame in scene.frames:
                if pattern is not None:
                    frame["character"] = pattern.sub(self._mention, frame["character"])
        return ParsedScript(self.title, cast, scenes)

    # ------------------------------------------------------------------ helpers

    def _caption(self, text: str, speaker: str | None, line: int, together: bool = False) -> None:
        scene = self.scenes[-1]
        if not scene.frames:
            shown = f"@{speaker}" if speaker else ""
            scene.frames.append({"character": shown, "interaction": "speaking" if shown else ""})
        frame = scene.frames[-1]
        joint = DUAL_MARK if together else "\n"
        caption = f"{frame['caption']}{joint}{text}" if frame.get("caption") else text
        if len(caption) > MAX_TEXT_LENGTH:
            self.problems.append((line, f"a caption grows past {MAX_TEXT_LENGTH:,} characters"))
            return
        frame["caption"] = caption

    def _text(self, text: str, line: int) -> str:
        if len(text) > MAX_TEXT_LENGTH:
            self.problems.append(
                (line, f"a paragraph is longer than {MAX_TEXT_LENGTH:,} characters")
            )
            return text[:MAX_TEXT_LENGTH]
        return text

    def _mention_pattern(self) -> re.Pattern[str] | None:
        words = {}
        for speaker in self._speakers.values():
            for form in (speaker.cue, speaker.name, speaker.name.replace("_", " ")):
                words[form.casefold()] = speaker.name
        self._by_form = words
        if not words:
            return None
        forms = sorted(words, key=len, reverse=True)
        alternatives = "|".join(r"\s+".join(map(re.escape, f.split())) for f in forms)
        return re.compile(rf"(?<![\w@])(?:{alternatives})(?!\w)", re.IGNORECASE)

    def _mention(self, match: re.Match[str]) -> str:
        return "@" + self._by_form[" ".join(match.group(0).split()).casefold()]
