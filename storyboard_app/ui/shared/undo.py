"""The undo stack's side of an edit: a QUndoCommand that carries one ``project.edits.Edit``.

The session applies an edit first (so a refused edit raises normally and is never pushed);
the stack's first ``redo()`` is then skipped. Later undos and redos hand the edit's
``revert`` / ``apply`` to ``perform``, which runs it on the store and announces its effects.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from storyboard_app.project.edits import Edit, Effects, IdMap
from storyboard_app.project.store import ProjectStore

Step = Callable[[ProjectStore, IdMap], Effects]


class EditCommand(QUndoCommand):
    """One edit on the undo stack; its first redo already happened."""

    def __init__(self, edit: Edit, perform: Callable[[Step], None]) -> None:
        super().__init__(edit.text)
        self.edit = edit
        self._perform = perform
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self._perform(self.edit.apply)

    def undo(self) -> None:
        self._perform(self.edit.revert)

    def id(self) -> int:
        return self.edit.group

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or not self.edit.absorb(other.edit):
            return False
        self.setObsolete(self.edit.is_noop())
        return True
