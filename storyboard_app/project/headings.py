"""Scene headings in the writer's words, and what a heading adds to a card's prompt.

A screenplay heading is ``INT. LAMP ROOM - NIGHT``: where (interior / exterior), the place,
and the time of day. When a scene opts in, its heading becomes the Scene part of the prompt
of every card in it that leaves its own Scene part empty; a card's own text always wins.
"""

from __future__ import annotations

import re

from storyboard_app.project.model import Frame, Scene

# Heading prefixes as the Fountain spec lists them, longest first so INT./EXT. wins over INT.
_PREFIXES = (
    ("INT./EXT", "interior and exterior"),
    ("INT/EXT", "interior and exterior"),
    ("I/E", "interior and exterior"),
    ("INT", "interior"),
    ("EXT", "exterior"),
    ("EST", "establishing shot"),
)
_PREFIX = re.compile(
    r"^(" + "|".join(re.escape(p) for p, _ in _PREFIXES) + r")(?:\.|\s)\s*", re.IGNORECASE
)


def is_scene_heading(line: str) -> bool:
    """Whether a line starts like a screenplay scene heading (``INT.``, ``EXT ``, ``I/E.``)."""
    return bool(_PREFIX.match(line.strip()))


def heading_prompt_text(heading: str) -> str:
    """The prompt words of a heading: ``INT. LAMP ROOM - NIGHT`` -> ``interior, lamp room,
    night``. A heading without a prefix is used as written, lower-cased, dashes as commas."""
    text = " ".join(heading.split())
    parts: list[str] = []
    prefix = _PREFIX.match(text)
    if prefix:
        key = prefix.group(1).upper()
        parts.append(next(words for p, words in _PREFIXES if p == key))
        text = text[prefix.end() :]
    parts.extend(part.strip().lower() for part in re.split(r"\s+[-–—]+\s+", text))
    return ", ".join(part for part in parts if part)


def prompt_scene_text(frame: Frame, scene: Scene | None) -> str:
    """The Scene part a card's prompt is compiled with: the card's own Scene text, else its
    scene's heading when the scene opts in, else nothing."""
    if frame.scene.strip() or scene is None or not scene.heading_in_prompt:
        return frame.scene
    return heading_prompt_text(scene.heading)
