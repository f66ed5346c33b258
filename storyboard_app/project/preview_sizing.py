"""Preview-sized settings: what a render on preview models draws at.

Preview models draw noise; at the method's defaults (1024², 50 steps) that is minutes of CPU
per round for nothing. A render on preview models uses ``PREVIEW_SIZED`` for the size and the
steps the writer left at their defaults, and says so; values the writer set are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storyboard_app.project.model import StorySettings

if TYPE_CHECKING:
    from storyboard_app.project.store import ProjectStore

PREVIEW_SIZED = {"width": 128, "height": 128, "steps": 8}


def preview_sizing(store: ProjectStore) -> dict[str, int]:
    """The preview-sized values replacing settings the writer left at their defaults."""
    s, default = store.settings(), StorySettings()
    out: dict[str, int] = {}
    if (s.width, s.height) == (default.width, default.height):
        out |= {"width": PREVIEW_SIZED["width"], "height": PREVIEW_SIZED["height"]}
    if s.steps == default.steps:
        out["steps"] = PREVIEW_SIZED["steps"]
    return out


def describe_preview_sizing(store: ProjectStore) -> str:
    """What a render on preview models draws at, in words (empty when nothing changes)."""
    sizing = preview_sizing(store)
    if not sizing:
        return ""
    s = store.settings()
    width, height = sizing.get("width", s.width), sizing.get("height", s.height)
    return (
        f"drawing at {width}×{height}, {sizing.get('steps', s.steps)} steps instead of the "
        "project's defaults (set size and steps to choose your own)"
    )
