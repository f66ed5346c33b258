"""Scale-out: a pass split over worker processes draws the same images as one process.

Two CPU worker processes (gloo) on the micro preview models, started once for the module.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import psutil
import pytest

from engine.api import (
    CancelToken,
    EventKind,
    FrameJob,
    GenerationSettings,
    PassRequest,
    ReferenceSet,
    RuntimeSettings,
)
from engine.distributed import DistributedEngine, WorkerFailedError, make_engine, plan_shares
from engine.errors import EngineError, RequestError
from engine.story_iter import StoryFrame, StoryIterEngine, run_story

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = GenerationSettings(steps=2, width=64, height=64)
RUNTIME = RuntimeSettings(device="cpu", batch_size=2)
FRAMES = [StoryFrame(f"{i:03d}", f"a lighthouse keeper and a fox, scene {i}") for i in range(4)]


def _jobs(n: int, seed: int = 11) -> tuple[FrameJob, ...]:
    return tuple(FrameJob(f"{i:03d}", f"a fox in a red scarf, scene {i}", seed) for i in range(n))


def _ids(jobs) -> tuple[str, ...]:
    return tuple(j.frame_id for j in jobs)


def _alive(pids) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _wait_gone(pids, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _alive(pids)


def _pixels(result) -> np.ndarray:
    return np.asarray(result.image)


@pytest.fixture(scope="module")
def single(preview_models) -> StoryIterEngine:
    return StoryIterEngine(preview_models, RUNTIME)


@pytest.fixture(scope="module")
def workers(preview_models):
    engine = DistributedEngine(preview_models, RUNTIME, devices=2)
    started = []
    try:
        yield engine
    finally:
        started = list(engine.worker_pids)
        engine.close()
    assert not _wait_gone(started), "close() left worker processes behind"


def test_each_share_rebatches_into_the_single_process_batches():
    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(1, 14))
        jobs = tuple(
            FrameJob(f"{i}", "p", 1, round=1, ip_scale=float(rng.choice([0.3, 0.4])))
            for i in range(n)
        )
        request = PassRequest(jobs, SETTINGS, ReferenceSet(("a",), np.zeros((1, 32))))
        size, workers = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        whole = [_ids(b.jobs) for b in StoryIterEngine._plan_batches(request, size)]
        shares = plan_shares(request, size, workers)
        assert sorted(j.frame_id for s in shares for j in s) == sorted(j.frame_id for j in jobs)
        redrawn, counts = [], []
        for share in shares:
            sub = PassRequest(share, SETTINGS, request.references)
            batches = [_ids(b.jobs) for b in StoryIterEngine._plan_batches(sub, size)]
            redrawn += batches
            counts.append(len(batches))
        assert sorted(redrawn) == sorted(whole)
        assert max(counts) - min(counts) <= 1  # round-robin: at most one batch more


def test_one_device_keeps_the_in_process_engine(preview_models):
    assert isinstance(make_engine(preview_models, RUNTIME, 1), StoryIterEngine)
    with pytest.raises(EngineError, match="one device"):
        DistributedEngine(preview_models, RuntimeSettings(device="cuda:1"), devices=2)


def test_story_is_pixel_identical_to_one_process(single, workers):
    one = run_story(single, FRAMES, SETTINGS, rounds=2, seed=5)
    events = []
    before = workers.encode_count
    two = run_story(workers, FRAMES, SETTINGS, rounds=2, seed=5, on_progress=events.append)
    assert len(two) == len(one) == 3
    for round_one, round_two in zip(one, two, strict=True):
        for a, b in zip(round_one, round_two, strict=True):
            assert a.frame_id == b.frame_id and a.round == b.round
            assert np.array_equal(_pixels(a), _pixels(b))
            assert np.array_equal(a.embedding, b.embedding)
            assert a.record == b.record
    assert workers.encode_count - before == 4 * 3  # each image encoded once, on its worker
    assert {w.device for w in workers.workers} == {"cpu"}
    assert workers.models.device == "cpu+cpu"
    assert workers.fingerprints() == single.fingerprints()
    # progress counts the steps of the whole pass, over both workers
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.STARTED) == kinds.count(EventKind.FINISHED) == 3
    steps = [e for e in events if e.kind == EventKind.STEP]
    assert {e.total for e in steps} == {4 * SETTINGS.steps}
    assert max(e.done for e in steps) == 4 * SETTINGS.steps
    assert all(e.preview is not None for e in steps)


def test_cancel_reaches_every_worker_within_a_step(single, workers):
    cancel = CancelToken()
    seen: dict[tuple[str, ...], int] = {}

    def on_progress(event):
        if event.kind == EventKind.STEP:
            seen[event.frame_ids] = max(seen.get(event.frame_ids, 0), event.step)
            cancel.cancel()

    slow = SETTINGS.with_(steps=40)
    request = PassRequest(_jobs(4), slow)
    events = []
    results = list(
        workers.run_pass(
            request, cancel=cancel, on_progress=lambda e: (events.append(e), on_progress(e))
        )
    )
    assert results == []  # frames in flight are discarded, never returned half-drawn
    assert events[-1].kind == EventKind.CANCELLED
    assert all(step < slow.steps for step in seen.values()), seen
    # the workers are idle again and draw the next pass as one process would
    request = PassRequest(_jobs(2, seed=4), SETTINGS)
    ours = {r.frame_id: r for r in workers.run_pass(request)}
    for theirs in single.run_pass(request):
        assert np.array_equal(_pixels(ours[theirs.frame_id]), _pixels(theirs))


def test_a_worker_error_names_the_worker_and_keeps_the_workers(workers):
    workers.start()
    pids = workers.worker_pids
    wrong = ReferenceSet(("x",), np.ones((1, 7), np.float32))  # the encoder makes 32-wide
    jobs = tuple(FrameJob(f"{i}", "p", 1, round=1, ip_scale=0.3) for i in range(4))
    with pytest.raises(RequestError, match=r"7 wide.*worker \d of 2"):
        list(workers.run_pass(PassRequest(jobs, SETTINGS, wrong)))
    assert workers.worker_pids == pids


def test_a_killed_worker_fails_the_pass_cleanly_and_the_rest_can_be_redrawn(single, workers):
    # batches 000-001, 002-003, 004-005; 40 steps leave the kill ~39 steps of head start
    request = PassRequest(_jobs(6), SETTINGS.with_(steps=40))
    workers.start()
    victim = workers.worker_pids[0]  # worker 1 draws the first and the third batch
    others = workers.worker_pids[1:]

    def kill_on_third_batch(event):
        if event.kind == EventKind.STEP and event.frame_ids == ("004", "005"):
            os.kill(victim, signal.SIGKILL)

    got = []
    with pytest.raises(WorkerFailedError) as failure:
        for result in workers.run_pass(request, on_progress=kill_on_third_batch):
            got.append(result)
    message = str(failure.value)
    assert "Worker 1 of 2" in message and "SIGKILL" in message and "004, 005" in message
    assert {"000", "001"} <= {r.frame_id for r in got}  # yielded before the kill: kept
    assert not {"004", "005"} & {r.frame_id for r in got}
    assert not _wait_gone([victim, *others]), "a worker outlived the failed pass"
    assert workers.worker_pids == ()

    # redraw what is missing on fresh workers: the whole pass equals one process's
    done = {r.frame_id for r in got}
    rest = replace(request, jobs=tuple(j for j in request.jobs if j.frame_id not in done))
    got += list(workers.run_pass(rest))
    assert set(workers.worker_pids).isdisjoint({victim, *others})
    ours = {r.frame_id: r for r in got}
    assert len(ours) == 6
    for theirs in single.run_pass(request):
        assert np.array_equal(_pixels(ours[theirs.frame_id]), _pixels(theirs))


def test_workers_do_not_outlive_a_killed_main_process(preview_models, tmp_path):
    script = tmp_path / "main.py"
    script.write_text(
        "import os, signal, sys\n"
        "from engine.api import ModelPaths, RuntimeSettings\n"
        "from engine.distributed import DistributedEngine\n"
        "if __name__ == '__main__':\n"
        "    engine = DistributedEngine(ModelPaths.from_models_dir(sys.argv[1]),\n"
        "                               RuntimeSettings(device='cpu'), devices=2)\n"
        "    engine.start()\n"
        "    print(*engine.worker_pids, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)  # no close(), no atexit\n",
        encoding="utf-8",
    )
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(script), str(preview_models.base.parent)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    pids = [int(p) for p in proc.stdout.split()]
    assert len(pids) == 2
    assert not _wait_gone(pids, timeout=15), "workers outlived their main process"
