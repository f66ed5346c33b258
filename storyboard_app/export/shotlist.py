"""The board as a CSV shot list: shot, scene, duration, timecode in / out, caption, notes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from storyboard_app.export.board import ExportBoard, ShotNumbering
from storyboard_app.export.naming import shot_labels
from storyboard_app.export.timing import DEFAULT_FPS, frame_counts, timecode
from storyboard_app.project.safe_write import OutputCheckError, Verify, write_text

COLUMNS = (
    "frame",
    "shot",
    "scene",
    "duration",
    "timecode_in",
    "timecode_out",
    "action",
    "caption",
    "notes",
)


def export_shot_list(
    board: ExportBoard,
    out: Path | str,
    *,
    fps: int = DEFAULT_FPS,
    shot_numbering: ShotNumbering = "1",
) -> Path:
    """Write one CSV row per frame (UTF-8 with a byte-order mark, so spreadsheets read it).

    Timecodes are those of the MP4 animatic and the timeline at ``fps``; ``duration`` is
    in seconds. The scene is the scene heading, carried forward to every frame of it.
    """
    labels = shot_labels(board.panels, shot_numbering)
    counts = frame_counts([p.duration for p in board.panels], fps)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    start, scene = 0, ""
    for panel, label, count in zip(board.panels, labels, counts):
        scene = panel.scene_heading.strip() or scene
        writer.writerow(
            (
                panel.index,
                label,
                scene,
                f"{panel.duration:g}",
                timecode(start, fps),
                timecode(start + count, fps),
                panel.action,
                panel.caption,
                panel.notes,
            )
        )
        start += count
    text = "\ufeff" + buffer.getvalue()
    return write_text(out, text, "the shot list", suffixes=(".csv",), verify=_rows(len(counts)))


def _rows(expected: int) -> Verify:
    def check(path: Path) -> None:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.reader(stream))
        if len(rows) != expected + 1 or tuple(rows[0]) != COLUMNS:
            raise OutputCheckError(f"it reads back as {len(rows) - 1} rows instead of {expected}")

    return check
