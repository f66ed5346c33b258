"""Undoable edits of a project: one QUndoCommand per writer action, each a store transaction.

A command is first applied by ``ProjectSession`` (so a refused edit raises normally and is
never pushed); the stack's first ``redo()`` is then skipped. Commands remember frame and cast
ids as they were when the command was made; ``ProjectSession.live_frame_id`` maps them to the
ids of frames re-created by an undo (a deleted card comes back with a new id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from storyboard_app.project.model import FRAME_EDITABLE_FIELDS, CastMember, Frame, StorySettings

if TYPE_CHECKING:
    from storyboard_app.ui.session import ProjectSession

_MERGE_FRAME = 1001
_MERGE_CAST = 1002
_MERGE_SETTINGS = 1003


def frame_fields(frame: Frame) -> dict[str, Any]:
    """The editable fields of a card (what re-creating it needs)."""
    return {name: getattr(frame, name) for name in FRAME_EDITABLE_FIELDS}


class StoreCommand(QUndoCommand):
    """A command whose first redo already happened (the session applied it before pushing)."""

    def __init__(self, session: ProjectSession, text: str) -> None:
        super().__init__(text)
        self.session = session
        self._pushed = False

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self.session.run_step(self.apply)

    def undo(self) -> None:
        self.session.run_step(self.revert)

    def blocked(self) -> str | None:
        """Why undoing this now would lose work (the session then refuses), or None."""
        return None

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


class FieldEdit(StoreCommand):
    """Change named fields of one thing (card, cast member); typing merges into one command.

    Successive edits with the same ``merge`` key, target and fields become one undo step.
    """

    def __init__(
        self,
        session: ProjectSession,
        text: str,
        target: int,
        before: dict[str, Any],
        after: dict[str, Any],
        merge: str | None,
    ) -> None:
        super().__init__(session, text)
        self.target = target
        self.before = before
        self.after = after
        self.merge = merge

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (
            type(other) is type(self)
            and self.merge is not None
            and other.merge == self.merge
            and other.target == self.target
            and set(other.after) == set(self.after)
        ):
            return False
        self.after = dict(other.after)
        self.setObsolete(self.after == self.before)
        return True


class EditFrame(FieldEdit):
    """Change fields of one card. Typing in one field merges into one command (``merge``)."""

    def __init__(
        self,
        session: ProjectSession,
        frame_id: int,
        before: dict[str, Any],
        after: dict[str, Any],
        merge: str | None = None,
    ) -> None:
        names = ", ".join(name.replace("_", " ") for name in after)
        super().__init__(session, f"Edit {names}", frame_id, before, after, merge)
        self.frame_id = frame_id

    def id(self) -> int:
        return _MERGE_FRAME

    def apply(self) -> None:
        self.session.apply_frame_fields(self.frame_id, self.after)

    def revert(self) -> None:
        self.session.apply_frame_fields(self.frame_id, self.before)


class AddFrames(StoreCommand):
    """Insert cards (new, duplicated or pasted) at a position."""

    def __init__(
        self,
        session: ProjectSession,
        text: str,
        cards: Sequence[dict[str, Any]],
        position: int,
        created: Sequence[int],
    ) -> None:
        super().__init__(session, text)
        self.cards = [dict(c) for c in cards]
        self.position = position
        self.created = list(created)

    def apply(self) -> None:
        frames = self.session.store.add_frames(self.cards, position=self.position)
        for old, frame in zip(self.created, frames, strict=True):
            self.session.remember_frame(old, frame.id)
        self.session.frames_reordered()

    def blocked(self) -> str | None:
        live = [self.session.live_frame_id(i) for i in self.created]
        if any(self.session.store.images_of_frame(i) for i in live if self.session.has_frame(i)):
            return (
                "The added frame has images now; undoing would delete them. "
                "Delete the frame instead if you mean it."
            )
        return None

    def revert(self) -> None:
        for frame_id in self.created:
            self.session.store.delete_frame(self.session.live_frame_id(frame_id))
        self.session.frames_reordered()


class DeleteFrames(StoreCommand):
    """Delete cards; undo brings the cards back (their images are gone with them)."""

    def __init__(self, session: ProjectSession, frames: Sequence[Frame]) -> None:
        count = len(frames)
        super().__init__(session, "Delete frame" if count == 1 else f"Delete {count} frames")
        self.frames = sorted(frames, key=lambda f: f.position)

    def apply(self) -> None:
        for frame in self.frames:
            self.session.store.delete_frame(self.session.live_frame_id(frame.id))
        self.session.frames_reordered()

    def revert(self) -> None:
        for frame in self.frames:  # ascending positions: each lands where it was
            (again,) = self.session.store.add_frames([frame_fields(frame)], frame.position)
            self.session.remember_frame(frame.id, again.id)
        self.session.frames_reordered()


class ReorderFrames(StoreCommand):
    """Move cards: the story order before and after, as lists of frame ids."""

    def __init__(
        self, session: ProjectSession, text: str, before: list[int], after: list[int]
    ) -> None:
        super().__init__(session, text)
        self.before = before
        self.after = after

    def apply(self) -> None:
        self.session.apply_order(self.after)

    def revert(self) -> None:
        self.session.apply_order(self.before)


class ChooseImage(StoreCommand):
    """Make an image a frame's current one (None: follow the latest)."""

    def __init__(
        self, session: ProjectSession, frame_id: int, before: int | None, after: int | None
    ) -> None:
        super().__init__(session, "Use this image" if after is not None else "Follow latest image")
        self.frame_id = frame_id
        self.before = before
        self.after = after

    def apply(self) -> None:
        self.session.apply_choice(self.frame_id, self.after)

    def revert(self) -> None:
        self.session.apply_choice(self.frame_id, self.before)


class AddCastMember(StoreCommand):
    def __init__(self, session: ProjectSession, member: CastMember) -> None:
        super().__init__(session, f"Add @{member.name}")
        self.member = member

    def apply(self) -> None:
        again = self.session.store.add_cast_member(
            self.member.name, self.member.description, self.member.color
        )
        self.session.remember_cast(self.member.id, again.id)
        self.session.cast_edited()

    def revert(self) -> None:
        self.session.store.remove_cast_member(self.session.live_cast_id(self.member.id))
        self.session.cast_edited()


class RemoveCastMember(AddCastMember):
    def __init__(self, session: ProjectSession, member: CastMember) -> None:
        super().__init__(session, member)
        self.setText(f"Remove @{member.name}")

    def apply(self) -> None:
        super().revert()

    def revert(self) -> None:
        super().apply()


class EditCastMember(FieldEdit):
    """Rename, re-describe or re-colour a cast member (typing merges like card edits)."""

    def __init__(
        self,
        session: ProjectSession,
        member_id: int,
        before: dict[str, str],
        after: dict[str, str],
        merge: str | None = None,
    ) -> None:
        super().__init__(session, f"Edit cast {', '.join(after)}", member_id, before, after, merge)
        self.member_id = member_id

    def id(self) -> int:
        return _MERGE_CAST

    def apply(self) -> None:
        self._set(self.after)

    def revert(self) -> None:
        self._set(self.before)

    def _set(self, values: dict[str, str]) -> None:
        self.session.store.update_cast_member(self.session.live_cast_id(self.member_id), **values)
        self.session.cast_edited()


class EditStory(StoreCommand):
    """Change the title and/or settings (spin-box runs merge into one command)."""

    def __init__(
        self,
        session: ProjectSession,
        text: str,
        before: tuple[str, StorySettings],
        after: tuple[str, StorySettings],
        merge: str | None = None,
    ) -> None:
        super().__init__(session, text)
        self.before = before
        self.after = after
        self.merge = merge

    def id(self) -> int:
        return _MERGE_SETTINGS

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, EditStory) and self.merge and other.merge == self.merge):
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)
        return True

    def apply(self) -> None:
        self.session.apply_story(*self.after)

    def revert(self) -> None:
        self.session.apply_story(*self.before)


def settings_with(settings: StorySettings, **changes: Any) -> StorySettings:
    """New settings with ``changes`` (validated by StorySettings itself)."""
    return replace(settings, **changes)
