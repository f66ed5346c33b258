"""The UI thread's side of a run: starts orders on the committer thread, tracks progress and
ETA, keeps per-frame drawing state and live previews, warms the engine process up when a
story opens, says when it died and starts it again, and shuts the thread down cleanly."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from PySide6.QtGui import QImage

from engine.api import CancelToken, EventKind, ProgressEvent
from engine.process import EngineProcess, ProcessState
from storyboard_app.project.errors import ProjectError
from storyboard_app.project.run_progress import (
    PassStart,
    ProgressTracker,
    RunOrder,
    RunProgress,
    RunResult,
    progress_label,
)
from storyboard_app.ui.run.worker import (
    EngineWorker,
    ModelChoice,
    Resolver,
    default_resolver,
    engine_settings,
)
from storyboard_app.ui.shared.images import previews_by_frame
from storyboard_app.ui.shared.session import ProjectSession


class RunController(QObject):
    """Owns the committer thread for one open project, and the engine process unless one
    is given (then its owner closes it)."""

    stateChanged = Signal(str)  # idle | running | cancelling
    progressChanged = Signal(object)  # RunProgress
    framesStateChanged = Signal()  # which frames are queued / drawing changed
    previewChanged = Signal()  # a new live preview arrived
    runFinished = Signal(object)  # RunResult
    modelsResolved = Signal(str)
    warmedUp = Signal()  # the engine process has imported its libraries
    engineLost = Signal(str)  # the engine process died; what happened
    noticeRaised = Signal(str)
    _order = Signal(object, object, object)
    _lost = Signal(str)
    _ready = Signal(object)

    def __init__(
        self,
        session: ProjectSession,
        resolver: Resolver | None = None,
        engine: EngineProcess | None = None,
    ) -> None:
        super().__init__(session)
        self.session = session
        self.state = "idle"
        self.tracker = ProgressTracker()
        self.frame_states: dict[int, str] = {}
        self.previews: dict[int, QImage] = {}
        self.last_preview: QImage | None = None
        self.last_result: RunResult | None = None
        self._cancel: CancelToken | None = None
        self._resolver = resolver or default_resolver
        self._choice: ModelChoice | None = None
        # The engine process reports on the asyncio loop; signals bring it to this thread.
        self._lost.connect(self._on_lost)
        self._ready.connect(self._on_ready)
        self._owns_engine = engine is None
        self.engine = engine or EngineProcess(asyncio.get_event_loop())
        self.engine.watch(on_lost=self._lost.emit, on_ready=self._ready.emit)
        # Handed to the committer thread; a read-only story gets a reader (runs are disabled).
        store = session.store
        self._store = store.open_reader(store.path) if store.read_only else store.sibling_writer()
        self._shut = False  # after shutdown, late reports from the committer are dropped
        self._running: RunOrder | None = None
        self._resume_continues = False  # the cut-short run was Iterate All
        self.resumable = False  # an interrupted, cancelled or failed pass is left to finish
        self._check_resumable()
        self._thread = QThread()
        self._thread.setObjectName("StoryIter committer")
        self.worker = EngineWorker(self._store, self.engine, self._resolver)
        self.worker.moveToThread(self._thread)
        self._order.connect(self.worker.run)
        self.worker.passStarted.connect(self._on_pass_started)
        self.worker.progress.connect(self._on_progress)
        self.worker.frameCommitted.connect(self._on_committed)
        self.worker.runFinished.connect(self._on_finished)
        self.worker.modelsResolved.connect(self.modelsResolved)
        self._thread.start()

    def warm_up(self, choice: ModelChoice) -> None:
        """Start the engine process and let it load the models while the writer reads
        (on this device; Ray and clusters are joined by the first run)."""
        self._choice = choice
        if self._shut:
            return
        try:
            paths, runtime = engine_settings(
                self._resolver, choice, self.session.store.settings().batch_size
            )
        except ProjectError:  # a bad model configuration: the first run says what is wrong
            self.engine.launch()
            return
        self.engine.configure(paths, runtime, choice.devices)
        if choice.devices.in_process:  # Ray and clusters start with the first run
            self.engine.preload()

    @property
    def busy(self) -> bool:
        return self.state != "idle"

    def start(self, order: RunOrder, choice: ModelChoice) -> bool:
        """Send an order to the engine thread; False when a run is already going."""
        if self.busy:
            return False
        self.session.flush()  # what is typed now is what gets drawn
        self._cancel = CancelToken()
        self.tracker.reset()
        self.frame_states.clear()
        self.previews.clear()
        self.last_preview = None
        self._choice = choice
        self._set_state("running")
        self.progressChanged.emit(RunProgress(0.0, None, 0, 0, "Loading models…"))
        self._running = order
        self._order.emit(order, choice, self._cancel)
        return True

    def resume_order(self) -> RunOrder:
        """Resume: the unfinished pass, then the rest of its run when that was Iterate All."""
        return RunOrder("resume", then_schedule=self._resume_continues)

    def _check_resumable(self) -> None:
        ok, unfinished = self.session.attempt(self.session.store.unfinished_passes)
        self.resumable = bool(ok and unfinished)

    def cancel(self) -> None:
        """Stop the run within one denoising step; everything committed stays."""
        if self._cancel is not None and self.state == "running":
            self._cancel.cancel()
            self._set_state("cancelling")

    def shutdown(self) -> None:
        """Stop any run, end the thread, close the worker's store, and the engine process
        when this controller started it (idempotent). What the committer thread reported
        but the UI thread has not handled yet is dropped."""
        self._shut = True
        if self._cancel is not None:
            self._cancel.cancel()
            # this thread waits below: the loop cannot carry the cancel
            self.engine.abandon(self._cancel)
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()
        if not self._store.closed:
            self._store.close()
        self.engine.watch(on_lost=None, on_ready=None)
        if self._owns_engine:
            self.engine.close()

    # ------------------------------------------------------------------ the engine process

    def _on_lost(self, what: str) -> None:
        if self._shut:
            return
        self.engineLost.emit(f"{what} Everything committed is kept; it is starting again.")
        # a fresh engine process, warming up while the writer reads
        QTimer.singleShot(0, self, lambda: self._choice and self.warm_up(self._choice))

    def _on_ready(self, state: ProcessState) -> None:
        if not state.device and not self._shut:
            self.warmedUp.emit()

    # ------------------------------------------------------------------ worker signals

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def _on_pass_started(self, start: PassStart) -> None:
        if self._shut:
            return
        self.tracker.start_pass(start)
        self.frame_states = dict.fromkeys(start.frame_ids, "queued")
        self.previews.clear()
        self.framesStateChanged.emit()
        self._emit_progress()

    def _on_progress(self, event: ProgressEvent) -> None:
        if self._shut:
            return
        self.tracker.update(event)
        if event.kind == EventKind.NOTICE and event.message:
            self.noticeRaised.emit(event.message)
        if event.kind == EventKind.STEP and event.frame_ids:
            drawing = {int(i) for i in event.frame_ids}
            changed = False
            for frame_id in drawing:
                if self.frame_states.get(frame_id) != "drawing":
                    self.frame_states[frame_id] = "drawing"
                    changed = True
            images = previews_by_frame(event.frame_ids, event.preview)
            if images:
                self.previews.update(images)
                self.last_preview = images[int(event.frame_ids[0])]
                self.previewChanged.emit()
            if changed:
                self.framesStateChanged.emit()
        self._emit_progress(event)

    def _on_committed(self, frame_id: int, image_id: int) -> None:
        if self._shut:
            return
        self.frame_states.pop(frame_id, None)
        self.previews.pop(frame_id, None)
        self.tracker.pass_saved += 1
        self.framesStateChanged.emit()
        self.session.image_committed(frame_id)
        self._emit_progress()

    def _on_finished(self, result: RunResult) -> None:
        if self._shut:
            return
        self.last_result = result
        order = self._running
        if result.status in ("cancelled", "failed") and order is not None:
            self._resume_continues = order.action == "all" or order.then_schedule
        elif result.status == "complete":
            self._resume_continues = False
        self._check_resumable()
        self.frame_states.clear()
        self.previews.clear()
        self._cancel = None
        self.framesStateChanged.emit()
        self._set_state("idle")
        self.session.boardChanged.emit()
        self.runFinished.emit(result)

    def _emit_progress(self, event: ProgressEvent | None = None) -> None:
        start = self.tracker.pass_start
        if start is None:
            return
        label = progress_label(start, self.tracker.pass_saved, self.tracker.eta())
        if self.state == "cancelling":
            label = "Cancelling — stopping after this step…"
        self.progressChanged.emit(
            RunProgress(
                self.tracker.fraction(),
                self.tracker.eta(),
                start.number,
                start.expected,
                label,
            )
        )
