"""Shot numbers: every frame's printed label, numbered per scene.

Three schemes, as storyboards number shots: ``1`` counts frames through the story, ``1A``
letters the shots of each scene after its number (1A, 1B ... 1Z, 1AA), ``1-1`` counts them
(1-1, 1-2). A scene's number is the one the writer gave it, else its place among the scenes.
A frame with its own shot label prints that label, and still counts as a shot: the automatic
numbers after it are the ones they would have been without it. A scene number that ends in a
letter (``2A``) takes a dash before the shot letters (``2A-A``).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from storyboard_app.project.model import Frame, Scene


class ShotNumbering(StrEnum):
    """How frames without a label of their own are numbered."""

    FRAME = "1"
    SCENE_LETTER = "1A"
    SCENE_DASH = "1-1"


@dataclass(frozen=True)
class ShotSlot:
    """One frame as numbering sees it: its frame number (1-based), which scene it is in (any
    value that changes where a new scene starts), that scene's printed number, and the
    frame's own label ("" = none)."""

    frame_number: int
    scene_key: Hashable
    scene_number: str
    own_label: str


def shot_letters(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA (spreadsheet-style shot letters)."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def number_shots(slots: Sequence[ShotSlot], scheme: ShotNumbering | str) -> list[str]:
    """The printed label of every slot, in story order (see the module's rules)."""
    scheme = ShotNumbering(scheme)
    labels: list[str] = []
    scene: Hashable = object()
    shot_in_scene = 0
    for slot in slots:
        if slot.scene_key != scene:
            scene, shot_in_scene = slot.scene_key, 0
        shot_in_scene += 1
        own = " ".join(slot.own_label.split())
        if own:
            labels.append(own)
        elif scheme is ShotNumbering.SCENE_LETTER:
            # A scene numbered 2A gets shots 2A-A, 2A-B: 2AA would read as another scene.
            dash = "-" if slot.scene_number[-1:].isalpha() else ""
            labels.append(f"{slot.scene_number}{dash}{shot_letters(shot_in_scene)}")
        elif scheme is ShotNumbering.SCENE_DASH:
            labels.append(f"{slot.scene_number}-{shot_in_scene}")
        else:
            labels.append(str(slot.frame_number))
    return labels


def scene_numbers(scenes: Sequence[Scene]) -> dict[int, str]:
    """scene id -> its printed number: the writer's own, else its place (1-based)."""
    return {scene.id: scene.number or str(scene.position + 1) for scene in scenes}


def frame_shot_labels(
    frames: Sequence[Frame], scenes: Sequence[Scene], scheme: ShotNumbering | str
) -> dict[int, str]:
    """frame id -> printed shot label, for frames in story order and the story's scenes."""
    numbers = scene_numbers(scenes)
    slots = [
        ShotSlot(
            frame.position + 1,
            frame.scene_id,
            numbers.get(frame.scene_id or 0, "1"),
            frame.shot_label,
        )
        for frame in frames
    ]
    return {
        frame.id: label for frame, label in zip(frames, number_shots(slots, scheme), strict=True)
    }
