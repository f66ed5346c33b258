"""Overall progress and ETA across the passes of a run (no Qt, no engine)."""

from __future__ import annotations

from engine.api import EventKind, ProgressEvent
from storyboard_app.project.model import BoardCard, Frame
from storyboard_app.project.run_progress import (
    PassEnd,
    PassStart,
    ProgressTracker,
    RunResult,
    board_summary,
    describe_result,
    format_eta,
    plural,
    progress_label,
)


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


def card(position: int, latest: int | None, stale: bool = False) -> BoardCard:
    frame = Frame(id=position + 1, position=position)
    current = None if latest is None else position + 10
    return BoardCard(frame, "prompt", current, None, int(latest is not None), latest, stale, False)


def test_the_board_summary_measures_rounds_against_the_story_schedule():
    assert board_summary([], 4) == "Add frames to the board to start."
    assert board_summary([card(0, None)], 4) == (
        "1 frame, none drawn yet. Iterate all draws round 0 to 4."
    )
    assert board_summary([card(0, 2), card(1, None, stale=False)], 4) == (
        "2 frames · reached round 2 of 4 · 1 not drawn"
    )
    assert board_summary([card(0, 4), card(1, 4, stale=True)], 4) == (
        "2 frames · all 4 rounds drawn · 1 stale"
    )
    assert board_summary([card(0, 6)], 4) == "1 frame · reached round 6 (2 past the 4 planned)"


def test_the_run_bar_counts_saved_frames_and_plurals_read_right():
    start = PassStart(1, 2, "iterate", (1, 2, 3), (1,), 4)
    assert progress_label(start, 0, None) == (
        "Pass 1 of 2 · round 1 · 0/3 frames saved · ETA estimating…"
    )
    assert progress_label(PassStart(1, 1, "round0", (7,), (0,), 4), 1, 3.0) == (
        "Pass 1 of 1 · round 0 (text only) · 1/1 frame saved · ETA 3 s"
    )
    assert plural(1, "pass", "passes") == "1 pass" and plural(2, "pass", "passes") == "2 passes"
    done = RunResult((PassEnd(1, "iterate", "complete", 1, ""),), "complete")
    assert describe_result(done) == "Done: 1 pass, 1 image saved."
