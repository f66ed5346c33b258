"""A project rendered on two worker processes equals the same project rendered on one device.

`storyboard render --devices 2` and the runner with a DistributedEngine, on CPU (gloo) with
the micro preview models: pixel-identical images per frame and round, a killed worker fails
the pass cleanly with the finished frames committed, and cancel + resume run on the workers.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import psutil
import pytest
from PIL import Image

from engine.api import CancelToken, EventKind, RuntimeSettings
from engine.distributed import DistributedEngine
from engine.story_iter import StoryIterEngine
from storyboard_app import cli
from storyboard_app.project import runner
from storyboard_app.project.store import ProjectStore

STORY = """
@Ada: a tall woman in a blue raincoat
@Ada | opening an umbrella | on a rainy street
@Ada | running | across a square
@Ada | laughing | under an awning
@Ada | waving goodbye | at a tram stop
a lighthouse at night, seen from the sea
a tram in the rain
"""
RUNTIME = RuntimeSettings(device="cpu", batch_size=2)  # 6 frames: 3 batches over 2 workers

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


def _workers_left() -> list[psutil.Process]:
    """Live grandchildren of this process: workers (the forkserver itself is a child)."""
    me = os.getpid()
    left = []
    for proc in psutil.Process(me).children(recursive=True):
        try:
            if proc.ppid() != me and proc.status() != psutil.STATUS_ZOMBIE:
                left.append(proc)
        except psutil.NoSuchProcess:
            pass
    return left


def _gone(pids, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(psutil.pid_exists(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


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


@pytest.fixture(scope="module")
def workers(preview_models):
    with DistributedEngine(preview_models, RUNTIME, devices=2) as engine:
        yield engine


def test_storyboard_render_on_two_devices_equals_one_device(cli_env, one_device, capsys):
    path = _new_project(cli_env / "two.storyiter")
    args = ["render", str(path), "--rounds", "1", "--preview-models", "--quiet", "--devices", "2"]
    assert cli.main(args) == 0
    assert "2 pass(es), 12 image(s) committed" in capsys.readouterr().out
    _assert_same(_images(path), one_device)
    assert not _workers_left(), "the command left worker processes behind"


@pytest.fixture(scope="module")
def slow_one_device(preview_models, tmp_path_factory) -> Images:
    """Round 0 and one iteration at 40 steps on one device, through the runner in-process.

    The slow passes give a kill or a cancel at a known step ~39 steps of head start over
    the batches still to come, so those tests do not race the workers.
    """
    path = _new_project(tmp_path_factory.mktemp("slow") / "one.storyiter", steps=40)
    with ProjectStore.open(path) as store:
        outcomes = runner.render(store, StoryIterEngine(preview_models, RUNTIME), rounds=1)
        assert [o.status for o in outcomes] == ["complete", "complete"]
    return _images(path)


def test_a_killed_worker_fails_the_pass_keeps_finished_frames_and_render_completes(
    tmp_path, workers, slow_one_device
):
    path = _new_project(tmp_path / "killed.storyiter", steps=40)
    workers.start()
    victim, other = workers.worker_pids
    with ProjectStore.open(path) as store:
        third_batch = tuple(str(f.id) for f in store.frames()[4:6])

        def kill_worker_1(event):  # worker 1 draws the first and the third batch
            if event.kind == EventKind.STEP and event.frame_ids == third_batch:
                os.kill(victim, signal.SIGKILL)

        outcomes = runner.render(store, workers, rounds=0, on_progress=kill_worker_1)
        assert [o.status for o in outcomes] == ["failed"]
        failed = outcomes[0]
        assert "Worker 1 of 2" in failed.error and "SIGKILL" in failed.error
        assert store.pass_info(failed.pass_id).status == "failed"
        committed = {store.image_info(i).frame_id for i in failed.image_ids}
        first_batch = {f.id for f in store.frames()[:2]}
        assert first_batch <= committed and not {int(i) for i in third_batch} & committed
        assert _gone([victim, other]), "a worker outlived the failed pass"

        # the next render draws the frames still missing, then iterates, on fresh workers
        outcomes = runner.render(store, workers, rounds=1)
        assert [o.status for o in outcomes] == ["complete", "complete"]
    _assert_same(_images(path), slow_one_device)


def test_cancel_then_resume_on_the_workers_equals_one_device(tmp_path, workers, slow_one_device):
    path = _new_project(tmp_path / "resumed.storyiter", steps=40)
    with ProjectStore.open(path) as store:
        assert [o.status for o in runner.render(store, workers, rounds=0)] == ["complete"]
        cancel = CancelToken()
        cancelled = runner.run_pass(
            store,
            workers,
            runner.plan_iterate(store),
            cancel=cancel,
            # the engine's own event, not the commit: commits trail drawing (PNGs encode aside)
            on_progress=lambda e: e.kind == EventKind.FRAME_DONE and cancel.cancel(),
        )
        assert cancelled.status == "cancelled"
        assert 1 <= len(cancelled.image_ids) <= 4  # the third batch was still being drawn
        resumed = runner.render(store, workers, resume=True)
        assert [(o.pass_id, o.status) for o in resumed] == [(cancelled.pass_id, "complete")]
    _assert_same(_images(path), slow_one_device)
