"""The engine process: owns torch, the GPU and the model cache; serves the app's passes.

Started by ``engine.process.EngineProcess`` as ``python -m engine.process_main FD`` with one
end of a socket pair. A reader thread takes the app's messages (a cancel acts at once, the
rest queue up); the main thread configures engines, loads models and draws passes. Every
finished frame is PNG-encoded here, on threads beside the drawing, and sent as bytes; step
events are sent at most every ``STEP_INTERVAL_S``. If the app goes away (its end of the
socket closes, even after a SIGKILL), this process ends at once.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from engine.api import (
    CancelToken,
    Devices,
    EventKind,
    FrameResult,
    ModelPaths,
    PassEngine,
    ProgressEvent,
    RuntimeSettings,
)
from engine.errors import EngineError
from engine.process_wire import pack, receive

log = logging.getLogger(__name__)

STEP_INTERVAL_S = 0.05
NICENESS = 19
ENCODE_THREADS = max(1, min(4, (os.cpu_count() or 2) - 1))


class EngineHost:
    """The engines of this process, one at a time, with the model cache they share."""

    def __init__(self, send: Any) -> None:
        from engine.models import ModelCache

        self._send = send
        self._cache = ModelCache()
        self._key: tuple[ModelPaths, RuntimeSettings, Devices] | None = None
        self._engine: PassEngine | None = None
        self.cancels: dict[int, CancelToken] = {}

    def handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "configure":
            self._configure(*message[1:])
            return
        token = message[1]
        try:
            engine = self._current()
            if kind == "start":
                engine.start()
                self._send(("started", token, engine.device, engine.fingerprints()))
            elif kind == "pass":
                self._run(token, engine, message[2])
        except EngineError as exc:
            self._send(("error", token, type(exc).__name__, str(exc)))
        except Exception as exc:  # a bug: say it, keep serving
            log.exception("engine process: %s failed", kind)
            self._send(("error", token, type(exc).__name__, f"{type(exc).__name__}: {exc}"))
        finally:
            self.cancels.pop(token, None)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()

    def _configure(self, paths: ModelPaths, runtime: RuntimeSettings, devices: Devices) -> None:
        if self._key == (paths, runtime, devices):
            return
        self.close()
        self._key, self._engine = (paths, runtime, devices), None

    def _current(self) -> PassEngine:
        if self._key is None:
            raise EngineError("The engine process was not told which models to use.")
        if self._engine is None:
            paths, runtime, devices = self._key
            if paths.preview:  # built here, where torch lives, the first time
                from engine.preview_models import (
                    PROFILES,
                    ensure_preview_models,
                    preview_build_missing,
                )

                root = paths.base.parent
                if preview_build_missing(root):
                    ensure_preview_models(root, root.name if root.name in PROFILES else "micro")
            if devices.in_process:
                from engine.story_iter import StoryIterEngine

                self._engine = StoryIterEngine(paths, runtime, self._cache)
            else:
                from engine.engines import make_engine

                self._engine = make_engine(paths, runtime, devices)
        return self._engine

    def _run(self, token: int, engine: PassEngine, request: Any) -> None:
        cancel = self.cancels.setdefault(token, CancelToken())
        last_step = [0.0]

        def on_progress(event: ProgressEvent) -> None:
            now = time.monotonic()
            if event.kind == EventKind.STEP and now - last_step[0] < STEP_INTERVAL_S:
                return
            last_step[0] = now
            self._send(("event", token, event))

        from engine.images import encode_result

        before = engine.encode_count

        def send_frame(future: Future[FrameResult]) -> None:
            self._send(("frame", token, future.result()))  # as soon as it is encoded

        with ThreadPoolExecutor(ENCODE_THREADS, thread_name_prefix="png") as pool:
            for result in engine.run_pass(request, cancel=cancel, on_progress=on_progress):
                pool.submit(encode_result, result, keep_image=False).add_done_callback(send_frame)
        self._send(
            ("done", token, engine.encode_count - before, engine.device, engine.fingerprints())
        )


def serve(sock: socket.socket) -> None:
    """This process's whole life: read messages, run them, until the app goes away."""
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        data = pack(message)
        with lock:
            sock.sendall(data)

    work: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
    host_ready = threading.Event()
    holder: dict[str, EngineHost] = {}

    def read() -> None:
        while (message := receive(sock)) is not None:
            if message[0] == "cancel":
                host_ready.wait()
                holder["host"].cancels.setdefault(message[1], CancelToken()).cancel()
            else:
                work.put(message)
        os._exit(0)  # the app has gone (closed, or killed): nothing is left to draw for

    threading.Thread(target=read, name="engine-process-reader", daemon=True).start()
    import engine.story_iter  # noqa: F401  (torch and diffusers: the warm-up)
    from engine.models import quiet_library_logs

    quiet_library_logs()
    holder["host"] = host = EngineHost(send)
    host_ready.set()
    send(("hello", os.getpid()))
    while (message := work.get()) is not None:
        host.handle(message)


def main(argv: list[str]) -> int:
    # Ctrl-C in the app's terminal reaches this process too; the app decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Drawing yields the CPU to the window on a busy machine (a GPU pass mostly waits anyway).
    os.nice(NICENESS)
    logging.basicConfig(level=logging.WARNING)
    serve(socket.socket(fileno=int(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
