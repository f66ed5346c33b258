"""Argument types and lookups shared by the ``storyboard`` subcommands."""

from __future__ import annotations

import argparse
from typing import Any

from storyboard_app.project.errors import ProjectError


def frame_ranges(text: str) -> list[int]:
    """``1,3-5`` -> [1, 3, 4, 5] (1-based frame numbers)."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a:
                    raise ValueError
                out.extend(range(a, b + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"frames must look like 1,3-5, not {text!r}") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"frames are numbered from 1: {text!r}")
    return out


def frame_by_number(store: Any, number: int) -> Any:
    frames = store.frames()
    if not 1 <= number <= len(frames):
        raise ProjectError(f"Frame {number} does not exist (the story has {len(frames)} frames).")
    return frames[number - 1]
