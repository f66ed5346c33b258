"""Turns project state into engine passes and commits what they produce.

Planning is pure reading (``plan_*``): which frames, at which round and scale, attending to
which reference set. Running (``run_pass``) commits every finished frame in its own
transaction as it arrives, so a cancel or a crash keeps everything already drawn, and a
pass's recorded jobs make ``resume`` produce exactly what the uninterrupted pass would have.
Used by the ``storyboard`` command and the desktop app alike.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from storyboard_app.project.editing import card_source_hash
from storyboard_app.project.errors import ProjectError
from storyboard_app.project.model import BoardCard, StorySettings
from storyboard_app.project.preview_sizing import preview_sizing
from storyboard_app.project.readouts import ReadoutTracker
from storyboard_app.project.store import ProjectStore

if TYPE_CHECKING:
    from engine.api import CancelToken, FrameResult, PassEngine, PassRequest, ProgressEvent

CommitCallback = Callable[[int, int], None]  # (frame id, image id)


class NothingToDoError(ProjectError):
    """The selection has no frame to draw (all locked, none stale, schedule complete...)."""


@dataclass(frozen=True)
class PlannedJob:
    """One frame of a planned pass, with everything recorded for an exact resume."""

    frame_id: int
    prompt: str
    seed: int
    round: int
    ip_scale: float
    pose_json: str | None
    source_hash: str


@dataclass(frozen=True)
class PlannedPass:
    """A pass ready to run: the frames, the reference set and the settings."""

    kind: str  # "round0" | "iterate" | "stale" | "resume"
    jobs: tuple[PlannedJob, ...]
    reference_image_ids: tuple[int, ...]
    generation: dict[str, Any]  # GenerationSettings as data
    schedule_rounds: int
    resume_pass_id: int | None = None

    @property
    def frame_ids(self) -> tuple[int, ...]:
        return tuple(j.frame_id for j in self.jobs)

    def settings_record(self) -> dict[str, Any]:
        """What the store keeps with the pass (enough to resume it identically)."""
        return {
            "generation": dict(self.generation),
            "schedule_rounds": self.schedule_rounds,
            "jobs": [asdict(j) for j in self.jobs],
        }


@dataclass
class PassOutcome:
    """How a pass ended."""

    pass_id: int
    kind: str
    status: str  # complete | cancelled | failed
    image_ids: list[int] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


# ---------------------------------------------------------------------- planning


def generation_settings(
    store: ProjectStore,
    *,
    fast: bool | None = None,
    style: str | None = None,
    preview_sized: bool = False,
) -> dict[str, Any]:
    """The story's generation settings (with per-run overrides) as data."""
    s = store.settings()
    values = {
        "steps": s.steps,
        "guidance": s.guidance,
        "width": s.width,
        "height": s.height,
        "style": style or s.style,
        "fast": s.fast if fast is None else fast,
        "controlnet": s.controlnet,
        "controlnet_scale": 1.0,
        "reference_size": 256,
    }
    return values | (preview_sizing(store) if preview_sized else {})


def _job(card: BoardCard, settings: StorySettings, round_number: int) -> PlannedJob:
    """The job of one board card at ``round_number`` (scale from the story's schedule)."""
    from engine.api import scale_for_round

    frame = card.frame
    return PlannedJob(
        frame.id,
        card.compiled_prompt,
        settings.seed_for(frame),
        round_number,
        scale_for_round(round_number, settings.rounds),
        frame.pose_json,
        card_source_hash(card.compiled_prompt, frame.pose_json, frame.seed_override),
    )


def plan_round0(
    store: ProjectStore,
    *,
    fast: bool | None = None,
    style: str | None = None,
    preview_sized: bool = False,
) -> PlannedPass | None:
    """Round 0 (text only) for every frame that has no image yet; None if there is none."""
    settings = store.settings()
    jobs = [_job(card, settings, 0) for card in store.board() if card.current_image_id is None]
    if not jobs:
        return None
    return PlannedPass(
        "round0",
        tuple(jobs),
        (),
        generation_settings(store, fast=fast, style=style, preview_sized=preview_sized),
        settings.rounds,
    )


def plan_iterate(
    store: ProjectStore,
    frame_ids: Sequence[int] | None = None,
    *,
    stale: bool = False,
    fast: bool | None = None,
    style: str | None = None,
    preview_sized: bool = False,
) -> PlannedPass:
    """Re-draw frames against the current image of **every** frame (locked ones included).

    ``frame_ids`` None means every unlocked frame; ``stale`` keeps only stale frames. Each
    frame gets its own next round number and that round's scale on the story's schedule.
    Raises NothingToDoError when no frame qualifies, ProjectError when a frame has no image,
    DamagedImageError when a current image (a reference) fails its checksum. One board
    snapshot answers the planning (no per-frame queries).
    """
    settings = store.settings()
    cards = store.board()
    missing = [c.frame.position + 1 for c in cards if c.current_image_id is None]
    if missing:
        raise ProjectError(
            f"Frames {', '.join(map(str, missing))} have no image yet: run round 0 first."
        )
    by_id = {c.frame.id: c for c in cards}
    if frame_ids is None:
        chosen = [c for c in cards if not c.frame.locked]
    else:
        unknown = [i for i in frame_ids if i not in by_id]
        if unknown:
            raise ProjectError(f"No frame with id {unknown[0]} in this project.")
        chosen = [by_id[i] for i in frame_ids]
    if stale:
        chosen = [c for c in chosen if c.stale]
    if not chosen:
        raise NothingToDoError(
            "No stale frame to re-draw." if stale else "Every selected frame is locked."
        )
    jobs = [_job(c, settings, (c.latest_round or 0) + 1) for c in chosen]
    references = tuple(c.current_image_id for c in cards if c.current_image_id is not None)
    store.check_images(references)  # a damaged reference would steer every frame
    return PlannedPass(
        "stale" if stale else "iterate",
        tuple(jobs),
        references,
        generation_settings(store, fast=fast, style=style),
        settings.rounds,
    )


def plan_resume(store: ProjectStore, pass_id: int | None = None) -> PlannedPass:
    """The unfinished frames of an interrupted or cancelled pass, exactly as recorded."""
    if pass_id is None:
        unfinished = store.unfinished_passes()
        if not unfinished:
            raise NothingToDoError("There is no interrupted, cancelled or failed pass to resume.")
        info = unfinished[-1]
    else:
        info = store.pass_info(pass_id)
    record = info.settings
    pending = set(store.pending_frame_ids(info.id))
    try:
        jobs = tuple(PlannedJob(**j) for j in record["jobs"] if j["frame_id"] in pending)
        generation = dict(record["generation"])
        schedule = int(record["schedule_rounds"])
    except (KeyError, TypeError, ValueError):
        raise ProjectError(f"Pass {info.id} has no usable record of its jobs.") from None
    if not jobs:
        raise NothingToDoError(f"Pass {info.id} has no frame left to draw.")
    store.check_images(info.reference_image_ids)
    return PlannedPass("resume", jobs, info.reference_image_ids, generation, schedule, info.id)


# ---------------------------------------------------------------------- running


def build_request(store: ProjectStore, plan: PlannedPass, pass_id: int) -> PassRequest:
    """The engine's request for a plan: jobs, settings and the reference embeddings."""
    from engine.api import FrameJob, GenerationSettings, PassRequest, ReferenceSet

    generation = GenerationSettings(**plan.generation)
    references = None
    if plan.reference_image_ids:
        embeddings = store.image_embeddings(plan.reference_image_ids)
        references = ReferenceSet(tuple(str(i) for i in plan.reference_image_ids), embeddings)
    jobs = tuple(
        FrameJob(
            frame_id=str(j.frame_id),
            prompt=j.prompt,
            seed=j.seed,
            round=j.round,
            ip_scale=j.ip_scale,
            pose=_job_pose(store, j) if (j.pose_json and generation.controlnet) else None,
        )
        for j in plan.jobs
    )
    return PassRequest(jobs, generation, references, pass_id=str(pass_id))


def _job_pose(store: ProjectStore, job: PlannedJob) -> Any:
    """The job's parsed pose; a PoseError names the frame it belongs to."""
    from engine.errors import PoseError
    from engine.pose import parse_openpose

    try:
        return parse_openpose(job.pose_json or "")
    except PoseError as exc:
        frames = {f.id: f.position + 1 for f in store.frames()}
        where = f"frame {frames[job.frame_id]}" if job.frame_id in frames else "a deleted frame"
        raise PoseError(f"The pose of {where}: {exc}") from None


def commit_result(
    store: ProjectStore,
    pass_id: int,
    job: PlannedJob,
    result: FrameResult,
    tracker: ReadoutTracker | None = None,
) -> int:
    """Store one engine result (image, thumbnail, embedding, record, read-out) in one
    transaction; ``tracker`` (the story as the pass sees it) gives the read-out."""
    from engine.images import encode_result

    encoded = encode_result(result)
    readout = None
    if tracker is not None:
        readout = tracker.readout(job.frame_id, result.embedding, result.text_embedding)
    image_id = store.commit_image(
        pass_id=pass_id,
        frame_id=job.frame_id,
        round=job.round,
        png=encoded.png,
        thumbnail_png=encoded.thumbnail_png,
        embedding=result.embedding,
        record=result.record.to_dict() | {"pose_json": job.pose_json},
        source_hash=job.source_hash,
        seed=job.seed,
        ip_scale=job.ip_scale,
        width=result.record.width,
        height=result.record.height,
        readout=readout,
    )
    if tracker is not None:
        tracker.committed(job.frame_id, result.embedding)
    return image_id


ENCODE_THREADS = max(1, min(4, (os.cpu_count() or 2) - 1))


def run_pass(
    store: ProjectStore,
    engine: PassEngine,
    plan: PlannedPass,
    *,
    cancel: CancelToken | None = None,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    on_commit: CommitCallback | None = None,
) -> PassOutcome:
    """Run a planned pass, committing each frame as it is finished.

    The pass row says running until it ends as complete, cancelled or failed; a crash leaves
    it running, which the next open turns into "interrupted" (resumable).
    """
    from engine.api import CancelToken
    from engine.errors import EngineError
    from engine.images import encode_result

    cancel = cancel or CancelToken()
    if plan.resume_pass_id is not None:
        store.reopen_pass(plan.resume_pass_id)
        pass_id = plan.resume_pass_id
    else:
        pass_id = store.begin_pass(
            plan.kind, plan.frame_ids, plan.reference_image_ids, plan.settings_record()
        )
    outcome = PassOutcome(pass_id, plan.kind, "running")
    started = time.perf_counter()
    jobs = {str(j.frame_id): j for j in plan.jobs}
    # PNG encoding overlaps the next batch on the GPU; commits stay in order, on this thread
    # (the store's connection is this thread's). Every finished frame is committed, also on
    # cancel or error; a crash loses only frames still being encoded.
    pending: deque[Future[FrameResult]] = deque()

    def commit_ready(wait: bool) -> None:
        while pending and (wait or pending[0].done()):
            result = pending.popleft().result()
            job = jobs[result.frame_id]
            image_id = commit_result(store, pass_id, job, result, tracker)
            outcome.image_ids.append(image_id)
            if on_commit:
                on_commit(job.frame_id, image_id)

    try:
        request = build_request(store, plan, pass_id)
        tracker = store.readout_tracker()
        with ThreadPoolExecutor(ENCODE_THREADS, thread_name_prefix="png") as pool:
            try:
                for result in engine.run_pass(request, cancel=cancel, on_progress=on_progress):
                    pending.append(pool.submit(encode_result, result))
                    commit_ready(wait=False)
            finally:
                commit_ready(wait=True)
    except (EngineError, ProjectError) as exc:
        outcome.status, outcome.error = "failed", str(exc)
    except BaseException as exc:  # KeyboardInterrupt, bugs: record, then let it propagate
        store.finish_pass(pass_id, "failed", f"{type(exc).__name__}: {exc}")
        raise
    else:
        outcome.status = "cancelled" if cancel.cancelled else "complete"
    store.finish_pass(pass_id, outcome.status, outcome.error)
    outcome.seconds = time.perf_counter() - started
    return outcome


def render(
    store: ProjectStore,
    engine: PassEngine,
    *,
    rounds: int | None = None,
    frame_ids: Sequence[int] | None = None,
    stale: bool = False,
    resume: bool = False,
    fast: bool | None = None,
    style: str | None = None,
    cancel: CancelToken | None = None,
    on_progress: Callable[[ProgressEvent], None] | None = None,
    on_commit: CommitCallback | None = None,
    on_pass: Callable[[PlannedPass], None] | None = None,
    preview_sized: bool = False,
) -> list[PassOutcome]:
    """The writer's "render": resume / round 0 where needed, then ``rounds`` iterations.

    ``rounds`` None completes the story's schedule (rounds 1..L for the frames drawn).
    ``preview_sized`` (renders on preview models) replaces size and steps the writer left at
    their defaults with ``PREVIEW_SIZED``. Stops at the first pass that does not complete.
    """
    from engine.api import CancelToken

    cancel = cancel or CancelToken()
    plans: Iterable[PlannedPass]

    def passes() -> Iterable[PlannedPass]:
        if resume:
            yield plan_resume(store)
            return
        first = plan_round0(store, fast=fast, style=style, preview_sized=preview_sized)
        if first is not None:
            yield first
        todo = rounds
        if todo is None:
            done = max((c.latest_round or 0) for c in store.board()) if store.frames() else 0
            todo = max(store.settings().rounds - done, 0)
        for _ in range(todo):
            yield plan_iterate(
                store, frame_ids, stale=stale, fast=fast, style=style, preview_sized=preview_sized
            )
            if stale:
                return

    plans = passes()
    outcomes = []
    for plan in plans:
        if cancel.cancelled:  # stopped between passes: no new pass is begun
            break
        if on_pass:
            on_pass(plan)
        outcome = run_pass(
            store, engine, plan, cancel=cancel, on_progress=on_progress, on_commit=on_commit
        )
        outcomes.append(outcome)
        if outcome.status != "complete":
            break
    return outcomes
