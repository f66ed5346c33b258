"""When typing is saved: after a short pause, and never later than a maximum wait, so a writer
who keeps typing loses at most about a second if the app dies."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

PAUSE_MS = 400  # saved this long after the last key
MAX_WAIT_MS = 1000  # ...and at the latest this long after the first unsaved key


class SaveTimer(QObject):
    """Calls ``save`` after a pause in typing, or once the first unsaved change is
    ``MAX_WAIT_MS`` old, whichever comes first."""

    def __init__(self, save: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pause = QTimer(self, singleShot=True, interval=PAUSE_MS)
        self._deadline = QTimer(self, singleShot=True, interval=MAX_WAIT_MS)
        self._pause.timeout.connect(save)
        self._deadline.timeout.connect(save)

    def changed(self) -> None:
        """Something unsaved was typed."""
        self._pause.start()  # restarts with every key
        if not self._deadline.isActive():
            self._deadline.start()  # never restarted until the save happens

    def stop(self) -> None:
        """The pending changes were saved."""
        self._pause.stop()
        self._deadline.stop()
