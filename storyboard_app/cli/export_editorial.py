"""The editorial hand-off flags of ``storyboard export``: ``--video``, ``--timeline``, ``--csv``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storyboard_app.export.board import ExportBoard

BURN_INS = ("shot", "scene", "timecode")


def burn_in_list(text: str) -> tuple[str, ...]:
    """``shot,timecode`` -> what the video burns in (``none`` for nothing)."""
    if text.strip() == "none":
        return ()
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in BURN_INS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown burn-in {unknown[0]!r}; choose from {', '.join(BURN_INS)}"
        )
    return names


def video_size(text: str) -> tuple[int, int]:
    """``1280x720`` -> (1280, 720)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size looks like 1280x720, not {text!r}") from None
    return width, height


def add_editorial_flags(e: argparse.ArgumentParser) -> None:
    """Flags for the MP4 animatic, the timeline and the shot list."""
    g = e.add_argument_group("editorial hand-off")
    g.add_argument("--video", type=Path, help="H.264 MP4 animatic")
    g.add_argument("--timeline", type=Path, help=".otio, .xml (FCP7/Premiere), .fcpxml or .edl")
    g.add_argument("--csv", type=Path, help="shot list")
    g.add_argument(
        "--fps", type=int, choices=(24, 25, 30), default=24, help="video, timeline, CSV timecodes"
    )
    g.add_argument("--video-size", type=video_size, help="video / GIF: WxH (default 640 wide)")
    g.add_argument(
        "--burn-in",
        type=burn_in_list,
        default=("shot",),
        help="video: shot,scene,timecode (or none)",
    )
    g.add_argument("--audio", type=Path, help="video: a sound file laid under the pictures")
    g.add_argument("--no-captions", action="store_true", help="video / GIF: no subtitles")


def export_editorial(board: ExportBoard, args: argparse.Namespace) -> None:
    """Write whichever of the video, timeline and shot list the flags ask for."""
    from storyboard_app.export.animatic import BurnIn
    from storyboard_app.export.shotlist import export_shot_list
    from storyboard_app.export.timeline import export_timeline
    from storyboard_app.export.video import export_video

    if args.video:
        burn_in = BurnIn(*(name in args.burn_in for name in BURN_INS))
        print(f"Exporting {args.video}...", file=sys.stderr, flush=True)
        video = export_video(
            board,
            args.video,
            size=args.video_size,
            fps=args.fps,
            captions=not args.no_captions,
            burn_in=burn_in,
            audio=args.audio,
            shot_numbering=args.shot_numbering,
        )
        print(
            f"Wrote {video.path} ({video.size[0]}×{video.size[1]}, {video.frames} frames at "
            f"{video.fps} fps, {video.seconds:.2f} s).",
            flush=True,
        )
    if args.timeline:
        timeline = export_timeline(
            board, args.timeline, fps=args.fps, shot_numbering=args.shot_numbering
        )
        print(
            f"Wrote {timeline.path} ({len(timeline.clips)} clips; stills in {timeline.images}).",
            flush=True,
        )
    if args.csv:
        path = export_shot_list(board, args.csv, fps=args.fps, shot_numbering=args.shot_numbering)
        print(f"Wrote {path}.", flush=True)
