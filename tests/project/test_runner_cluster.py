"""A project drawn on Ray equals the same project drawn on one device.

`storyboard render --devices 2` (a local Ray instance, run as a user runs it) and
`--cluster ADDRESS` (the two-node cluster of tests/conftest.py), on CPU actors with the micro
preview models: pixel-identical images per frame and round; an actor killed mid-pass fails
the pass with the finished frames committed, and resuming it gives the uninterrupted pass.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.api import Devices, EventKind, RuntimeSettings
from engine.cluster import RayEngine
from engine.story_iter import StoryIterEngine
from storyboard_app import cli
from storyboard_app.project import runner
from storyboard_app.project.store import ProjectStore

ROOT = Path(__file__).resolve().parents[2]
STORY = """
@Ada: a tall woman in a blue raincoat
@Ada | opening an umbrella | on a rainy street
@Ada | running | across a square
@Ada | laughing | under an awning
@Ada | waving goodbye | at a tram stop
a lighthouse at night, seen from the sea
a tram in the rain
"""
RUNTIME = RuntimeSettings(device="cpu", batch_size=2)  # 6 frames: 3 batches over 2 devices

Images = dict[tuple[int, int], np.ndarray]  # (frame position, round) -> pixels


def _new_project(path: Path, steps: int = 2) -> Path:
    with ProjectStore.create(path, title="Rain") as store:
        store.import_story_text(STORY)
        settings = replace(
            store.settings(), width=64, height=64, steps=steps, rounds=3, seed=99, batch_size=2
        )
        store.update_story(settings=settings)
    return path


def _images(path: Path) -> Images:
    out: Images = {}
    with ProjectStore.open_reader(path) as store:
        for position, frame in enumerate(store.frames()):
            for image in store.images_of_frame(frame.id):
                png = store.image_png(image.id)
                out[position, image.round] = np.asarray(Image.open(io.BytesIO(png)))
    return out


def _assert_same(ours: Images, theirs: Images) -> None:
    assert sorted(ours) == sorted(theirs)
    for key, pixels in theirs.items():
        assert np.array_equal(ours[key], pixels), f"frame {key[0] + 1}, round {key[1]} differs"


def _storyboard(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from storyboard_app.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def cli_env(preview_models, tmp_path_factory):
    """The `storyboard` command's folders, its preview-model cache holding the session's models."""
    home = tmp_path_factory.mktemp("storyboard")
    shutil.copytree(preview_models.base.parent, home / "cache" / "preview-models" / "micro")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORYITER_CACHE_DIR", str(home / "cache"))
        mp.setenv("STORYITER_CONFIG_DIR", str(home / "config"))
        yield home


@pytest.fixture(scope="module")
def one_device(cli_env) -> Images:
    """The reference: round 0 and one iteration rendered by `storyboard render` in-process."""
    path = _new_project(cli_env / "one.storyiter")
    assert cli.main(["render", str(path), "--rounds", "1", "--preview-models", "--quiet"]) == 0
    return _images(path)


def test_storyboard_render_on_the_cluster_equals_one_device(
    cli_env, one_device, ray_cluster, capsys
):
    path = _new_project(cli_env / "cluster.storyiter")
    args = ["render", str(path), "--rounds", "1", "--preview-models", "--quiet"]
    assert cli.main([*args, "--cluster", ray_cluster.address]) == 0
    assert "2 pass(es), 12 image(s) committed" in capsys.readouterr().out
    _assert_same(_images(path), one_device)


def test_storyboard_render_on_two_local_devices_equals_one_device(cli_env, one_device, tmp_path):
    from tests.conftest import require_loopback_only

    require_loopback_only()
    path = _new_project(cli_env / "local.storyiter")
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths are long
    env = dict(os.environ, HOME=str(tmp_path), RAY_TMPDIR=temp)
    for name in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_ADDRESS"):
        env.pop(name, None)  # Ray's defaults: a private instance with a token of its own
    try:
        done = _storyboard(
            "render", str(path), "--rounds", "1", "--preview-models", "--quiet", "--devices", "2",
            env=env,
        )  # fmt: skip
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert "2 pass(es), 12 image(s) committed" in done.stdout
    _assert_same(_images(path), one_device)
    assert (tmp_path / ".ray" / "auth_token").is_file(), "token authentication was on"


def test_a_cluster_without_the_token_is_refused_with_what_is_missing(
    cli_env, ray_cluster, tmp_path
):
    path = _new_project(cli_env / "refused.storyiter")
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("RAY_AUTH_TOKEN")
    args = ["render", str(path), "--preview-models", "--cluster", ray_cluster.address]
    done = _storyboard(*args, env=env)
    assert done.returncode == 2
    assert f"The Ray cluster at {ray_cluster.address} asks for its authentication token" in (
        done.stderr
    )
    assert "RAY_AUTH_TOKEN" in done.stderr and "Traceback" not in done.stderr
    with ProjectStore.open_reader(path) as store:
        assert store.passes() == []  # refused before any pass began


@pytest.fixture(scope="module")
def slow_one_device(preview_models, tmp_path_factory) -> Images:
    """Round 0 at 40 steps on one device: the kill below gets ~39 steps of head start."""
    path = _new_project(tmp_path_factory.mktemp("slow") / "one.storyiter", steps=40)
    with ProjectStore.open(path) as store:
        outcomes = runner.render(store, StoryIterEngine(preview_models, RUNTIME), rounds=0)
        assert [o.status for o in outcomes] == ["complete"]
    return _images(path)


def test_a_killed_actor_fails_the_pass_and_resume_equals_the_uninterrupted_pass(
    tmp_path, preview_models, ray_cluster, slow_one_device
):
    path = _new_project(tmp_path / "killed.storyiter", steps=40)
    devices = Devices(2, cluster=ray_cluster.address)
    with RayEngine(preview_models, RUNTIME, devices) as engine, ProjectStore.open(path) as store:
        engine.start()
        victim = engine.actor_pids[0]  # device 1 draws the first and the third batch
        third_batch = tuple(str(f.id) for f in store.frames()[4:6])

        def kill_device_1(event):
            if event.kind == EventKind.STEP and event.frame_ids == third_batch:
                os.kill(victim, signal.SIGKILL)

        outcomes = runner.render(store, engine, rounds=0, on_progress=kill_device_1)
        assert [o.status for o in outcomes] == ["failed"]
        failed = outcomes[0]
        assert "Device 1 of 2" in failed.error and "resuming the pass" in failed.error
        committed = {store.image_info(i).frame_id for i in failed.image_ids}
        first_batch = {f.id for f in store.frames()[:2]}
        assert first_batch <= committed and not {int(i) for i in third_batch} & committed

        resumed = runner.render(store, engine, resume=True)  # on fresh actors
        assert [(o.pass_id, o.status) for o in resumed] == [(failed.pass_id, "complete")]
        assert victim not in engine.actor_pids
    _assert_same(_images(path), slow_one_device)
