"""The board outside a PDF: a PNG contact sheet, an animatic GIF, pose JSON, a ZIP of PNGs.

Every file is written safely (``project.safe_write``: temp file beside the target, re-read and
checked, then renamed). File
names inside the ZIP and in the pose folder are the panels' shot labels, made safe for
every operating system and unique.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QRectF
from PySide6.QtGui import QImage, QPainter

from engine.json_limits import JsonLimitError, load_json
from storyboard_app.export import checks
from storyboard_app.export.animatic import FramePainter, FrameText, animatic_size, to_pil
from storyboard_app.export.board import (
    ExportBoard,
    ExportError,
    ExportOptions,
    ExportPanel,
    ShotNumbering,
)
from storyboard_app.export.images import decode_pil, image_size, is_png
from storyboard_app.export.layout import (
    PageLayout,
    PanelSlot,
    Rect,
    TextBlock,
    describe_frame,
    panel_aspects,
    single_line,
    text_block,
)
from storyboard_app.export.naming import (
    padded_numbers,
    safe_file_stem,
    shot_labels,
    unique_file_names,
)
from storyboard_app.export.painter import PAPER, paint_page
from storyboard_app.export.qt import ensure_gui_app
from storyboard_app.export.timing import duration_text
from storyboard_app.export.typeset import Fitted, Typesetter, paragraphs
from storyboard_app.project.cancel import check_cancel
from storyboard_app.project.model import MAX_POSE_JSON_LENGTH
from storyboard_app.project.safe_write import (
    check_target,
    json_document,
    safe_output,
    write_bytes,
    write_text,
)

_SHEET_OPTIONS = ExportOptions(layout="film")  # thin frame borders, no bleed


# ---------------------------------------------------------------------------- contact sheet


def export_contact_sheet_png(
    board: ExportBoard,
    out: Path | str,
    columns: int = 4,
    thumb_width: int = 320,
    shot_numbering: ShotNumbering = "1",
) -> Path:
    """One PNG image of the whole board: every frame with its shot label and caption.

    The image is ``2 * 40 + columns * thumb_width + (columns - 1) * 24`` pixels wide;
    rows grow to hold each caption in full.
    """
    if not 1 <= columns <= 16 or not 64 <= thumb_width <= 2048:
        raise ExportError("A contact sheet has 1 to 16 columns of 64 to 2048 pixel frames.")
    check_target(out, "the contact sheet", suffixes=(".png",))
    ensure_gui_app()
    page = contact_sheet_layout(board, columns, thumb_width, shot_numbering)
    image = QImage(round(page.width), round(page.height), QImage.Format.Format_RGB32)
    image.fill(PAPER)
    painter = QPainter(image)
    try:
        paint_page(painter, page, board, _SHEET_OPTIONS, QRectF(0, 0, page.width, page.height))
    finally:
        painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ExportError(f"The contact sheet could not be encoded as PNG for {out}.")
    size = (image.width(), image.height())
    return write_bytes(
        out,
        bytes(buffer.data()),
        "the contact sheet",
        suffixes=(".png",),
        verify=checks.image_file("PNG", size),
    )


SHEET_MARGIN = 40
SHEET_GAP = 24


def contact_sheet_layout(
    board: ExportBoard, columns: int, thumb_width: int, shot_numbering: ShotNumbering = "1"
) -> PageLayout:
    """The contact sheet as one page whose units are pixels."""
    if not board.panels:
        raise ExportError("The board has no frames to export.")
    typesetter = Typesetter()
    labels = shot_labels(board.panels, shot_numbering)
    aspects, typical = panel_aspects(board)
    scale = thumb_width / 320
    label_size, caption_size = 15 * scale, 13 * scale
    width = 2 * SHEET_MARGIN + columns * thumb_width + (columns - 1) * SHEET_GAP
    texts = [
        single_line(
            typesetter,
            "title",
            board.title or "Untitled",
            Rect(SHEET_MARGIN, SHEET_MARGIN, width - 2 * SHEET_MARGIN, 34),
            26,
            bold=True,
        ),
        single_line(
            typesetter,
            "subtitle",
            f"{len(board.panels)} frames · {board.created}",
            Rect(SHEET_MARGIN, SHEET_MARGIN + 36, width - 2 * SHEET_MARGIN, 20),
            14,
        ),
    ]
    y = SHEET_MARGIN + 72.0
    box_h = thumb_width / typical
    slots: list[PanelSlot] = []
    for start in range(0, len(board.panels), columns):
        positions = range(start, min(len(board.panels), start + columns))
        captions = {
            p: typesetter.set_text(paragraphs(board.panels[p].caption), thumb_width, caption_size)
            for p in positions
        }
        caption_h = max(
            (
                lines[-1].top + typesetter.line_height(caption_size)
                for lines in captions.values()
                if lines
            ),
            default=0.0,
        )
        for column, position in enumerate(positions):
            x = SHEET_MARGIN + column * (thumb_width + SHEET_GAP)
            image = Rect(x, y, thumb_width, box_h).fitted(aspects[position])
            image = Rect(image.x, y, image.w, image.h)
            bar = Rect(x, y + box_h + 6, thumb_width, label_size * 1.4)
            panel = board.panels[position]
            blocks: list[TextBlock] = [
                single_line(typesetter, "shot", labels[position], bar, label_size, bold=True),
                single_line(
                    typesetter,
                    "duration",
                    duration_text(panel.duration),
                    bar,
                    caption_size,
                    align="right",
                ),
            ]
            lines = captions[position]
            if lines:
                fitted = Fitted(caption_size, tuple(lines), caption_h)
                blocks.append(
                    text_block("caption", Rect(x, bar.bottom + 2, thumb_width, caption_h), fitted)
                )
            if panel.image_png is None:
                blocks.append(
                    single_line(typesetter, "placeholder", "No image", image, 14, align="center")
                )
            slots.append(PanelSlot(position, labels[position], image, image, "fit", tuple(blocks)))
        y = bar.bottom + 2 + caption_h + SHEET_GAP
    height = round(y - SHEET_GAP + SHEET_MARGIN)
    return PageLayout(
        1, 1, "sheet", width, height, Rect(0, 0, width, height), tuple(slots), tuple(texts)
    )


# ---------------------------------------------------------------------------- animatic


def export_animatic_gif(
    board: ExportBoard,
    out: Path | str,
    size: tuple[int, int] | None = None,
    captions: bool = True,
    shot_numbering: ShotNumbering = "1",
) -> Path:
    """An animated GIF showing each frame for its duration (looping).

    ``size`` is (width, height) in pixels; by default 640 wide at the board's typical
    image shape. Frames are painted like the MP4's (``animatic.FramePainter``): images
    fitted whole on black, the shot label, captions as subtitles, in the export font with
    an installed font for characters it lacks (CJK). GIF timing has 10 ms steps, and
    identical consecutive frames are merged (their durations add up).
    """
    check_target(out, "the animatic", suffixes=(".gif",))
    width, height = animatic_size(board, size, even=False)
    labels = shot_labels(board.panels, shot_numbering)
    painter = FramePainter((width, height))
    frames = [
        to_pil(painter.paint(panel, FrameText(label, panel.caption if captions else "")))
        for panel, label in zip(board.panels, labels)
    ]
    durations = [max(20, round(panel.duration * 100) * 10) for panel in board.panels]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        disposal=1,
    )
    verify = checks.image_file("GIF", (width, height), len(frames), sum(durations))
    return write_bytes(out, buffer.getvalue(), "the animatic", suffixes=(".gif",), verify=verify)


# ---------------------------------------------------------------------------- files by shot


def export_poses(
    board: ExportBoard, out_dir: Path | str, shot_numbering: ShotNumbering = "1"
) -> list[Path]:
    """Write each frame's pose as OpenPose JSON, ``<shot>.json``; frames without one are skipped.

    The folder is created if needed. Returns the files written, in board order.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"Cannot write poses into {out_dir}: it is a file, not a folder.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(
            f"Cannot create the pose folder {out_dir}: {exc.strerror or exc}."
        ) from None
    named = _named(board, ".json", shot_numbering, lambda p: p.pose_json is not None)
    poses = []
    for panel, label, name in named:
        assert panel.pose_json is not None
        try:
            load_json(panel.pose_json, max_bytes=MAX_POSE_JSON_LENGTH * 4)
        except JsonLimitError as exc:
            raise ExportError(f"The pose of {describe_frame(panel, label)} is {exc}") from None
        poses.append((panel.pose_json, out_dir / name))
    return [
        write_text(path, text, "the pose", suffixes=(".json",), verify=json_document)
        for text, path in poses
    ]


def export_png_zip(
    board: ExportBoard, out: Path | str, shot_numbering: ShotNumbering = "1"
) -> Path:
    """A ZIP of every frame's image as ``<shot>.png``; frames without an image are skipped."""
    named = _named(board, ".png", shot_numbering, lambda p: p.image_png is not None)
    if not named:
        raise ExportError("No frame of the board has an image to put in the ZIP.")
    names = [name for _, _, name in named]
    verify = checks.zip_entries(names)
    with (
        safe_output(out, "the ZIP", suffixes=(".zip",), verify=verify) as temp,
        zipfile.ZipFile(temp, "w") as archive,
    ):
        for panel, label, name in named:
            check_cancel()
            assert panel.image_png is not None
            frame = describe_frame(panel, label)
            data = panel.image_png
            image_size(data, frame)
            if not is_png(data):
                buffer = io.BytesIO()
                decode_pil(data, frame).save(buffer, "PNG")
                data = buffer.getvalue()
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return check_target(out, "the ZIP", suffixes=(".zip",))


def _named(
    board: ExportBoard,
    suffix: str,
    shot_numbering: ShotNumbering,
    wanted: Callable[[ExportPanel], bool],
) -> list[tuple[ExportPanel, str, str]]:
    """The wanted panels with their shot labels and unique, safe file names."""
    labels = shot_labels(board.panels, shot_numbering)
    chosen = [(p, label) for p, label in zip(board.panels, labels) if wanted(p)]
    stems = padded_numbers([safe_file_stem(label, f"frame-{p.index}") for p, label in chosen])
    return [(p, label, name) for (p, label), name in zip(chosen, unique_file_names(stems, suffix))]
