"""Overall progress and ETA across the passes of a run (no Qt, no engine)."""

from __future__ import annotations

from engine.api import EventKind, ProgressEvent
from storyboard_app.project.run_progress import PassStart, ProgressTracker, format_eta


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def step(done: int, total: int) -> ProgressEvent:
    return ProgressEvent(EventKind.STEP, frame_ids=("1",), done=done, total=total)


def test_progress_spans_every_expected_pass_and_the_eta_ignores_model_loading():
    clock = Clock()
    tracker = ProgressTracker(clock)
    tracker.start_pass(PassStart(1, 3, "round0", (1, 2), (0,), 5))  # 3 passes of 10 steps
    clock.now += 30.0  # loading the models: not part of the rate
    assert tracker.eta() is None
    tracker.update(step(1, 10))
    clock.now += 9.0
    tracker.update(step(10, 10))  # 9 steps in 9 s
    assert tracker.fraction() == 10 / 30
    assert tracker.eta() == 20.0
    tracker.start_pass(PassStart(2, 3, "iterate", (1, 2), (1,), 5))
    tracker.update(step(5, 10))
    assert tracker.done_steps() == 15 and tracker.total_steps() == 30
    assert tracker.fraction() == 0.5


def test_eta_wording():
    assert format_eta(None) == "estimating…"
    assert format_eta(42.4) == "42 s"
    assert format_eta(75) == "1 min 15 s"
    assert format_eta(3 * 3600 + 120) == "3 h 02 min"
