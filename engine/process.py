"""The app's engine in a child process, talked to over asyncio streams.

``EngineProcess`` starts ``engine.process_main`` with one end of a socket pair and reads its
messages on the given asyncio loop (the app's qasync loop): nothing of torch, the GPU or
the models lives in this process, only values cross. It is a ``PassEngine`` for one other
thread (the app's committer thread): ``run_pass`` sends the request and yields the encoded
frames as the reader hands them over, forwarding progress and cancel. If the child dies,
the pass in flight raises EngineLostError saying how it ended, ``on_lost`` is told, and
the next use starts a fresh child.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import signal
import socket
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from engine import errors
from engine.api import (
    CancelToken,
    Devices,
    FrameResult,
    ModelPaths,
    PassRequest,
    ProgressCallback,
    RuntimeSettings,
)
from engine.errors import EngineError, EngineLostError
from engine.process_wire import pack, read

_POLL = 0.05  # how often a waiting pass looks at its cancel token
_LOST = "lost"
_ABANDONED = "abandoned"


@dataclass(frozen=True)
class ProcessState:
    """What the app shows about its engine process."""

    pid: int
    ready: bool  # torch imported, serving
    device: str = ""


class EngineProcess:
    """The engine process and its asyncio reader; a PassEngine for one committer thread."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        on_lost: Callable[[str], None] | None = None,
        on_ready: Callable[[ProcessState], None] | None = None,
    ) -> None:
        self._loop = loop
        self._on_lost = on_lost
        self._on_ready = on_ready
        self._proc: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._outbox: list[bytes] = []  # written once the stream is connected, in order
        self._reader: asyncio.Task[None] | None = None
        self._waiting: dict[int, queue.Queue[tuple[Any, ...]]] = {}
        self._tokens = itertools.count(1)
        self._key: tuple[ModelPaths, RuntimeSettings, Devices] | None = None  # the child's
        self._wanted: tuple[ModelPaths, RuntimeSettings, Devices] | None = None
        self._abandoned: weakref.WeakSet[CancelToken] = weakref.WeakSet()
        self.encode_count = 0
        self._device = ""
        self._fingerprints: dict[str, str] = {}

    # ------------------------------------------------------------------ life cycle

    def watch(
        self,
        *,
        on_lost: Callable[[str], None] | None,
        on_ready: Callable[[ProcessState], None] | None,
    ) -> None:
        """Who is told (on the loop's thread) that the child died, or is ready."""
        self._on_lost, self._on_ready = on_lost, on_ready

    @property
    def pid(self) -> int | None:
        """The engine process's id while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def launch(self) -> None:
        """Start the child now if it is not running (it imports torch: the warm-up)."""
        if self._proc is not None and self._proc.poll() is None:
            return
        ours, theirs = socket.socketpair()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "engine.process_main", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env=env,
        )
        theirs.close()
        self._key = None
        self._writer = None
        proc = self._proc

        def begin() -> None:
            self._reader = self._loop.create_task(self._read(ours, proc))

        self._loop.call_soon_threadsafe(begin)
        if self._wanted is not None:  # a fresh child after a loss: the same models again
            self._key = self._wanted
            self._post(("configure", *self._wanted))

    def configure(self, paths: ModelPaths, runtime: RuntimeSettings, devices: Devices) -> None:
        """Which models and devices the next passes use (the child reuses what it has)."""
        self._wanted = (paths, runtime, devices)
        self.launch()
        if self._wanted != self._key:
            self._key = self._wanted
            self._post(("configure", *self._wanted))

    def start(self) -> None:
        """Load the models in the child now and wait until they are loaded."""
        token = next(self._tokens)
        answers = self._expect(token)
        self._post(("start", token))
        try:
            message = self._next(answers, None)
            if message[0] == "started":
                self._device, self._fingerprints = message[2], dict(message[3])
        finally:
            self._waiting.pop(token, None)

    def preload(self) -> None:
        """Ask the child to load the models, without waiting (an open story's warm-up)."""
        self._post(("start", next(self._tokens)))

    def abandon(self, cancel: CancelToken) -> None:
        """End the passes of the run ``cancel`` belongs to at once, as cancelled: the one
        waiting now and any it starts later (the story is closing: the loop that would carry
        the cancel and the last messages may not turn again)."""
        self._abandoned.add(cancel)
        for answers in list(self._waiting.values()):
            answers.put((_ABANDONED,))

    def close(self) -> None:
        """Stop the child (closing its socket ends it); idempotent."""
        proc, self._proc = self._proc, None
        writer, self._writer = self._writer, None
        if writer is not None:
            self._loop.call_soon_threadsafe(writer.close)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    # ------------------------------------------------------------------ PassEngine

    # device and fingerprints() may wait for the child: never call them on the loop's thread.

    @property
    def device(self) -> str:
        if not self._device:
            self.start()
        return self._device

    def fingerprints(self) -> dict[str, str]:
        if not self._fingerprints:
            self.start()
        return dict(self._fingerprints)

    def run_pass(
        self,
        request: PassRequest,
        *,
        cancel: CancelToken | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[FrameResult]:
        """Draw in the child; yields each frame (PNG and thumbnail bytes, no pixels)."""
        cancel = cancel or CancelToken()
        notify = on_progress or (lambda _e: None)
        token = next(self._tokens)
        answers = self._expect(token)
        self._post(("pass", token, request))
        told = False
        finished = False
        try:
            while True:
                if cancel in self._abandoned:
                    return
                if cancel.cancelled and not told:
                    told = True
                    self._post(("cancel", token))
                message = self._next(answers, _POLL)
                if message is None:
                    continue
                kind = message[0]
                if kind == _ABANDONED:
                    return
                if kind == "event":
                    notify(message[2])
                elif kind == "frame":
                    yield message[2]
                elif kind == "done":
                    self.encode_count += int(message[2])
                    self._device, self._fingerprints = message[3], dict(message[4])
                    finished = True
                    return
        finally:
            self._waiting.pop(token, None)
            if not finished and not told and self.pid is not None:
                self._post(("cancel", token))  # the caller stopped reading: stop drawing

    # ------------------------------------------------------------------ the wire

    def _expect(self, token: int) -> queue.Queue[tuple[Any, ...]]:
        self.launch()
        answers: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._waiting[token] = answers
        return answers

    def _next(self, answers: queue.Queue[tuple[Any, ...]], timeout: float | None) -> Any:
        try:
            message = answers.get(timeout=timeout)
        except queue.Empty:
            return None
        if message[0] == _LOST:
            raise EngineLostError(message[1])
        if message[0] == "error":
            error = getattr(errors, message[2], None)
            if isinstance(error, type) and issubclass(error, EngineError):
                raise error(message[3])
            raise EngineError(f"Unexpected error in the engine process ({message[3]}).")
        return message

    def _post(self, message: tuple[Any, ...]) -> None:
        """Send from any thread: the write happens on the loop, in order."""
        data = pack(message)

        def write() -> None:
            self._outbox.append(data)
            self._flush()

        self._loop.call_soon_threadsafe(write)

    def _flush(self) -> None:
        if self._writer is not None:
            for data in self._outbox:
                self._writer.write(data)
            self._outbox.clear()

    async def _read(self, sock: socket.socket, proc: subprocess.Popen[bytes]) -> None:
        """The reader task: hand every message to whoever waits for its token."""
        reader, writer = await asyncio.open_unix_connection(sock=sock)
        if self._proc is proc:
            self._writer = writer
            self._flush()
        while (message := await read(reader)) is not None:
            kind = message[0]
            if kind == "hello":
                if self._on_ready:
                    self._on_ready(ProcessState(message[1], True))
                continue
            answers = self._waiting.get(message[1])
            if answers is not None:
                answers.put(message)
            elif kind == "started" and self._on_ready:  # a preload finished
                self._device, self._fingerprints = message[2], dict(message[3])
                self._on_ready(ProcessState(proc.pid, True, message[2]))
        writer.close()
        while (code := proc.poll()) is None:  # the socket closes as the child ends
            await asyncio.sleep(0.02)
        if self._proc is not proc:  # closed (or replaced) on purpose
            return
        what = f"The engine process (pid {proc.pid}) {_ending(code)}"
        for answers in list(self._waiting.values()):
            answers.put((_LOST, f"{what} during the pass. {_KEPT}"))
        self._proc, self._writer, self._key = None, None, None
        self._outbox.clear()
        if self._on_lost:
            self._on_lost(what + ".")


_KEPT = (
    "Every frame committed before that is kept; the engine restarts, and Resume finishes the pass."
)


def _ending(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory, or stopped from outside)" if name == "SIGKILL" else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {code}"
