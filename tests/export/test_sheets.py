"""PNG contact sheet, animatic GIF, poses as OpenPose JSON, and the ZIP of PNGs."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import pytest
from PIL import Image

from storyboard_app.export import (
    ExportBoard,
    ExportError,
    export_animatic_gif,
    export_contact_sheet_png,
    export_png_zip,
    export_poses,
)
from storyboard_app.export.sheets import SHEET_GAP, SHEET_MARGIN
from storyboard_app.project.safe_write import FileWriteError
from tests.export import poppler
from tests.export.boards import make_board, panel_colour


def _with(board: ExportBoard, **changes_by_index) -> ExportBoard:
    panels = list(board.panels)
    for key, fields in changes_by_index.items():
        i = int(key.removeprefix("p"))
        panels[i] = replace(panels[i], **fields)
    return replace(board, panels=tuple(panels))


def test_contact_sheet_is_one_image_of_the_board(tmp_path):
    board = make_board(10)
    out = export_contact_sheet_png(board, tmp_path / "sheet.png", columns=4, thumb_width=200)
    with Image.open(out) as image:
        assert image.width == 2 * SHEET_MARGIN + 4 * 200 + 3 * SHEET_GAP
        assert image.height > 3 * 200  # three rows of square frames
        rgb = image.convert("RGB")
        # First frame, top-left: its colour is in the middle of the first cell.
        centre = (SHEET_MARGIN + 100, SHEET_MARGIN + 72 + 100)
        assert poppler.close(rgb.getpixel(centre), panel_colour(0))


def test_animatic_has_a_frame_per_panel_for_its_duration(tmp_path):
    board = make_board(5, size=(320, 180))
    board = _with(board, p2={"duration": 0.25}, p4={"duration": 3.0})
    out = export_animatic_gif(board, tmp_path / "animatic.gif")
    with Image.open(out) as gif:
        assert gif.n_frames == 5
        assert gif.size == (640, 360)
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
        assert durations == [round(p.duration * 1000) for p in board.panels]
        gif.seek(0)
        assert poppler.close(gif.convert("RGB").getpixel((320, 120)), panel_colour(0), 40)


def test_animatic_size_can_be_chosen(tmp_path):
    out = export_animatic_gif(make_board(2), tmp_path / "a.gif", size=(200, 100), captions=False)
    with Image.open(out) as gif:
        assert gif.size == (200, 100) and gif.n_frames == 2


def test_zip_names_pngs_by_shot_safely_and_uniquely(tmp_path):
    board = _with(
        make_board(12),
        p0={"shot_label": "1A"},
        p1={"shot_label": "1A"},
        p2={"shot_label": "sc/2: wide?"},
        p3={"image_png": None},
    )
    out = export_png_zip(board, tmp_path / "board.zip", shot_numbering="1")
    with zipfile.ZipFile(out) as archive:
        numbered = [f"{n:02d}.png" for n in range(5, 13)]  # 05 sorts before 10
        assert archive.namelist() == ["01A.png", "01A-2.png", "sc_2_ wide.png", *numbered]
        assert sorted(archive.namelist()[3:]) == archive.namelist()[3:]
        with Image.open(io.BytesIO(archive.read("sc_2_ wide.png"))) as image:
            assert image.getpixel((5, 5))[:3] == panel_colour(2)


def test_poses_are_written_as_openpose_json_by_shot(tmp_path):
    pose = json.dumps({"people": [{"pose_keypoints_2d": [0.5, 0.5, 1.0] * 18}]})
    board = _with(make_board(3), p0={"pose_json": pose, "shot_label": "1A"}, p2={"pose_json": pose})
    written = export_poses(board, tmp_path / "poses")
    assert [p.name for p in written] == ["1A.json", "3.json"]
    assert json.loads(written[0].read_text())["people"][0]["pose_keypoints_2d"][:3] == [0.5, 0.5, 1]


def test_bad_pose_json_is_refused_before_writing(tmp_path):
    board = _with(make_board(2), p0={"pose_json": "{}"}, p1={"pose_json": "{not json"})
    with pytest.raises(ExportError, match="frame 2"):
        export_poses(board, tmp_path / "poses")
    assert list((tmp_path / "poses").iterdir()) == []


def test_sheet_exports_are_atomic(tmp_path):
    existing = tmp_path / "board.zip"
    existing.write_bytes(b"keep me")
    board = _with(make_board(3), p2={"image_png": b"\x89PNG\r\n\x1a\n broken"})
    with pytest.raises(ExportError, match="frame 3"):
        export_png_zip(board, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(FileWriteError, match="does not exist"):
        export_animatic_gif(make_board(2), tmp_path / "missing" / "a.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.zip"]
