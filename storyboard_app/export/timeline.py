"""The board as an editorial timeline through OpenTimelineIO: ``.otio``, FCP7 / Premiere XML
(``.xml``), FCPXML (``.fcpxml``) and CMX 3600 EDL (``.edl``), chosen by the file's suffix.

One video track, one clip per frame in board order, each as long as the frame's duration at
the timeline's frame rate, named by its shot label, carrying frame number, caption, notes and
scene in its metadata, and referencing its still in a zero-padded image sequence written
beside the timeline (``board.xml`` -> ``board-frames/0001.png``...). Every file goes through
the safe writer; the timeline is re-read with OpenTimelineIO before it replaces anything.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio

from storyboard_app.export import checks
from storyboard_app.export.animatic import FramePainter, FrameText, animatic_size
from storyboard_app.export.board import ExportBoard, ExportError, ShotNumbering
from storyboard_app.export.images import decode_pil, image_size, is_png
from storyboard_app.export.layout import describe_frame
from storyboard_app.export.naming import shot_labels
from storyboard_app.export.timing import DEFAULT_FPS, frame_counts
from storyboard_app.project.cancel import check_cancel
from storyboard_app.project.safe_write import (
    FileWriteError,
    OutputCheckError,
    Verify,
    check_target,
    write_bytes,
    write_text,
)
from storyboard_app.project.storage import os_error_cause

ADAPTERS = {".otio": "otio_json", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml", ".edl": "cmx_3600"}
FORMAT_NAMES = {
    ".otio": "OpenTimelineIO",
    ".xml": "FCP7 / Premiere XML",
    ".fcpxml": "FCPXML",
    ".edl": "CMX 3600 EDL",
}


@dataclass(frozen=True)
class TimelineReport:
    """What was written: the timeline, its image folder and its clips' lengths in frames."""

    path: Path
    images: Path
    fps: int
    clips: tuple[int, ...]


def image_folder(out: Path) -> Path:
    """Where a timeline's stills go: ``board.xml`` -> ``board-frames/`` beside it."""
    return out.with_name(f"{out.stem}-frames")


def export_timeline(
    board: ExportBoard,
    out: Path | str,
    *,
    fps: int = DEFAULT_FPS,
    shot_numbering: ShotNumbering = "1",
) -> TimelineReport:
    """Write ``board`` as a timeline at ``out`` (format by suffix) with its stills beside it."""
    path = check_target(out, "the timeline", suffixes=tuple(ADAPTERS))
    suffix = path.suffix.lower()
    if suffix not in ADAPTERS:
        raise ExportError(f"Name the timeline {path.name} with one of {', '.join(ADAPTERS)}.")
    folder = image_folder(path)
    stills = _write_stills(board, folder)
    labels = shot_labels(board.panels, shot_numbering)
    counts = frame_counts([p.duration for p in board.panels], fps)
    timeline = build_timeline(board, labels, counts, stills, fps)
    adapter = ADAPTERS[suffix]
    try:
        text = otio.adapters.write_to_string(timeline, adapter_name=adapter)
    except Exception as exc:  # an adapter's own refusal, in its words
        raise ExportError(f"{FORMAT_NAMES[suffix]} cannot hold this board: {exc}") from None
    write_text(path, text, "the timeline", suffixes=(suffix,), verify=_reread(adapter, counts))
    return TimelineReport(path, folder, fps, tuple(counts))


def build_timeline(
    board: ExportBoard,
    labels: Sequence[str],
    counts: Sequence[int],
    stills: Sequence[Path],
    fps: int,
) -> otio.schema.Timeline:
    """One video track of one clip per frame, each referencing its still."""
    timeline = otio.schema.Timeline(name=board.title or "Storyboard")
    timeline.global_start_time = otio.opentime.RationalTime(0, fps)
    track = otio.schema.Track(name="Storyboard", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for panel, label, count, still in zip(board.panels, labels, counts, stills):
        length = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, fps), otio.opentime.RationalTime(count, fps)
        )
        reference = otio.schema.ExternalReference(target_url=still.as_uri(), available_range=length)
        clip = otio.schema.Clip(name=label, media_reference=reference, source_range=length)
        clip.metadata["storyiter"] = {
            "frame": panel.index,
            "shot": label,
            "caption": panel.caption,
            "notes": panel.notes,
            "scene": panel.scene_heading,
            "duration_seconds": panel.duration,
        }
        track.append(clip)
    return timeline


def _write_stills(board: ExportBoard, folder: Path) -> list[Path]:
    """Every frame's image as ``0001.png``...; a frame without one gets a placeholder."""
    if folder.exists() and not folder.is_dir():
        raise FileWriteError(f"Cannot write the timeline's images into {folder}: it is a file.")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise FileWriteError(
            f"Cannot create the timeline's image folder {folder}: {os_error_cause(exc)}."
        ) from None
    width = max(4, len(str(len(board.panels))))
    placeholder = None
    written = []
    for panel in board.panels:
        check_cancel()
        name = describe_frame(panel)
        if panel.image_png is None:
            if placeholder is None:
                size = animatic_size(board, None, even=False)
                placeholder = _png(FramePainter(size).paint(panel, FrameText("")))
            data = placeholder
        elif is_png(panel.image_png):
            data = panel.image_png
        else:
            buffer = io.BytesIO()
            decode_pil(panel.image_png, name).save(buffer, "PNG")
            data = buffer.getvalue()
        size = image_size(data, name)
        target = folder / f"{panel.index:0{width}d}.png"
        verify = checks.image_file("PNG", size)
        written.append(write_bytes(target, data, f"the image of {name}", verify=verify))
    return written


def _png(image) -> bytes:
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def _reread(adapter: str, counts: Sequence[int]) -> Verify:
    """The written timeline reads back with OpenTimelineIO: its clips, in order, at length."""

    def check(path: Path) -> None:
        try:
            timeline = otio.adapters.read_from_string(
                path.read_text(encoding="utf-8"), adapter_name=adapter
            )
        except Exception as exc:  # any adapter's parse error
            raise OutputCheckError(f"OpenTimelineIO cannot read it back: {exc}") from None
        found = [clip.source_range.duration.to_frames() for clip in timeline.find_clips()]
        if found != list(counts):
            raise OutputCheckError(f"it reads back as {len(found)} clips of other lengths")

    return check
