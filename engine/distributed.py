"""Scale-out: one pass split across several GPUs (or CPU processes), same images as one.

``DistributedEngine`` has ``StoryIterEngine``'s pass interface (``run_pass``,
``encode_count``, ``fingerprints()``, ``models.device``), so ``run_story`` and the project
runner use it unchanged. It starts N worker processes once, through accelerate's launcher
utilities (``engine.distributed_pool``); each loads the models on its own device and keeps
them. A pass is cut into the very batches the single-process engine would draw, the batches
are dealt round-robin to the workers, and every finished frame streams back to this process
and is yielded at once (the project runner commits it, the only writer of the project file).

Why whole batches: a frame's pixels depend (by a float rounding or so) on which frames share
its pipeline call; a batch drawn by any worker is the same call the single process makes,
with the same per-frame CPU-seeded generators, so the images are identical, bit for bit.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from engine.api import (
    FAST_STEPS,
    CancelToken,
    EventKind,
    FrameJob,
    FrameResult,
    ModelPaths,
    PassRequest,
    ProgressEvent,
    RuntimeSettings,
)
from engine.distributed_plan import plan_shares, workers_use_cpu
from engine.distributed_pool import WorkerFailedError, WorkerPool, worker_error
from engine.distributed_worker import STARTUP, WorkerInfo
from engine.errors import EngineError, ModelError

__all__ = [
    "DistributedEngine",
    "WorkerFailedError",
    "WorkerModels",
    "make_engine",
    "plan_shares",
    "workers_use_cpu",
]

log = logging.getLogger(__name__)

ProgressCallback = Callable[[ProgressEvent], None]

DEFAULT_START_TIMEOUT = 900.0  # loading SDXL on 8 GPUs from a slow disk takes minutes
CANCEL_DRAIN_TIMEOUT = 60.0  # workers stop within a step; past this they are killed
_POLL = 0.05  # how often a waiting pass looks at the caller's cancel token


@dataclass(frozen=True)
class WorkerModels:
    """What the workers loaded: their devices and the models' fingerprints."""

    devices: tuple[str, ...]
    fingerprints: Mapping[str, str]
    image_embed_dim: int

    @property
    def device(self) -> str:
        """All devices in one string, e.g. ``cuda:0+cuda:1``."""
        return "+".join(self.devices)


def make_engine(paths: ModelPaths, runtime: RuntimeSettings | None = None, devices: int = 1) -> Any:
    """The in-process ``StoryIterEngine`` for one device, a ``DistributedEngine`` for more."""
    if devices < 1:
        raise EngineError(f"--devices must be 1 or more, not {devices}.")
    if devices == 1:
        from engine.story_iter import StoryIterEngine

        return StoryIterEngine(paths, runtime)
    return DistributedEngine(paths, runtime, devices=devices)


class DistributedEngine:
    """Runs passes on N worker processes (one per GPU); the pass interface of StoryIterEngine.

    Workers start on first use (or ``start()``) and stay up with their models loaded until
    ``close()`` (also a context manager, and at interpreter exit). If a worker dies or
    fails, the pass raises (WorkerFailedError, or the worker's own EngineError), the other
    workers are stopped, and the next pass starts fresh workers. Owned by one thread.
    """

    def __init__(
        self,
        paths: ModelPaths,
        runtime: RuntimeSettings | None = None,
        *,
        devices: int,
        start_timeout: float = DEFAULT_START_TIMEOUT,
    ) -> None:
        if devices < 1:
            raise EngineError(f"--devices must be 1 or more, not {devices}.")
        self.paths = paths
        self.runtime = runtime or RuntimeSettings()
        self.devices = devices
        self.start_timeout = start_timeout
        self.use_cpu = workers_use_cpu(self.runtime.device, devices)
        self.encode_count = 0  # images run through the image encoder, over all workers
        self._pool: WorkerPool | None = None
        self._workers: tuple[WorkerInfo, ...] = ()
        self._fingerprints: dict[str, str] = {}
        self._seq = 0
        self._busy = False
        self._told_idle = False

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Launch the workers and load the models now (else the first pass does)."""
        self._ensure_pool(_ignore)

    def close(self) -> None:
        """Stop every worker and wait for them to exit. The engine can start again later."""
        self._discard_pool(graceful=True)

    def __enter__(self) -> DistributedEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            with contextlib.suppress(Exception):  # may run while the interpreter shuts down
                pool.close(graceful=False)

    @property
    def workers(self) -> tuple[WorkerInfo, ...]:
        """The running workers (empty before the first pass or ``start()``)."""
        return self._workers

    @property
    def worker_pids(self) -> tuple[int, ...]:
        return self._pool.pids if self._pool is not None else ()

    @property
    def models(self) -> WorkerModels:
        """Devices and model fingerprints of the workers (starts them if needed)."""
        self._ensure_pool(_ignore)
        return WorkerModels(
            tuple(w.device for w in self._workers),
            dict(self._fingerprints),
            self._workers[0].image_embed_dim,
        )

    def fingerprints(self) -> dict[str, str]:
        return dict(self.models.fingerprints)

    # ------------------------------------------------------------------ passes

    def run_pass(
        self,
        request: PassRequest,
        *,
        cancel: CancelToken | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[FrameResult]:
        """Draw the request's frames on the workers; yields each FrameResult as it arrives.

        Results come in the order the workers finish them. Cancel reaches every worker
        within one denoising step; frames in flight are discarded, as in one process.
        """
        if self._busy:
            raise EngineError("This engine is already running a pass; one runs at a time.")
        self._busy = True
        try:
            yield from self._run(request, cancel or CancelToken(), on_progress or _ignore)
        finally:
            self._busy = False

    def _run(
        self, request: PassRequest, cancel: CancelToken, notify: ProgressCallback
    ) -> Iterator[FrameResult]:
        steps = FAST_STEPS if request.settings.fast else request.settings.steps
        total = steps * len(request.jobs)
        pool = self._ensure_pool(notify)
        shares = plan_shares(request, self.runtime.batch_size, len(self._workers))
        notify(ProgressEvent(EventKind.STARTED, done=0, total=total))
        self._tell_if_idle(request, shares, notify)
        self._seq += 1
        seq = self._seq
        pending: dict[int, set[str]] = {}
        for rank, jobs in enumerate(shares):
            if not jobs:
                continue
            try:
                pool.send(rank, ("pass", seq, replace(request, jobs=jobs)))
            except OSError:
                raise self._lost(rank, pending) from None
            pending[rank] = {j.frame_id for j in jobs}
        steps_done = dict.fromkeys(pending, 0)
        ended = False
        try:
            while pending:
                if cancel.cancelled:
                    pool.cancel(seq)
                item = pool.receive(_POLL)
                if item is None:
                    continue
                rank, message = item
                kind = message[0]
                if kind == "exited":
                    if pool.closed:  # close() from another thread, e.g. the app quitting
                        raise EngineError("The workers were stopped during the pass.")
                    raise self._lost(rank, pending)
                if message[1] not in (seq, STARTUP):
                    continue  # a late message of an abandoned pass
                if kind == "error":
                    raise self._failed(rank, message, pending)
                if kind == "event":
                    self._forward(rank, message[2], steps_done, total, notify)
                elif kind == "result":
                    result: FrameResult = message[2]
                    pending[rank].discard(result.frame_id)
                    self._fingerprints.update(result.record.model_fingerprints)
                    done = sum(steps_done.values())
                    notify(
                        ProgressEvent(
                            EventKind.FRAME_DONE,
                            frame_ids=(result.frame_id,),
                            done=done,
                            total=total,
                        )
                    )
                    yield result
                elif kind == "done":
                    self.encode_count += int(message[2])
                    del pending[rank]
            ended = True
        finally:
            if not ended:
                self._abandon(seq, pending)
        kind = EventKind.CANCELLED if cancel.cancelled else EventKind.FINISHED
        notify(ProgressEvent(kind, done=sum(steps_done.values()), total=total))

    def _forward(
        self,
        rank: int,
        event: ProgressEvent,
        steps_done: dict[int, int],
        total: int,
        notify: ProgressCallback,
    ) -> None:
        """A worker's progress as progress of the whole pass (its own start/end are ours)."""
        if event.kind == EventKind.STEP:
            steps_done[rank] = event.done
            notify(replace(event, done=sum(steps_done.values()), total=total))
        elif event.kind == EventKind.NOTICE:
            notify(replace(event, message=f"Worker {rank + 1}: {event.message}"))

    def _tell_if_idle(
        self, request: PassRequest, shares: list[tuple[FrameJob, ...]], notify: ProgressCallback
    ) -> None:
        busy = sum(1 for s in shares if s)
        if self._told_idle or busy == len(shares) or len(request.jobs) <= busy:
            return
        self._told_idle = True
        notify(
            ProgressEvent(
                EventKind.NOTICE,
                message=(
                    f"{len(request.jobs)} frames at batch size "
                    f"{self.runtime.batch_size or 'auto'} keep "
                    f"{busy} of {len(shares)} workers busy; a smaller batch size would use "
                    "more of them."
                ),
            )
        )

    # ------------------------------------------------------------------ failures

    def _lost(self, rank: int, pending: dict[int, set[str]]) -> WorkerFailedError:
        """A worker died: stop the others, forget the pool, say what happened."""
        pool = self._pool
        assert pool is not None
        what = pool.describe(rank, start=True)
        reason = pool.exit_reason(rank)
        frames = sorted(pending.get(rank, ()))
        pending.clear()
        self._discard_pool(graceful=False)
        doing = f"while drawing frame(s) {', '.join(frames)}" if frames else "between passes"
        return WorkerFailedError(
            f"{what} {reason} {doing}. The pass was cancelled and the other workers "
            "were stopped; frames finished before that are kept."
        )

    def _failed(
        self, rank: int, message: tuple[Any, ...], pending: dict[int, set[str]]
    ) -> EngineError:
        """A worker raised. Its own EngineError keeps the workers; anything else ends them."""
        pool = self._pool
        assert pool is not None
        _, _, name, text, detail = message
        error = worker_error(name, text, pool.describe(rank))
        pending.pop(rank, None)
        if isinstance(error, WorkerFailedError):
            log.error("worker %d failed:\n%s", rank + 1, detail)
            pending.clear()
            self._discard_pool(graceful=False)
        return error

    def _abandon(self, seq: int, pending: dict[int, set[str]]) -> None:
        """Cancel pass ``seq`` on the workers still drawing and wait until they are idle."""
        pool = self._pool
        if pool is None or not pending:
            return
        pool.cancel(seq)
        deadline = time.monotonic() + CANCEL_DRAIN_TIMEOUT
        while pending and time.monotonic() < deadline:
            item = pool.receive(_POLL)
            if item is None:
                continue
            rank, message = item
            if message[0] == "exited":
                break
            if message[1] == seq and message[0] in ("done", "error"):
                pending.pop(rank, None)
        if pending:
            self._discard_pool(graceful=False)

    # ------------------------------------------------------------------ the pool

    def _ensure_pool(self, notify: ProgressCallback) -> WorkerPool:
        pool = self._pool
        if pool is not None and pool.dead_ranks():
            rank = pool.dead_ranks()[0]
            notify(
                ProgressEvent(
                    EventKind.NOTICE,
                    message=f"{pool.describe(rank, start=True)} {pool.exit_reason(rank)}; "
                    "starting the workers again.",
                )
            )
            self._discard_pool(graceful=False)
        if self._pool is not None:
            return self._pool
        pool = WorkerPool(self.paths, self.runtime, self.devices, use_cpu=self.use_cpu)
        workers = pool.start(self.start_timeout)
        prints = {tuple(sorted(w.fingerprints.items())) for w in workers}
        if len(prints) != 1:
            pool.close(graceful=False)
            raise ModelError(
                "The workers loaded different model files (fingerprints differ); every "
                "worker must see the same model folders."
            )
        self._pool, self._workers = pool, workers
        self._fingerprints = dict(workers[0].fingerprints)
        return pool

    def _discard_pool(self, *, graceful: bool) -> None:
        pool, self._pool = self._pool, None
        self._workers = ()
        if pool is not None:
            pool.close(graceful=graceful)


def _ignore(_event: ProgressEvent) -> None:
    pass
