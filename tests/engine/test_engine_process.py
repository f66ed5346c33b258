"""The engine in its own process: passes, cancel, and a SIGKILL mid-pass, on the real child.

The app's side runs on an asyncio loop (here a plain loop on a thread, in the app the
qasync loop); the child imports torch, loads the micro preview models and draws.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import threading

import numpy as np
import pytest
from PIL import Image

from engine.api import (
    CancelToken,
    Devices,
    EngineLostError,
    EventKind,
    FrameJob,
    GenerationSettings,
    PassRequest,
    RuntimeSettings,
)
from engine.errors import ModelError
from engine.process import EngineProcess
from engine.story_iter import StoryIterEngine

SETTINGS = GenerationSettings(steps=2, width=64, height=64)
RUNTIME = RuntimeSettings(device="cpu", batch_size=2)


def _request(n: int, settings: GenerationSettings = SETTINGS) -> PassRequest:
    jobs = tuple(FrameJob(f"{i:03d}", f"a fox in a red scarf, scene {i}", 11) for i in range(n))
    return PassRequest(jobs, settings)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


@pytest.fixture(scope="module")
def loop():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture(scope="module")
def child(loop, preview_models):
    lost: list[str] = []
    engine = EngineProcess(loop, on_lost=lost.append)
    engine.lost = lost
    engine.configure(preview_models, RUNTIME, Devices(1))
    yield engine
    engine.close()


def test_a_pass_in_the_engine_process_equals_the_in_process_engine(child, preview_models):
    events = []
    request = _request(3)
    ours = {r.frame_id: r for r in child.run_pass(request, on_progress=events.append)}
    assert sorted(ours) == ["000", "001", "002"]
    for theirs in StoryIterEngine(preview_models, RUNTIME).run_pass(request):
        mine = ours[theirs.frame_id]
        assert mine.image is None and mine.thumbnail_png  # only bytes crossed
        assert np.array_equal(_pixels(mine.png), np.asarray(theirs.image))
        assert np.array_equal(mine.embedding, theirs.embedding)
        assert mine.record == theirs.record
    kinds = [e.kind for e in events]
    assert kinds[0] == EventKind.STARTED and kinds[-1] == EventKind.FINISHED
    assert any(e.kind == EventKind.STEP and e.preview is not None for e in events)
    assert child.device == "cpu" and child.encode_count == 3


def test_cancel_stops_the_pass_in_the_child_within_a_step(child):
    cancel = CancelToken()
    steps = []

    def on_progress(event):
        if event.kind == EventKind.STEP:
            steps.append(event.step)
            cancel.cancel()

    slow = SETTINGS.with_(steps=200)
    assert list(child.run_pass(_request(2, slow), cancel=cancel, on_progress=on_progress)) == []
    assert steps and max(steps) < 200
    assert len(list(child.run_pass(_request(1)))) == 1  # and it serves the next pass


def test_an_engine_error_in_the_child_arrives_as_the_same_error(child, tmp_path, preview_models):
    from dataclasses import replace

    missing = replace(preview_models, base=tmp_path / "gone")
    child.configure(missing, RUNTIME, Devices(1))
    with pytest.raises(ModelError, match="gone"):
        list(child.run_pass(_request(1)))
    child.configure(preview_models, RUNTIME, Devices(1))
    assert len(list(child.run_pass(_request(1)))) == 1


def test_a_sigkill_mid_pass_says_so_and_the_next_pass_runs_in_a_fresh_process(child):
    victim = child.pid
    got = []

    def kill_on_second_batch(event):
        if event.kind == EventKind.STEP and event.frame_ids == ("002", "003"):
            os.kill(victim, signal.SIGKILL)

    with pytest.raises(EngineLostError) as lost:
        for result in child.run_pass(
            _request(4, SETTINGS.with_(steps=40)), on_progress=kill_on_second_batch
        ):
            got.append(result.frame_id)
    assert f"The engine process (pid {victim}) was killed by SIGKILL" in str(lost.value)
    assert "Resume finishes the pass" in str(lost.value)
    assert got == ["000", "001"]  # the first batch came through before the kill
    assert child.lost and "SIGKILL" in child.lost[-1]
    assert child.pid is None
    # the next use starts a fresh child with the same models
    assert [r.frame_id for r in child.run_pass(_request(1))] == ["000"]
    assert child.pid not in (None, victim)


def test_an_abandoned_run_ends_its_later_passes_too_without_the_loop_turning(preview_models):
    # The story is closing: the UI thread waits for the committer thread, so the loop that
    # carries messages does not turn. A pass the run begins after the abandon (the run was
    # between two passes) must end at once, not wait for an answer that cannot come.
    idle_loop = asyncio.new_event_loop()  # never run
    engine = EngineProcess(idle_loop)
    try:
        run, other = CancelToken(), CancelToken()
        run.cancel()
        engine.abandon(run)
        done = threading.Event()
        frames: list[object] = []

        def later_pass() -> None:
            frames.extend(engine.run_pass(_request(1), cancel=run))
            done.set()

        threading.Thread(target=later_pass, daemon=True).start()
        assert done.wait(10), "a pass of an abandoned run waited for the engine process"
        assert frames == []
        # another run's pass is not abandoned: it waits for the (unturning) loop
        waiting = threading.Event()

        def other_pass() -> None:
            for _ in engine.run_pass(_request(1), cancel=other):
                pass
            waiting.set()

        threading.Thread(target=other_pass, daemon=True).start()
        assert not waiting.wait(0.5)
        engine.abandon(other)
        assert waiting.wait(10)
    finally:
        engine.close()
        idle_loop.close()
