"""Durations as every export prints them: one format for a frame, the story, and timecode."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_FPS = 24


def duration_text(seconds: float) -> str:
    """A frame's duration: ``2 s``, ``2.5 s``, ``0.25 s`` (at most two decimals)."""
    return f"{seconds:.2f}".rstrip("0").rstrip(".") + " s"


def running_time_text(seconds: float) -> str:
    """A total running time: ``0:07``, ``1:05``, ``1:02:03`` (to the nearest second)."""
    whole = int(seconds + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def frame_counts(durations: Sequence[float], fps: int = DEFAULT_FPS) -> list[int]:
    """Each duration as a whole number of video frames (at least one), rounded so that
    the running total never drifts more than half a frame from the exact sum."""
    counts, exact, placed = [], 0.0, 0
    for seconds in durations:
        exact += seconds * fps
        count = max(1, round(exact) - placed)
        counts.append(count)
        placed += count
    return counts


def timecode(frames: int, fps: int = DEFAULT_FPS) -> str:
    """Non-drop-frame SMPTE timecode ``HH:MM:SS:FF`` of a frame count."""
    seconds, ff = divmod(frames, fps)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"
