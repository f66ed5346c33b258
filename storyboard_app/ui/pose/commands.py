"""Undo commands of the pose editor: every edit swaps one whole pose value for another.

Poses are frozen values, so a command holds the pose before and after and undo puts the
very same object back: the JSON after undo is byte for byte what it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.pose import Pose

# Callback that makes a pose current and selects a figure (index or None).
ApplyPose = Callable[[Pose | None, int | None], None]
_NUDGE_ID = 0x505345  # consecutive arrow-key nudges of the same target merge into one command


class PoseChange(QUndoCommand):
    """Replace the frame's pose; ``merge_key`` lets repeated nudges form one undo step."""

    def __init__(
        self,
        apply: ApplyPose,
        before: Pose | None,
        after: Pose | None,
        text: str,
        *,
        selection: tuple[int | None, int | None] = (None, None),
        merge_key: Any = None,
    ) -> None:
        super().__init__(text)
        self._apply = apply
        self.before, self.after = before, after
        self._select_before, self._select_after = selection
        self.merge_key = merge_key

    def redo(self) -> None:
        self._apply(self.after, self._select_after)

    def undo(self) -> None:
        self._apply(self.before, self._select_before)

    def id(self) -> int:
        return _NUDGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, PoseChange) or other.merge_key != self.merge_key:
            return False
        self.after, self._select_after = other.after, other._select_after
        return True
