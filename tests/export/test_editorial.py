"""Editorial hand-off: the MP4 animatic probed, timelines re-read with OpenTimelineIO, the
CSV shot list, and animatic text in a CJK fallback font."""

from __future__ import annotations

import csv
import math
import shutil
import struct
import subprocess
import wave
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import opentimelineio as otio
import pytest

from storyboard_app.export.animatic import BurnIn, FramePainter, FrameText
from storyboard_app.export.shotlist import export_shot_list
from storyboard_app.export.timeline import export_timeline
from storyboard_app.export.video import export_video
from tests.export.boards import make_board
from tests.export.projects import make_project, storyboard

DURATIONS = [1.0, 1.5, 2.0, 2.5, 0.3]  # 0.3 s is 7.2 frames at 24 fps


def board_with_durations():
    board = make_board(len(DURATIONS), size=(160, 90))
    panels = [replace(p, duration=d) for p, d in zip(board.panels, DURATIONS)]
    panels[2] = replace(panels[2], scene_heading="EXT. HARBOUR - DAWN", shot_label="3A")
    return replace(board, panels=tuple(panels))


def probe(path: Path) -> tuple[int, float, list[str]]:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        frames = sum(1 for packet in container.demux(video) if packet.size)
        seconds = float(video.duration * video.time_base)
        return frames, seconds, [s.type for s in container.streams]


def test_mp4_lasts_the_sum_of_the_frames_durations(tmp_path):
    out = tmp_path / "animatic.mp4"
    report = export_video(board_with_durations(), out, size=(96, 54))
    frames, seconds, kinds = probe(out)
    assert frames == report.frames == round(sum(DURATIONS) * 24)
    assert seconds == pytest.approx(sum(DURATIONS), abs=1 / 24)
    assert kinds == ["video"]
    with av.open(str(out)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


def test_mp4_burn_ins_and_an_audio_track(tmp_path):
    sound = tmp_path / "tone.wav"
    with wave.open(str(sound), "wb") as track:
        track.setnchannels(1)
        track.setsampwidth(2)
        track.setframerate(8000)
        samples = (int(6000 * math.sin(i / 8)) for i in range(8000 * 12))
        track.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    out = tmp_path / "animatic.mp4"
    burn_in = BurnIn(shot=True, scene=True, timecode=True)
    export_video(board_with_durations(), out, size=(160, 90), burn_in=burn_in, audio=sound)
    frames, seconds, kinds = probe(out)
    assert kinds == ["video", "audio"] and seconds == pytest.approx(sum(DURATIONS), abs=1 / 24)
    with av.open(str(out)) as container:
        pictures = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(pictures) == frames
    corner = (slice(0, 14), slice(110, 160))  # the running timecode changes every frame
    assert not np.array_equal(pictures[0][corner], pictures[1][corner])


@pytest.mark.parametrize("suffix", [".otio", ".xml", ".fcpxml", ".edl"])
def test_timelines_read_back_with_the_frames_in_order_at_their_durations(suffix, tmp_path):
    board = board_with_durations()
    out = tmp_path / f"board{suffix}"
    report = export_timeline(board, out)
    timeline = otio.adapters.read_from_file(str(out))
    clips = list(timeline.find_clips())
    assert [c.name for c in clips] == ["1", "2", "3A", "4", "5"]
    lengths = [c.source_range.duration.to_frames() for c in clips]
    assert lengths == list(report.clips) and sum(lengths) == round(sum(DURATIONS) * 24)
    assert all(c.source_range.duration.rate == 24 for c in clips)
    stills = [Path(c.media_reference.target_url.removeprefix("file://")) for c in clips]
    assert [p.name for p in stills] == [f"{n:04d}.png" for n in range(1, 6)]
    assert all(p.parent == tmp_path / "board-frames" and p.is_file() for p in stills)


def test_csv_shot_list_has_timecodes_in_and_out(tmp_path):
    out = export_shot_list(board_with_durations(), tmp_path / "shots.csv")
    with open(out, encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["shot"] for r in rows] == ["1", "2", "3A", "4", "5"]
    assert rows[1]["timecode_in"] == "00:00:01:00" and rows[1]["timecode_out"] == "00:00:02:12"
    assert rows[2]["scene"] == rows[3]["scene"] == "EXT. HARBOUR - DAWN"
    assert rows[-1]["timecode_out"] == "00:00:07:07"  # 7.3 s: the rounding never drifts


@pytest.mark.skipif(
    shutil.which("fc-list") is None
    or not subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True).stdout,
    reason="no font with Japanese glyphs installed",
)
def test_animatic_subtitles_fall_back_to_a_cjk_font():
    """Tofu boxes look alike whatever the character; real glyphs differ."""
    panel = make_board(1, size=(160, 90)).panels[0]
    painter = FramePainter((640, 360))

    def band(caption: str) -> np.ndarray:
        image = painter.paint(panel, FrameText("1", caption))
        image = image.convertToFormat(image.Format.Format_Grayscale8)
        rows = np.frombuffer(image.constBits(), np.uint8).reshape(360, image.bytesPerLine())
        return rows[300:, :640].copy()

    rain, light, blank = band("雨雨雨雨"), band("光光光光"), band("")
    assert (rain != blank).mean() > 0.05  # something is drawn
    assert (rain != light).mean() > 0.01  # and it is the characters themselves


def test_editorial_hand_off_from_the_command_line(tmp_path):
    project = make_project(tmp_path / "kites.storyiter", frames=3)
    video, timeline, shots = tmp_path / "a.mp4", tmp_path / "a.fcpxml", tmp_path / "a.csv"
    result = storyboard(
        "export", project, "--video", video, "--burn-in", "shot,timecode", "--video-size", "96x54",
        "--timeline", timeline, "--csv", shots,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "96×54, 144 frames at 24 fps, 6.00 s" in result.stdout
    assert probe(video)[0] == 144
    assert len(list(otio.adapters.read_from_file(str(timeline)).find_clips())) == 3
    assert len(shots.read_text(encoding="utf-8-sig").splitlines()) == 4
    refused = storyboard("export", project, "--timeline", tmp_path / "a.mov")
    assert refused.returncode == 2 and "a .mov name does not fit the timeline" in refused.stderr
