"""Consistency read-outs: stored at commit by the real runner, migrated, reported, acted on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine import embeddings as fig
from engine.api import RuntimeSettings
from engine.story_iter import StoryIterEngine
from storyboard_app.project import runner
from storyboard_app.project.report import FrameState, story_report
from storyboard_app.project.store import ProjectStore
from tests.project.readout_story import drifting_story

FIXTURE = Path(__file__).parents[1] / "fixtures" / "release-0.1.0.storyiter"
STORY = """@Mara: a lighthouse keeper in a yellow coat
@Tom: a small grey cat
@Mara | climbs the stairs | in the lamp room
@Mara and @Tom | share supper | by the stove
@Tom | sleeps | on the windowsill
@Mara | waves | at the harbour
A storm over the sea at night
"""


@pytest.fixture(scope="module")
def engine(preview_models) -> StoryIterEngine:
    return StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=3))


def _new(path: Path, text: str = STORY) -> ProjectStore:
    store = ProjectStore.create(path, title="Lamp")
    store.import_story_text(text)
    store.update_story(
        settings=replace(store.settings(), width=64, height=64, steps=2, rounds=3, seed=5)
    )
    return store


def test_every_committed_image_carries_its_readout(tmp_path, engine):
    with _new(tmp_path / "s.storyiter") as store:
        outcomes = runner.render(store, engine, rounds=2)
        assert [o.status for o in outcomes] == ["complete"] * 3
        rows = store.readout_rows()
        assert len(rows) == 15 and all(r[3] is not None for r in rows)
        frames = [f.id for f in store.frames()]
        by_frame = {f: [r for r in rows if r[0] == f] for f in frames}
        for images in by_frame.values():
            assert images[0][3].change is None  # a frame's first image has no previous one
            assert all(r[3].change is not None for r in images[1:])
            # Preview models' text and image widths match, so alignment is measured.
            assert all(r[3].alignment is not None for r in images)
        # The storm (frame 5) features nobody: no cast consistency.
        assert all(r[3].consistency is None and r[3].cast == {} for r in by_frame[frames[4]])
        # Frame 2 features Mara and Tom; both are in other frames.
        assert set(by_frame[frames[1]][-1][3].cast) == {"Mara", "Tom"}

        # The last image of the last pass was measured against every other frame's newest
        # image: recompute from the stored embeddings (float16 storage: 1e-2).
        frame_id, image_id, _, readout = rows[-1]
        last = {f: images[-1][1] for f, images in by_frame.items()}
        mine = store.image_embedding(image_id)
        tom_frames = [f for f in frames[1:3] if f != frame_id]
        if frame_id in (frames[1], frames[2]):
            expected = np.mean(
                [fig.cosine(mine, store.image_embedding(last[f])) for f in tom_frames]
            )
            assert readout.cast["Tom"] == pytest.approx(expected, abs=1e-2)
        assert readout.change == pytest.approx(
            fig.change(mine, store.image_embedding(by_frame[frame_id][-2][1])), abs=1e-2
        )


def test_a_project_of_release_0_1_0_is_brought_forward_with_readouts(tmp_path):
    path = tmp_path / "old.storyiter"
    shutil.copyfile(FIXTURE, path)
    before = FIXTURE.read_bytes()
    with ProjectStore.open(path) as store:
        rows = store.readout_rows()
        assert len(rows) == 12 and all(r[3] is not None for r in rows)
        assert all(r[3].alignment is None for r in rows)  # no text encoder in a migration
        assert sum(r[3].change is not None for r in rows) == 8  # rounds 1 and 2 of 4 frames
        assert any(r[3].consistency is not None for r in rows)
        report = story_report(store)
        assert len(report.frames) == 4
    assert FIXTURE.read_bytes() == before


def test_the_frame_showing_another_character_is_flagged_drifting(tmp_path):
    path = tmp_path / "crafted.storyiter"
    frames = drifting_story(path, odd=3)
    with ProjectStore.open_reader(path) as store:
        report = story_report(store)
    states = [f.state for f in report.frames]
    assert states[3] is FrameState.DRIFTING
    assert states.count(FrameState.DRIFTING) == 1
    assert report.drifting_frame_ids() == [frames[3]]
    assert "consistency" in report.frames[3].reasons[0]


@pytest.fixture(scope="module")
def cli_env(preview_models, tmp_path_factory) -> dict[str, str]:
    """An environment whose preview-model cache already holds the session's preview models
    (nothing reaches the user's own cache or configuration)."""
    home = tmp_path_factory.mktemp("readouts-cli")
    cache = home / "cache"
    shutil.copytree(preview_models.base.parent, cache / "preview-models" / "micro")
    return os.environ | {
        "STORYITER_CACHE_DIR": str(cache),
        "STORYITER_CONFIG_DIR": str(home / "config"),
    }


def _storyboard(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "storyboard_app.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_report_json_and_render_drifting_from_the_command_line(tmp_path, cli_env):
    path = tmp_path / "crafted.storyiter"
    frames = drifting_story(path, odd=2)
    out = _storyboard(cli_env, "report", str(path), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"title", "selection", "thresholds", "summary", "frames", "cast"}
    assert [f["state"] for f in data["frames"]].count("drifting") == 1
    assert data["frames"][2]["state"] == "drifting"
    assert (
        data["frames"][2]["rounds"][0]["consistency"] < data["thresholds"]["consistency"]["limit"]
    )
    assert data["cast"][0]["name"] == "Mara" and data["cast"][0]["frames"] == [1, 2, 3, 4, 5, 6]
    assert data["summary"]["drifting"] == 1
    text = _storyboard(cli_env, "report", str(path))
    assert text.returncode == 0 and "drifting" in text.stdout and "Traceback" not in text.stderr

    render = _storyboard(
        cli_env, "render", str(path), "--drifting", "--rounds", "1", "--preview-models"
    )
    assert render.returncode == 0, render.stderr
    with ProjectStore.open_reader(path) as store:
        redrawn = {r[0] for r in store.readout_rows() if r[2] == 1}
    assert redrawn == {frames[2]}  # only the drifting frame was re-iterated


def test_alignment_of_migrated_images_is_filled_in_when_the_models_are_there(tmp_path, cli_env):
    path = tmp_path / "old.storyiter"
    shutil.copyfile(FIXTURE, path)
    out = _storyboard(cli_env, "report", str(path), "--fill-alignment", "--preview-models")
    assert out.returncode == 0, out.stderr
    assert "Measured the alignment of 12 image(s)." in out.stderr
    with ProjectStore.open_reader(path) as store:
        assert all(r[3].alignment is not None for r in store.readout_rows())
    again = _storyboard(cli_env, "report", str(path), "--fill-alignment", "--preview-models")
    assert "Every image already has its alignment." in again.stderr
