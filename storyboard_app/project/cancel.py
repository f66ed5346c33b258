"""Cancelling a long write (an export) from a signal handler, at points where stopping is safe.

A signal handler must not raise into the middle of a Qt or FFmpeg call: the exception can
surface inside the binding's own code and corrupt it. So the command line's handler only
calls :func:`request_cancel`; the writers call :func:`check_cancel` between pages, video
frames and files, and the safe writer calls it once more before it replaces anything, so a
cancelled export never takes the target's name.
"""

from __future__ import annotations

import signal
import threading


class WriteCancelled(KeyboardInterrupt):
    """The write was cancelled (Ctrl-C or SIGTERM); ``signum`` says which signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_requested: list[int] = []
_lock = threading.Lock()


def request_cancel(signum: int = signal.SIGINT) -> None:
    """Ask the write in progress to stop at its next safe point (signal-handler safe)."""
    if not _requested:
        _requested.append(signum)


def check_cancel() -> None:
    """Raise :class:`WriteCancelled` if a cancel was requested."""
    if _requested:
        raise WriteCancelled(_requested[0])


def reset_cancel() -> None:
    """Forget a cancel request (before a new write in the same process)."""
    with _lock:
        _requested.clear()
