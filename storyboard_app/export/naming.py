"""Shot labels for panels without one, and safe, unique file names made from them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from storyboard_app.export.board import ExportPanel, ShotNumbering
from storyboard_app.project.numbering import ShotSlot, number_shots

_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{port}{n}" for port in ("com", "lpt") for n in "123456789"
}
_MAX_NAME = 80
_LEADING_NUMBER = re.compile(r"^\d+")


def shot_labels(panels: Sequence[ExportPanel], scheme: ShotNumbering) -> tuple[str, ...]:
    """The printed shot label of every panel: its own label, or one numbered by ``scheme``
    (``storyboard_app.project.numbering``: "1" uses the frame number; "1A" and "1-1" number
    shots within scenes, a new scene starting wherever a panel's ``scene`` changes)."""
    slots = []
    scene: int | str = 1
    for panel in panels:
        scene = panel.scene if panel.scene is not None else scene
        slots.append(ShotSlot(panel.index, scene, str(scene), panel.shot_label))
    return tuple(number_shots(slots, scheme))


def safe_file_stem(label: str, fallback: str) -> str:
    """A file name stem that is valid on Windows, macOS and Linux."""
    stem = re.sub(r"[^\w.\- ]+", "_", label, flags=re.UNICODE).strip(" ._")
    stem = re.sub(r"_+", "_", stem)[:_MAX_NAME].rstrip(" .")
    if not stem:
        stem = fallback
    if stem.split(".")[0].lower() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    return stem


def padded_numbers(stems: Sequence[str]) -> list[str]:
    """Stems whose leading numbers are zero-padded to one width, so names sort in shot order.

    ``["1", "2", "10", "3B"]`` -> ``["01", "02", "10", "03B"]``: file browsers and editors
    then list 02 before 10.
    """
    width = max((len(m.group()) for s in stems if (m := _LEADING_NUMBER.match(s))), default=0)
    return [_LEADING_NUMBER.sub(lambda m: m.group().zfill(width), s, count=1) for s in stems]


def unique_file_names(stems: Iterable[str], suffix: str) -> list[str]:
    """``stem + suffix`` for each stem, with -2, -3... added where names would collide.

    Collisions are judged case-insensitively, as on Windows and macOS file systems.
    """
    taken: set[str] = set()
    names: list[str] = []
    for stem in stems:
        name = f"{stem}{suffix}"
        n = 2
        while name.lower() in taken:
            name = f"{stem}-{n}{suffix}"
            n += 1
        taken.add(name.lower())
        names.append(name)
    return names
