"""A run as the writer sees it, without Qt: what was ordered, how many passes it makes, its
progress and ETA across those passes, and how it ended."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from engine.api import EventKind, ProgressEvent
from storyboard_app.project import runner
from storyboard_app.project.model import BoardCard
from storyboard_app.project.store import ProjectStore


@dataclass(frozen=True)
class RunOrder:
    """What the writer asked for.

    ``action``: "all" (round 0 where missing, then finish the story's schedule, or one more
    round when it is finished), "selected" (one round of ``frame_ids``), "stale" (re-draw
    stale frames) or "resume" (the last interrupted or cancelled pass; with
    ``then_schedule``, then the rest of the story's schedule, as the Iterate All run that
    was cancelled would have).
    """

    action: str
    frame_ids: tuple[int, ...] = ()
    fast: bool | None = None
    style: str | None = None
    then_schedule: bool = False


@dataclass(frozen=True)
class PassStart:
    """A pass began: its number in this run, how many passes the run expects, its frames."""

    number: int
    expected: int
    kind: str
    frame_ids: tuple[int, ...]
    rounds: tuple[int, ...]
    steps_per_frame: int


@dataclass(frozen=True)
class PassEnd:
    pass_id: int
    kind: str
    status: str
    images: int
    error: str


@dataclass(frozen=True)
class RunResult:
    """How a run ended: its passes, and a message when it stopped early."""

    passes: tuple[PassEnd, ...]
    status: str  # complete | cancelled | failed | nothing
    message: str = ""
    models: str = ""


def expected_passes(store: ProjectStore, order: RunOrder) -> tuple[int, int | None]:
    """(passes the run will make, rounds argument for ``runner.render``)."""
    cards = store.board()
    if order.action == "resume":
        if not order.then_schedule:
            return 1, None
        resumed = runner.plan_resume(store)
        reached = max(max(j.round for j in resumed.jobs), *(c.latest_round or 0 for c in cards))
        return 1 + max(store.settings().rounds - reached, 0), None
    round0 = 1 if any(c.current_image_id is None for c in cards) else 0
    if order.action in ("selected", "stale"):
        return round0 + 1, 1
    done = max((c.latest_round or 0 for c in cards), default=0)
    todo = store.settings().rounds - done
    rounds = todo if todo > 0 else 1
    return round0 + rounds, rounds


@dataclass(frozen=True)
class RunProgress:
    """What the run panel shows."""

    fraction: float  # 0..1 over the whole run
    eta_s: float | None
    pass_number: int
    passes: int
    label: str


class ProgressTracker:
    """Overall progress and ETA across the passes of one run (pure arithmetic, no Qt).

    Passes not started yet are assumed to be as large as the latest one; the rate is
    measured from the first denoising step, so model loading does not skew the ETA.
    """

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self.pass_start: PassStart | None = None
        self.finished_steps = 0  # steps of the passes already over
        self.pass_done = 0
        self.pass_total = 0
        self.pass_saved = 0  # frames of the current pass committed to the project
        self._first_step: tuple[float, int] | None = None

    def start_pass(self, start: PassStart) -> None:
        if self.pass_start is not None:
            self.finished_steps += self.pass_total
        self.pass_start = start
        self.pass_done = 0
        self.pass_saved = 0
        self.pass_total = len(start.frame_ids) * start.steps_per_frame

    def update(self, event: ProgressEvent) -> None:
        if event.total:
            self.pass_total = event.total
            self.pass_done = event.done
        if event.kind == EventKind.STEP and self._first_step is None:
            self._first_step = (self._clock(), self.done_steps())

    def done_steps(self) -> int:
        return self.finished_steps + self.pass_done

    def total_steps(self) -> int:
        if self.pass_start is None:
            return 0
        later = max(self.pass_start.expected - self.pass_start.number, 0)
        return self.finished_steps + self.pass_total * (1 + later)

    def fraction(self) -> float:
        total = self.total_steps()
        return min(self.done_steps() / total, 1.0) if total else 0.0

    def eta(self) -> float | None:
        if self._first_step is None:
            return None
        t0, done0 = self._first_step
        elapsed = self._clock() - t0
        done = self.done_steps() - done0
        if done <= 0 or elapsed <= 0:
            return None
        return (self.total_steps() - self.done_steps()) * elapsed / done


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 frame``, ``2 frames`` (``many``: the plural when it is not word + s)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def progress_label(start: PassStart, saved: int, eta: float | None) -> str:
    """The run bar's line: which pass of how many, its rounds, frames saved, the ETA."""
    rounds = start.rounds
    if len(rounds) == 1:
        what = "round 0 (text only)" if rounds[0] == 0 else f"round {rounds[0]}"
    else:
        what = f"rounds {rounds[0]}–{rounds[-1]}"
    frames = len(start.frame_ids)
    return (
        f"Pass {start.number} of {start.expected} · {what} · "
        f"{min(saved, frames)}/{plural(frames, 'frame')} saved · ETA {format_eta(eta)}"
    )


def board_summary(cards: Sequence[BoardCard], rounds: int) -> str:
    """Where the story stands: frames, the round reached against the story's schedule, what
    is not drawn or stale."""
    if not cards:
        return "Add frames to the board to start."
    frames = plural(len(cards), "frame")
    drawn = [c.latest_round for c in cards if c.latest_round is not None]
    if not drawn:
        return f"{frames}, none drawn yet. Iterate all draws round 0 to {rounds}."
    reached = max(drawn)
    if reached < rounds:
        text = f"{frames} · reached round {reached} of {rounds}"
    elif reached == rounds:
        text = f"{frames} · all {rounds} rounds drawn"
    else:
        text = f"{frames} · reached round {reached} ({reached - rounds} past the {rounds} planned)"
    if len(drawn) < len(cards):
        text += f" · {len(cards) - len(drawn)} not drawn"
    stale = sum(c.stale for c in cards)
    if stale:
        text += f" · {stale} stale"
    return text


def describe_result(result: RunResult) -> str:
    """One line about how a run ended."""
    images = sum(p.images for p in result.passes)
    done = f"{plural(len(result.passes), 'pass', 'passes')}, {plural(images, 'image')} saved"
    if result.status == "complete":
        return f"Done: {done}."
    if result.status == "cancelled":
        return f"Cancelled: {done}. Resume (F5) carries on from there."
    if result.status == "nothing":
        return result.message or "Nothing to draw."
    return f"Stopped: {result.message}" if result.message else "Stopped."
