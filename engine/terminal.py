"""A terminal progress bar for engine progress events (no dependency beyond tqdm)."""

from __future__ import annotations

import sys

from engine.api import EventKind, ProgressEvent


class ProgressBar:
    """Renders ProgressEvents as one tqdm bar with ETA; NOTICE events print a line."""

    def __init__(self, enabled: bool = True, unit: str = "step") -> None:
        self._enabled = enabled and sys.stderr is not None
        self._bar = None
        self._unit = unit
        self._offset = 0  # steps of earlier passes (a story is one pass per round)
        self._last_total = 0

    def update(self, event: ProgressEvent) -> None:
        """Feed one event."""
        if not self._enabled:
            return
        from tqdm import tqdm

        if event.kind == EventKind.NOTICE:
            (tqdm.write if self._bar else print)(event.message, file=sys.stderr)
            return
        if event.kind == EventKind.STARTED:
            if self._bar is None:
                self._bar = tqdm(total=event.total, unit=self._unit, file=sys.stderr, leave=True)
            else:
                self._offset += self._last_total
                self._bar.total += event.total
            self._last_total = event.total
            return
        if self._bar is not None:
            self._bar.n = self._offset + event.done
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
