"""The board as an MP4 animatic for editors: H.264 at a constant frame rate, each panel held
for its duration, optional burn-ins and an optional audio track (PyAV, FFmpeg in its wheel).

Durations become whole video frames with the running total kept within half a frame of the
exact sum (``timing.frame_counts``). The file is written through the safe writer and probed
before it replaces anything: its video stream must hold exactly the frames planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from storyboard_app.export.animatic import BurnIn, FramePainter, FrameText, animatic_size
from storyboard_app.export.board import ExportBoard, ExportError, ShotNumbering
from storyboard_app.export.naming import shot_labels
from storyboard_app.export.timing import DEFAULT_FPS, frame_counts, timecode
from storyboard_app.project.cancel import check_cancel
from storyboard_app.project.safe_write import OutputCheckError, Verify, check_target, safe_output

VIDEO_SUFFIXES = (".mp4",)
NO_BURN_IN = BurnIn(shot=False)
FPS_CHOICES = (24, 25, 30)


@dataclass(frozen=True)
class VideoReport:
    """What the animatic holds: its path, size, frames and duration in seconds."""

    path: Path
    size: tuple[int, int]
    fps: int
    frames: int
    seconds: float
    audio: bool


def export_video(
    board: ExportBoard,
    out: Path | str,
    *,
    size: tuple[int, int] | None = None,
    fps: int = DEFAULT_FPS,
    captions: bool = True,
    burn_in: BurnIn = NO_BURN_IN,
    audio: Path | None = None,
    shot_numbering: ShotNumbering = "1",
) -> VideoReport:
    """Write ``board`` as an H.264 MP4 at ``out``; each frame shown for its duration.

    ``burn_in`` chooses the shot label, scene heading and timecode burned into the picture;
    ``audio`` is a sound file (any format FFmpeg reads) laid under the pictures, cut at the
    animatic's end.
    """
    if fps not in FPS_CHOICES:
        raise ExportError(f"The animatic's frame rate must be one of {FPS_CHOICES} (got {fps}).")
    path = check_target(out, "the video", suffixes=VIDEO_SUFFIXES)
    if audio is not None and not Path(audio).is_file():
        raise ExportError(f"The audio file {audio} does not exist.")
    width, height = animatic_size(board, size, even=True)
    counts = frame_counts([p.duration for p in board.panels], fps)
    total = sum(counts)
    verify = _probe(total, fps, (width, height), audio is not None)
    with safe_output(path, "the video", suffixes=VIDEO_SUFFIXES, verify=verify) as temp:
        _encode(board, temp, (width, height), fps, counts, captions, burn_in, shot_numbering, audio)
    return VideoReport(path, (width, height), fps, total, total / fps, audio is not None)


def _encode(
    board: ExportBoard,
    temp: Path,
    size: tuple[int, int],
    fps: int,
    counts: list[int],
    captions: bool,
    burn_in: BurnIn,
    shot_numbering: ShotNumbering,
    audio: Path | None,
) -> None:
    painter = FramePainter(size)
    labels = shot_labels(board.panels, shot_numbering)
    scene = ""
    try:
        container = av.open(str(temp), mode="w", format="mp4")
    except av.FFmpegError as exc:
        raise OSError(getattr(exc, "errno", None), str(exc)) from None
    with container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast", "tune": "stillimage"}
        sound = _audio_in(audio, container) if audio is not None else None
        shown = 0
        for panel, label, count in zip(board.panels, labels, counts):
            scene = panel.scene_heading.strip() or scene
            for k in range(count):
                check_cancel()
                text = FrameText(
                    label=label if burn_in.shot else "",
                    caption=panel.caption if captions else "",
                    scene=scene if burn_in.scene else "",
                    timecode=timecode(shown + k, fps) if burn_in.timecode else "",
                )
                if k == 0 or burn_in.timecode:  # a still panel is painted once
                    pixels = _rgb(painter.paint(panel, text))
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                frame.pts = shown + k
                frame.time_base = Fraction(1, fps)
                container.mux(stream.encode(frame))
            shown += count
        container.mux(stream.encode(None))
        if sound is not None:
            _mux_audio(*sound, container, Fraction(shown, fps))


def _rgb(image) -> np.ndarray:
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return rows[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def _audio_in(audio: Path, container: av.container.OutputContainer):
    try:
        source = av.open(str(audio))
        track = source.streams.audio[0]
    except (av.FFmpegError, IndexError) as exc:
        raise ExportError(f"The audio file {audio} cannot be read as sound ({exc}).") from None
    out = container.add_stream("aac", rate=track.rate or 48000)
    return source, track, out


def _mux_audio(source, track, out, container, length: Fraction) -> None:
    """Re-encode the sound as AAC up to the animatic's end."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=out.rate)
    with source:
        for frame in source.decode(track):
            if frame.time is not None and frame.time >= length:
                break
            for part in resampler.resample(frame):
                part.pts = None
                container.mux(out.encode(part))
    container.mux(out.encode(None))


def _probe(frames: int, fps: int, size: tuple[int, int], audio: bool) -> Verify:
    """The file opens as an MP4 whose H.264 stream holds ``frames`` frames of ``size``."""

    def check(path: Path) -> None:
        try:
            with av.open(str(path)) as probe:
                video = probe.streams.video[0]
                found_size = (video.codec_context.width, video.codec_context.height)
                packets = sum(1 for p in probe.demux(video) if p.size)
                has_audio = bool(probe.streams.audio)
        except (av.FFmpegError, IndexError) as exc:
            raise OutputCheckError(f"it is not a readable video: {exc}") from None
        if video.codec_context.name != "h264" or found_size != size:
            raise OutputCheckError(f"its video is {video.codec_context.name} {found_size}")
        if packets != frames:
            raise OutputCheckError(f"it holds {packets} frames instead of {frames}")
        if has_audio != audio:
            raise OutputCheckError("its sound track is missing")

    return check
