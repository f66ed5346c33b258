"""The worker processes of a scale-out engine: launched with accelerate, watched, stopped.

Launching follows accelerate's own launchers (``notebook_launcher``/``debug_launcher``):
every process runs ``PrepareForLaunch(serve, ...)``, which gives it ``LOCAL_RANK``/``RANK``,
with the environment ``torch.distributed`` expects (world size, master address and port),
before ``PartialState`` joins the process group and picks the device. Unlike those launchers
the pool does not wait for the processes to finish: they stay up, models loaded, and serve
one pass after another.

Each worker has two pipes of its own (commands in, results out) and nothing else is
shared with it but one integer, the number of the last cancelled pass. A reader thread
drains every result pipe into one queue as messages arrive, so a worker never waits on
the main process (which may be busy committing a frame to the project file), and the end
of a pipe (EOF) tells the main process at once that a worker is gone, however it died.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import socket
import sys
import threading
import time
from multiprocessing import connection
from typing import Any

from engine.api import ModelPaths, RuntimeSettings
from engine.distributed_worker import STARTUP, WorkerInfo, serve
from engine.errors import EngineError

log = logging.getLogger(__name__)

_NEVER = -1
_ALL_PASSES = 2**62  # cancels every pass, whatever its number
_OPEN_POOLS: set[WorkerPool] = set()


class WorkerFailedError(EngineError):
    """A worker process died or failed; the pass was cancelled and the workers stopped."""


class WorkerPool:
    """``size`` worker processes, each with the models loaded on its own device."""

    def __init__(
        self, paths: ModelPaths, runtime: RuntimeSettings, size: int, *, use_cpu: bool
    ) -> None:
        self.paths = paths
        self.runtime = runtime
        self.size = size
        self.use_cpu = use_cpu
        self._processes: list[Any] = []
        self._pids: list[int] = []
        self._commands: list[Any] = []
        self._results: list[Any] = []
        self._inbox: queue.Queue[tuple[int, tuple[Any, ...]]] = queue.Queue()
        self._cancelled: Any = None
        self._reader: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------------ life cycle

    def start(self, timeout: float) -> tuple[WorkerInfo, ...]:
        """Launch the workers and wait until each has loaded its models.

        Raises the worker's own EngineError (e.g. ModelError for a broken model folder) or
        WorkerFailedError; the pool is closed before either is raised.
        """
        _OPEN_POOLS.add(self)
        try:
            self._launch()
            return self._wait_ready(timeout)
        except BaseException:
            self.close(graceful=False)
            raise

    def _launch(self) -> None:
        from accelerate.utils import PrepareForLaunch

        ctx = _context()
        self._cancelled = ctx.RawValue("q", _NEVER)
        kind = "MULTI_CPU" if self.use_cpu else "MULTI_GPU"
        launcher = PrepareForLaunch(serve, distributed_type=kind)
        env = self._environment()
        for rank in range(self.size):
            commands_in, commands_out = ctx.Pipe(duplex=False)
            results_in, results_out = ctx.Pipe(duplex=False)
            process = ctx.Process(
                target=launcher,
                args=(rank, commands_in, results_out, self._cancelled, self.paths,
                      self.runtime, self.use_cpu, env, os.getpid()),
                name=f"storyiter-worker-{rank}",
                daemon=True,  # multiprocessing ends daemonic children if we exit abruptly
            )  # fmt: skip
            process.start()
            # Only the worker may hold its ends: a dead worker must mean EOF here.
            commands_in.close()
            results_out.close()
            self._processes.append(process)
            self._pids.append(process.pid)
            self._commands.append(commands_out)
            self._results.append(results_in)
        self._reader = threading.Thread(target=self._read, name="storyiter-inbox", daemon=True)
        self._reader.start()

    def _environment(self) -> dict[str, str]:
        """What torch.distributed and PartialState read, for one node of ``size`` processes.

        Handed to each worker rather than set here: this process's environment is shared
        with its other threads (the app's UI), and a forkserver child would not see it.
        """
        env = {
            "WORLD_SIZE": self.size,
            "LOCAL_WORLD_SIZE": self.size,
            "NPROC": self.size,
            "NODE_RANK": 0,
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": _free_port(),
            # N processes share the cores; without this each would use a thread per core.
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")
            or max(1, (os.cpu_count() or 1) // self.size),
        }
        if self.use_cpu:
            if sys.platform.startswith("linux") and not os.environ.get("GLOO_SOCKET_IFNAME"):
                env["GLOO_SOCKET_IFNAME"] = "lo"  # as accelerate's debug_launcher does
        else:
            from accelerate.utils import check_cuda_p2p_ib_support

            if not check_cuda_p2p_ib_support():  # as accelerate's launchers do (RTX 40xx)
                env["NCCL_P2P_DISABLE"] = "1"
                env["NCCL_IB_DISABLE"] = "1"
        return {k: str(v) for k, v in env.items()}

    def _wait_ready(self, timeout: float) -> tuple[WorkerInfo, ...]:
        infos: dict[int, WorkerInfo] = {}
        deadline = time.monotonic() + timeout
        while len(infos) < self.size:
            if time.monotonic() > deadline:
                raise WorkerFailedError(
                    f"The {self.size} worker processes did not load the models within "
                    f"{timeout:.0f} s ({len(infos)} ready)."
                )
            item = self.receive(0.2)
            if item is None:
                continue
            rank, message = item
            if message[0] == "ready":
                infos[rank] = message[1]
            elif message[0] == "error":
                raise worker_error(message[2], message[3], self.describe(rank))
            elif message[0] == "exited":
                raise WorkerFailedError(
                    f"{self.describe(rank, start=True)} {self.exit_reason(rank)} while "
                    "loading the models."
                )
        return tuple(infos[r] for r in range(self.size))

    def close(self, *, graceful: bool = True, timeout: float = 10.0) -> None:
        """Stop every worker: politely when ``graceful``, else at once; reap them all."""
        if self._closed:
            return
        self._closed = True
        _OPEN_POOLS.discard(self)
        self.cancel(_ALL_PASSES)
        for conn in self._commands:
            if graceful:
                with contextlib.suppress(OSError):
                    conn.send(("stop",))
            conn.close()
        deadline = time.monotonic() + (timeout if graceful else 0.0)
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(5.0)
            if process.is_alive():
                process.kill()
                process.join(5.0)
        if self._reader is not None:
            self._reader.join(5.0)
        for conn in self._results:
            conn.close()
        for process in self._processes:
            with contextlib.suppress(ValueError):  # frees its sentinel; ValueError if running
                process.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ messages

    def send(self, rank: int, message: tuple[Any, ...]) -> None:
        """Send a command to one worker (OSError if it is gone)."""
        self._commands[rank].send(message)

    def cancel(self, seq: int) -> None:
        """Cancel pass ``seq`` (and every earlier one) on every worker, at its next step."""
        if self._cancelled is not None and self._cancelled.value < seq:
            self._cancelled.value = seq

    def receive(self, timeout: float) -> tuple[int, tuple[Any, ...]] | None:
        """The next (rank, message), or None after ``timeout`` seconds.

        A worker that is gone produces ``(rank, ("exited",))`` after its last message.
        """
        try:
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def _read(self) -> None:
        live = {conn: rank for rank, conn in enumerate(self._results)}
        while live:
            try:
                ready = connection.wait(list(live), timeout=0.5)
            except OSError:  # a pipe was closed under us: the pool is closing
                return
            for conn in ready:
                rank = live[conn]
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    del live[conn]
                    self._inbox.put((rank, ("exited",)))
                    continue
                except Exception as exc:  # an unreadable message: treat the worker as failed
                    del live[conn]
                    text = f"sent an unreadable message ({type(exc).__name__}: {exc})"
                    self._inbox.put((rank, ("error", STARTUP, "WorkerFailedError", text, "")))
                    continue
                self._inbox.put((rank, message))

    # ------------------------------------------------------------------ health

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple(self._pids)

    def dead_ranks(self) -> list[int]:
        """Workers that have exited (for whatever reason)."""
        if self._closed:
            return list(range(self.size))
        return [rank for rank, p in enumerate(self._processes) if p.exitcode is not None]

    def describe(self, rank: int, *, start: bool = False) -> str:
        """``worker 2 of 4 (cuda:1, pid 4242)``: which worker, for messages."""
        device = "cpu" if self.use_cpu else f"cuda:{rank}"
        pid = self._pids[rank] if rank < len(self._pids) else "?"
        word = "Worker" if start else "worker"
        return f"{word} {rank + 1} of {self.size} ({device}, pid {pid})"

    def exit_reason(self, rank: int, wait: float = 5.0) -> str:
        """How a worker ended, in words: "was killed by SIGKILL", "exited with code 1"."""
        if self._closed:
            return "was stopped"
        process = self._processes[rank]
        process.join(wait)
        code = process.exitcode
        if code is None:
            return "stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            hint = " (the system may have run out of memory)" if -code == 9 else ""
            return f"was killed by {name}{hint}"
        return "exited" if code == 0 else f"exited with code {code}"


def worker_error(name: str, message: str, where: str) -> EngineError:
    """The engine error a worker reported, as the same class where it is one of ours."""
    from engine import errors

    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, EngineError):
        return cls(f"{message} [{where}]")
    return WorkerFailedError(f"{where[:1].upper()}{where[1:]} failed: {message}")


def _context() -> Any:
    """Where the workers come from: a forkserver on Linux, spawn elsewhere.

    The forkserver imports torch, diffusers and the pipeline classes once
    (``engine.distributed_preload``) and forks every worker from that, so a pool starts, and
    restarts after a failure, without N more interpreter start-ups. It never touches CUDA,
    so its children may. macOS and Windows get spawn (fork-safety of system frameworks).
    """
    if not sys.platform.startswith("linux"):
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["engine.distributed_preload"])
    return ctx


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@atexit.register
def _close_open_pools() -> None:
    """No worker outlives the program, even when a pool was never closed."""
    for pool in list(_OPEN_POOLS):
        try:
            pool.close(graceful=False)
        except Exception:  # shutting down: keep closing the others
            log.debug("closing a worker pool at exit failed", exc_info=True)
