"""Time in the story: where each frame starts in the animatic, the running time of each scene
and of the whole story, and which frame shows at a given moment."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from storyboard_app.project.model import BoardCard, Scene
from storyboard_app.project.numbering import ShotNumbering, frame_shot_labels


@dataclass(frozen=True)
class TimedFrame:
    """One frame in the animatic: when it starts and how long it shows (seconds), its shot
    label, its scene and caption, and the image it shows (None: none yet)."""

    frame_id: int
    start: float
    duration: float
    shot: str
    scene_id: int
    scene_label: str
    caption: str
    image_id: int | None

    @property
    def end(self) -> float:
        """When the next frame starts."""
        return self.start + self.duration


@dataclass(frozen=True)
class Timeline:
    """The story's frames one after another at their durations."""

    frames: tuple[TimedFrame, ...]

    @property
    def duration(self) -> float:
        """The story's running time in seconds."""
        return self.frames[-1].end if self.frames else 0.0

    def index_at(self, moment: float) -> int | None:
        """The frame showing at ``moment`` (a frame of no duration never shows; past the end:
        the last frame); None for an empty story."""
        if not self.frames:
            return None
        starts = [f.start for f in self.frames]
        index = bisect.bisect_right(starts, max(0.0, moment)) - 1
        while index > 0 and self.frames[index].duration == 0:
            index -= 1
        return max(0, min(index, len(self.frames) - 1))

    def start_of(self, frame_id: int) -> float:
        """When a frame starts (0 for a frame that is not in the story)."""
        return next((f.start for f in self.frames if f.frame_id == frame_id), 0.0)


def scene_label(scene: Scene) -> str:
    """``Scene 2A: INT. LAMP ROOM - NIGHT`` (the number as printed, the heading if any)."""
    number = scene.number or str(scene.position + 1)
    return f"Scene {number}: {scene.heading}" if scene.heading else f"Scene {number}"


def build_timeline(
    cards: Sequence[BoardCard],
    scenes: Sequence[Scene],
    numbering: ShotNumbering | str = ShotNumbering.SCENE_LETTER,
) -> Timeline:
    """The animatic of a board read in one snapshot (``store.board()``, ``store.scenes()``)."""
    labels = frame_shot_labels([c.frame for c in cards], scenes, numbering)
    by_id = {scene.id: scene for scene in scenes}
    frames = []
    start = 0.0
    for card in cards:
        frame = card.frame
        scene = by_id.get(frame.scene_id or 0)
        frames.append(
            TimedFrame(
                frame_id=frame.id,
                start=start,
                duration=frame.duration,
                shot=labels[frame.id],
                scene_id=frame.scene_id or 0,
                scene_label=scene_label(scene) if scene else "",
                caption=frame.caption,
                image_id=card.current_image_id,
            )
        )
        start += frame.duration
    return Timeline(tuple(frames))


def scene_durations(timeline: Timeline) -> dict[int, float]:
    """scene id -> the scene's running time in seconds (scenes without frames are absent)."""
    totals: dict[int, float] = {}
    for frame in timeline.frames:
        totals[frame.scene_id] = totals.get(frame.scene_id, 0.0) + frame.duration
    return totals


def running_time(seconds: float) -> str:
    """``1:05.5`` (minutes:seconds, tenths shown when not whole); ``1:02:03`` past an hour."""
    tenths = round(seconds * 10)
    minutes, rest = divmod(tenths, 600)
    hours, minutes = divmod(minutes, 60)
    whole, tenth = divmod(rest, 10)
    text = f"{whole:02d}" + (f".{tenth}" if tenth else "")
    return f"{hours}:{minutes:02d}:{text}" if hours else f"{minutes}:{text}"
