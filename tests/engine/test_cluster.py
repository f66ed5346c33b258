"""Scale-out on Ray: a pass drawn by one engine per node equals the pass drawn on one device.

One two-node Ray cluster on this machine (tests/conftest.py: loopback only, token on), one
CPU actor per node, on the micro preview models; started once for every Ray test.
"""

from __future__ import annotations

import os
import signal
from dataclasses import replace

import numpy as np
import pytest

from engine.api import (
    CancelToken,
    Devices,
    EngineLostError,
    EventKind,
    FrameJob,
    GenerationSettings,
    ModelPaths,
    PassRequest,
    ReferenceSet,
    RuntimeSettings,
)
from engine.cluster import RayEngine
from engine.engines import make_engine
from engine.errors import EngineError, ModelError, RequestError
from engine.story_iter import StoryFrame, StoryIterEngine, run_story

SETTINGS = GenerationSettings(steps=2, width=64, height=64)
RUNTIME = RuntimeSettings(device="cpu", batch_size=2)
FRAMES = [StoryFrame(f"{i:03d}", f"a lighthouse keeper and a fox, scene {i}") for i in range(4)]


def _jobs(n: int, seed: int = 11) -> tuple[FrameJob, ...]:
    return tuple(FrameJob(f"{i:03d}", f"a fox in a red scarf, scene {i}", seed) for i in range(n))


def _pixels(result) -> np.ndarray:
    return np.asarray(result.image)


@pytest.fixture(scope="module")
def single(preview_models) -> StoryIterEngine:
    return StoryIterEngine(preview_models, RUNTIME)


@pytest.fixture(scope="module")
def cluster_engine(preview_models, ray_cluster):
    with RayEngine(preview_models, RUNTIME, Devices(2, cluster=ray_cluster.address)) as engine:
        yield engine


def test_one_device_is_the_in_process_engine(preview_models):
    assert isinstance(make_engine(preview_models, RUNTIME, 1), StoryIterEngine)
    assert isinstance(make_engine(preview_models, RUNTIME, Devices(0, "h:1")), RayEngine)
    with pytest.raises(EngineError, match="one device"):
        RayEngine(preview_models, RuntimeSettings(device="cuda:1"), Devices(2))


def test_story_across_two_nodes_is_pixel_identical_to_one_device(single, cluster_engine):
    one = run_story(single, FRAMES, SETTINGS, rounds=2, seed=5)
    events = []
    before = cluster_engine.encode_count
    two = run_story(cluster_engine, FRAMES, SETTINGS, rounds=2, seed=5, on_progress=events.append)
    assert len(two) == len(one) == 3
    for round_one, round_two in zip(one, two, strict=True):
        for a, b in zip(round_one, round_two, strict=True):
            assert a.frame_id == b.frame_id and a.round == b.round
            assert np.array_equal(_pixels(a), _pixels(b))
            assert np.array_equal(a.embedding, b.embedding)
            assert a.record == b.record
    assert cluster_engine.encode_count - before == 4 * 3  # each image encoded once
    infos = cluster_engine._infos
    assert len({i.node_id for i in infos}) == 2, "both nodes drew"
    assert cluster_engine.device == "cpu@127.0.0.1+cpu@127.0.0.1"
    assert cluster_engine.fingerprints() == single.fingerprints()
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.STARTED) == kinds.count(EventKind.FINISHED) == 3
    steps = [e for e in events if e.kind == EventKind.STEP]
    assert {e.total for e in steps} == {4 * SETTINGS.steps}
    assert max(e.done for e in steps) == 4 * SETTINGS.steps
    assert all(e.preview is not None for e in steps)


def test_cancel_reaches_every_actor_within_a_step(single, cluster_engine):
    cancel = CancelToken()
    seen: dict[tuple[str, ...], int] = {}
    events = []

    def on_progress(event):
        events.append(event)
        if event.kind == EventKind.STEP:
            seen[event.frame_ids] = max(seen.get(event.frame_ids, 0), event.step)
            if len(seen) == 2:  # both actors are drawing
                cancel.cancel()

    slow = SETTINGS.with_(steps=40)
    results = list(
        cluster_engine.run_pass(PassRequest(_jobs(4), slow), cancel=cancel, on_progress=on_progress)
    )
    assert results == []  # frames in flight are discarded, never returned half-drawn
    assert events[-1].kind == EventKind.CANCELLED
    assert len(seen) == 2 and all(step < slow.steps for step in seen.values()), seen
    # the actors are idle again and draw the next pass as one device would
    request = PassRequest(_jobs(2, seed=4), SETTINGS)
    ours = {r.frame_id: r for r in cluster_engine.run_pass(request)}
    for theirs in single.run_pass(request):
        assert np.array_equal(_pixels(ours[theirs.frame_id]), _pixels(theirs))


def test_an_engine_error_names_the_device_and_keeps_the_actors(cluster_engine):
    cluster_engine.start()
    pids = cluster_engine.actor_pids
    wrong = ReferenceSet(("x",), np.ones((1, 7), np.float32))  # the encoder makes 32-wide
    jobs = tuple(FrameJob(f"{i}", "p", 1, round=1, ip_scale=0.3) for i in range(4))
    with pytest.raises(RequestError, match=r"7 wide.*Device \d of 2, cpu on node 127\.0\.0\.1"):
        list(cluster_engine.run_pass(PassRequest(jobs, SETTINGS, wrong)))
    assert cluster_engine.actor_pids == pids


def test_a_killed_actor_fails_the_pass_and_the_rest_draws_identically(single, cluster_engine):
    # batches 000-001, 002-003, 004-005; 40 steps leave the kill ~39 steps of head start
    request = PassRequest(_jobs(6), SETTINGS.with_(steps=40))
    cluster_engine.start()
    victim = cluster_engine.actor_pids[0]  # device 1 draws the first and the third batch

    def kill_on_third_batch(event):
        if event.kind == EventKind.STEP and event.frame_ids == ("004", "005"):
            os.kill(victim, signal.SIGKILL)

    got = []
    with pytest.raises(EngineLostError) as failure:
        for result in cluster_engine.run_pass(request, on_progress=kill_on_third_batch):
            got.append(result)
    message = str(failure.value)
    assert "Device 1 of 2" in message and f"process {victim}" in message
    assert "004, 005" in message and "resuming the pass draws the rest" in message
    assert {"000", "001"} <= {r.frame_id for r in got}  # yielded before the kill: kept
    assert not {"004", "005"} & {r.frame_id for r in got}
    assert cluster_engine.actor_pids == ()

    done = {r.frame_id for r in got}
    rest = replace(request, jobs=tuple(j for j in request.jobs if j.frame_id not in done))
    got += list(cluster_engine.run_pass(rest))  # on fresh actors
    assert victim not in cluster_engine.actor_pids
    ours = {r.frame_id: r for r in got}
    assert len(ours) == 6
    for theirs in single.run_pass(request):
        assert np.array_equal(_pixels(ours[theirs.frame_id]), _pixels(theirs))


def test_model_files_missing_on_the_nodes_are_named_before_drawing(tmp_path, ray_cluster):
    paths = ModelPaths.from_models_dir(tmp_path / "nowhere")
    engine = RayEngine(paths, RUNTIME, Devices(2, cluster=ray_cluster.address))
    with pytest.raises(ModelError) as missing:
        engine.start()
    message = str(missing.value)
    assert message.count("node 127.0.0.1 (") == 2, message
    assert f"base model {paths.base}" in message and f"IP-Adapter {paths.ip_adapter}" in message
    assert "same paths" in message
    assert engine.actor_pids == ()
