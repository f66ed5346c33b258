"""One scale-out worker process: loads the models once on its device, then draws its share.

Started by ``engine.distributed_pool.WorkerPool`` through accelerate's ``PrepareForLaunch``,
which sets ``LOCAL_RANK``/``RANK``; ``PartialState`` then joins the process group (gloo on
CPU, nccl on GPUs) and picks the device (``cuda:{local_rank}``). Every message is a tuple
sent over this worker's own pipes (the main process is the only other end):

    main -> worker   ("pass", seq, PassRequest) | ("stop",)
    worker -> main   ("ready", WorkerInfo) | ("event", seq, ProgressEvent)
                     | ("result", seq, FrameResult) | ("done", seq, image_encodes)
                     | ("error", seq, error_class_name, message, traceback_text)

``seq`` numbers the passes; the main process cancels pass ``seq`` by writing it into a
shared integer that every worker's cancel token reads between denoising steps.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, replace
from typing import Any

from engine.api import CancelToken, ModelPaths, RuntimeSettings
from engine.errors import EngineError

STARTUP = -1  # the seq of messages sent before any pass


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker reports once its models are loaded."""

    rank: int
    device: str
    pid: int
    fingerprints: dict[str, str]
    image_embed_dim: int


class SharedPassCancel(CancelToken):
    """Cancelled when the main process has cancelled this pass (or any later one)."""

    def __init__(self, cancelled_seq: Any, seq: int) -> None:
        super().__init__()
        self._cancelled_seq = cancelled_seq
        self._seq = seq

    @property
    def cancelled(self) -> bool:
        return self._cancelled_seq.value >= self._seq or super().cancelled


def serve(
    commands: Any,
    results: Any,
    cancelled_seq: Any,
    paths: ModelPaths,
    runtime: RuntimeSettings,
    use_cpu: bool,
    env: dict[str, str],
    main_pid: int,
) -> None:
    """The worker's whole life: join the process group, load the models, serve passes."""
    os.environ.update(env)
    os.environ["RANK"] = os.environ["LOCAL_RANK"]  # one node: a stray NODE_RANK must not count
    _use_threads(int(env.get("OMP_NUM_THREADS", "0")))
    # Ctrl-C in a terminal reaches the whole process group; the main process turns it into
    # a clean cancel of the pass, so a worker must not die of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(main_pid)
    state = None
    try:
        state, engine, info = _load(paths, runtime, use_cpu)
        results.send(("ready", info))
        _serve_passes(engine, commands, results, cancelled_seq)
    except (BrokenPipeError, ConnectionError, EOFError):
        pass  # the main process has gone: nothing left to report to
    except Exception as exc:  # a model problem, a bug or a broken installation
        _report(results, STARTUP, exc)
    finally:
        if state is not None:
            _leave_process_group()


def _load(paths: ModelPaths, runtime: RuntimeSettings, use_cpu: bool) -> tuple[Any, Any, Any]:
    from accelerate import PartialState

    from engine.story_iter import StoryIterEngine

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # thread-count advice; the pool sets OMP_NUM_THREADS
        state = PartialState(cpu=use_cpu)
    device = "cpu" if use_cpu else str(state.device)
    engine = StoryIterEngine(paths, replace(runtime, device=device))
    models = engine.models
    info = WorkerInfo(
        rank=state.process_index,
        device=device,
        pid=os.getpid(),
        fingerprints=dict(models.fingerprints),
        image_embed_dim=models.image_embed_dim,
    )
    return state, engine, info


def _serve_passes(engine: Any, commands: Any, results: Any, cancelled_seq: Any) -> None:
    while True:
        try:
            message = commands.recv()
        except (EOFError, OSError):
            return  # the main process closed the pool (or died)
        if message[0] != "pass":
            return
        _, seq, request = message
        token = SharedPassCancel(cancelled_seq, seq)
        before = engine.encode_count

        def forward(event: Any, seq: int = seq) -> None:
            results.send(("event", seq, event))

        try:
            for result in engine.run_pass(request, cancel=token, on_progress=forward):
                results.send(("result", seq, result))
        except (BrokenPipeError, ConnectionError):
            raise
        except Exception as exc:
            _report(results, seq, exc)
            continue
        results.send(("done", seq, engine.encode_count - before))


def _report(results: Any, seq: int, exc: BaseException) -> None:
    detail = "" if isinstance(exc, EngineError) else traceback.format_exc()
    name = type(exc).__name__
    message = str(exc) if isinstance(exc, EngineError) else f"{name}: {exc}"
    with contextlib.suppress(OSError):  # the main process may be gone
        results.send(("error", seq, name, message, detail))


def _use_threads(count: int) -> None:
    # torch was imported before this ran (by the launcher), so the variable alone is late.
    if count > 0:
        import torch

        torch.set_num_threads(count)


def _exit_with_parent(main_pid: int) -> None:
    """A watchdog: if the main process dies (even by SIGKILL), stop within a second.

    The closed pipes already end an idle worker; this also ends one in the middle of a
    long batch, so no orphan keeps a GPU busy. The worker's parent is the main process
    (spawn) or the forkserver, which exits with the main process: either way it changes.
    """
    parent = os.getppid()

    def main_alive() -> bool:
        try:
            os.kill(main_pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent or not main_alive():
                os._exit(3)

    threading.Thread(target=watch, name="main-process-watchdog", daemon=True).start()


def _leave_process_group() -> None:
    try:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    except Exception:  # leaving is best effort; the process ends right after
        pass
