"""The committer thread: runs the runner's passes on the engine process, commits the frames.

It receives a ``RunOrder`` (a value), runs the runner's passes with ``runner.render`` on the
``EngineProcess`` (torch, the GPU and the models live in that child process; its frames
arrive as PNG bytes) and reports through signals with values and ids only: a pass started,
progress (the engine's ProgressEvent, throttled), a frame committed, the run finished. The
UI thread never waits for it; cancelling sets the run's CancelToken, which the engine
process hears within a step.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QObject, Signal, Slot

from engine.api import (
    FAST_STEPS,
    CancelToken,
    Devices,
    EventKind,
    ModelPaths,
    ProgressEvent,
    RuntimeSettings,
)
from engine.errors import EngineError
from engine.process import EngineProcess
from storyboard_app.project import runner
from storyboard_app.project.errors import ProjectError
from storyboard_app.project.model_config import ModelConfig, resolve_models
from storyboard_app.project.run_progress import (
    PassEnd,
    PassStart,
    RunOrder,
    RunResult,
    expected_passes,
)
from storyboard_app.project.store import ProjectStore

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1  # step events closer together than this are dropped


@dataclass(frozen=True)
class ModelChoice:
    """Which models to draw with (the saved configuration, or the preview models), and on
    which devices (Run → Devices)."""

    config: ModelConfig
    preview: bool
    devices: Devices = field(default_factory=Devices)


Resolver = Callable[[ModelChoice], tuple[ModelPaths, RuntimeSettings]]


def default_resolver(choice: ModelChoice) -> tuple[ModelPaths, RuntimeSettings]:
    # Preview models are built by the engine process, where torch lives, not here.
    return resolve_models(choice.config, preview=choice.preview, build=False)


def engine_settings(
    resolver: Resolver, choice: ModelChoice, batch_size: int
) -> tuple[ModelPaths, RuntimeSettings]:
    """What the engine process is configured with for a choice and the story's batch size."""
    paths, runtime = resolver(choice)
    return paths, replace(runtime, batch_size=batch_size or runtime.batch_size)


class EngineWorker(QObject):
    """Lives in the committer thread: runs the runner's passes on the engine process and
    commits what it sends. Give it its own (sibling) store; it closes nothing it did not
    open: the controller closes the store after the thread has stopped."""

    passStarted = Signal(object)  # PassStart
    progress = Signal(object)  # engine.api.ProgressEvent
    frameCommitted = Signal(int, int)  # frame id, image id
    passFinished = Signal(object)  # PassEnd
    runFinished = Signal(object)  # RunResult
    modelsResolved = Signal(str)

    def __init__(
        self, store: ProjectStore, engine: EngineProcess, resolver: Resolver | None = None
    ) -> None:
        super().__init__()
        self._store = store
        self._resolver = resolver or default_resolver
        self._engine = engine
        self._preview = False  # the configured models are the preview models
        self._last_emit = 0.0
        self._pass_number = 0
        self._expected = 0

    @Slot(object, object, object)
    def run(self, order: RunOrder, choice: ModelChoice, cancel: CancelToken) -> None:
        """Run an order to its end (or its cancel); always ends with ``runFinished``."""
        passes: list[PassEnd] = []
        described = ""
        try:
            engine, described = self._engine_for(choice)
            self._expected, rounds = expected_passes(self._store, order)
            self._pass_number = 0
            outcomes = runner.render(
                self._store,
                engine,
                rounds=rounds,
                frame_ids=list(order.frame_ids) if order.action == "selected" else None,
                stale=order.action == "stale",
                resume=order.action == "resume",
                fast=order.fast,
                style=order.style,
                cancel=cancel,
                on_progress=self._on_progress,
                on_commit=self.frameCommitted.emit,
                on_pass=self._on_pass,
                preview_sized=self._preview,
            )
            finished = bool(outcomes) and outcomes[-1].status == "complete"
            if order.then_schedule and finished and not cancel.cancelled:
                outcomes += runner.render(  # the rest of the Iterate All run that was cut short
                    self._store,
                    engine,
                    fast=order.fast,
                    style=order.style,
                    cancel=cancel,
                    on_progress=self._on_progress,
                    on_commit=self.frameCommitted.emit,
                    on_pass=self._on_pass,
                )
            for outcome in outcomes:
                end = PassEnd(
                    outcome.pass_id,
                    outcome.kind,
                    outcome.status,
                    len(outcome.image_ids),
                    outcome.error,
                )
                passes.append(end)
                self.passFinished.emit(end)
            status = passes[-1].status if passes else "nothing"
            message = passes[-1].error if passes and status == "failed" else ""
            if status == "complete" and cancel.cancelled:
                status = "cancelled"
            self.runFinished.emit(RunResult(tuple(passes), status, message, described))
        except runner.NothingToDoError as exc:
            self.runFinished.emit(RunResult(tuple(passes), "nothing", str(exc), described))
        except (ProjectError, EngineError) as exc:
            self.runFinished.emit(RunResult(tuple(passes), "failed", str(exc), described))
        except Exception as exc:  # a bug must not take the app down: report it
            log.error("Engine worker failed:\n%s", traceback.format_exc())
            self.runFinished.emit(
                RunResult(
                    tuple(passes),
                    "failed",
                    f"Unexpected error in the engine ({type(exc).__name__}: {exc}). "
                    "Everything drawn before it is saved.",
                    described,
                )
            )

    def _engine_for(self, choice: ModelChoice) -> tuple[EngineProcess, str]:
        paths, runtime = engine_settings(self._resolver, choice, self._store.settings().batch_size)
        self._engine.configure(paths, runtime, choice.devices)
        self._preview = paths.preview
        described = paths.describe()
        if paths.preview:
            from storyboard_app.project.preview_sizing import describe_preview_sizing

            sizing = describe_preview_sizing(self._store)
            described += f" — {sizing}" if sizing else ""
        if not choice.devices.in_process:
            described += f" · {choice.devices.describe()}"
        self.modelsResolved.emit(described)
        return self._engine, described

    def _on_pass(self, plan: runner.PlannedPass) -> None:
        self._pass_number += 1
        generation = plan.generation
        steps = FAST_STEPS if generation.get("fast") else int(generation.get("steps", 1))
        self.passStarted.emit(
            PassStart(
                self._pass_number,
                max(self._expected, self._pass_number),
                plan.kind,
                plan.frame_ids,
                tuple(sorted({j.round for j in plan.jobs})),
                steps,
            )
        )

    def _on_progress(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        if event.kind == EventKind.STEP and now - self._last_emit < PROGRESS_INTERVAL_S:
            return
        self._last_emit = now
        self.progress.emit(event)
