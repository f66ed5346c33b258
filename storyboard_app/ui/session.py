"""One open project in the UI thread: the writer store, its undo stack and change signals.

Every edit a writer makes goes through a method here: it is applied to the store at once
(one small transaction, so nothing waits for a "Save"), then pushed onto the undo stack as a
command. A refused edit (a bad value, a frame being drawn) is reported through
``errorRaised`` and changes nothing. Views listen to the signals and re-read the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.errors import EngineError
from storyboard_app.project.errors import NotFoundError, ProjectError
from storyboard_app.project.model import CastMember, Frame
from storyboard_app.project.store import ProjectStore
from storyboard_app.ui import commands


class ProjectSession(QObject):
    """The writer store of one project file and everything that edits it."""

    boardChanged = Signal()  # frames added, removed, moved or edited
    frameChanged = Signal(int)  # one card's fields (live frame id)
    castChanged = Signal()
    storyChanged = Signal()  # title or settings
    imagesChanged = Signal(int)  # a frame's history or current image (live frame id)
    errorRaised = Signal(str)
    flushRequested = Signal()  # editors: commit what is being typed, now

    def __init__(self, store: ProjectStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.undo_stack = QUndoStack(self)
        self._frame_alias: dict[int, int] = {}
        self._cast_alias: dict[int, int] = {}

    @property
    def path(self):
        return self.store.path

    def close(self) -> None:
        self.flush()
        self.undo_stack.clear()
        self.store.close()

    # ------------------------------------------------------------------ ids across undo

    def live_frame_id(self, frame_id: int) -> int:
        """The id a frame has now (a card re-created by undo gets a new id)."""
        seen = 0
        while frame_id in self._frame_alias and seen < 10_000:
            frame_id = self._frame_alias[frame_id]
            seen += 1
        return frame_id

    def remember_frame(self, old_id: int, new_id: int) -> None:
        if old_id != new_id:
            self._frame_alias[old_id] = new_id

    def live_cast_id(self, member_id: int) -> int:
        while member_id in self._cast_alias:
            member_id = self._cast_alias[member_id]
        return member_id

    def remember_cast(self, old_id: int, new_id: int) -> None:
        if old_id != new_id:
            self._cast_alias[old_id] = new_id

    def has_frame(self, frame_id: int) -> bool:
        try:
            self.store.frame(frame_id)
        except NotFoundError:
            return False
        return True

    # ------------------------------------------------------------------ running steps

    def attempt(self, step: Callable[[], Any]) -> tuple[bool, Any]:
        """Run ``step`` -> (True, its result); a store or engine error is reported through
        ``errorRaised`` -> (False, None)."""
        try:
            return True, step()
        except (ProjectError, EngineError) as exc:
            self.errorRaised.emit(str(exc))
            return False, None

    def run_step(self, step: Callable[[], None]) -> None:
        """An undo/redo step (errors are reported; the stack has already moved)."""
        self.attempt(step)

    def flush(self) -> None:
        self.flushRequested.emit()

    def undo(self) -> None:
        self.flush()
        index = self.undo_stack.index()
        if index == 0:
            return
        command = self.undo_stack.command(index - 1)
        reason = command.blocked() if isinstance(command, commands.StoreCommand) else None
        if reason:
            self.errorRaised.emit(reason)
            return
        self.undo_stack.undo()

    def redo(self) -> None:
        self.flush()
        self.undo_stack.redo()

    def _push(self, command: commands.StoreCommand) -> None:
        self.undo_stack.push(command)

    # ------------------------------------------------------------------ notifications

    def frames_reordered(self) -> None:
        self.boardChanged.emit()

    def cast_edited(self) -> None:
        self.castChanged.emit()
        self.boardChanged.emit()  # prompts and staleness follow the cast

    def image_committed(self, frame_id: int) -> None:
        self.imagesChanged.emit(frame_id)

    # ------------------------------------------------------------------ frames

    def frame(self, frame_id: int) -> Frame | None:
        try:
            return self.store.frame(self.live_frame_id(frame_id))
        except ProjectError:
            return None

    def apply_frame_fields(self, frame_id: int, fields: dict[str, Any]) -> None:
        live = self.live_frame_id(frame_id)
        self.store.update_frame(live, **fields)
        self.frameChanged.emit(live)
        self.boardChanged.emit()

    def edit_frame(self, frame_id: int, merge: str | None = None, **fields: Any) -> bool:
        """Change card fields as one undoable edit; False (and a message) when refused."""
        frame = self.frame(frame_id)
        if frame is None:
            return False
        before = {name: getattr(frame, name) for name in fields}
        if before == fields:
            return True
        ok, _ = self.attempt(lambda: self.apply_frame_fields(frame.id, fields))
        if not ok:
            return False
        self._push(commands.EditFrame(self, frame.id, before, dict(fields), merge))
        return True

    def add_frame(self, position: int | None = None, **fields: Any) -> Frame | None:
        """Insert a card (None: at the end) as one undoable edit."""
        count = len(self.store.frames())
        position = count if position is None else max(0, min(position, count))
        ok, added = self.attempt(lambda: self.store.add_frames([fields], position=position))
        if not ok:
            return None
        self._push(commands.AddFrames(self, "Add frame", [fields], position, [added[0].id]))
        self.frames_reordered()
        return added[0]

    def duplicate_frames(self, frame_ids: Sequence[int]) -> list[int]:
        """Copies of cards, placed after the last of them; returns the new ids."""
        frames = sorted(
            (f for f in (self.frame(i) for i in frame_ids) if f is not None),
            key=lambda f: f.position,
        )
        if not frames:
            return []
        cards = [
            {**commands.frame_fields(f), "locked": False} for f in frames
        ]  # copies are never locked
        position = frames[-1].position + 1
        ok, added = self.attempt(lambda: self.store.add_frames(cards, position=position))
        if not ok:
            return []
        ids = [f.id for f in added]
        text = "Duplicate frame" if len(ids) == 1 else f"Duplicate {len(ids)} frames"
        self._push(commands.AddFrames(self, text, cards, position, ids))
        self.frames_reordered()
        return ids

    def delete_frames(self, frame_ids: Sequence[int]) -> bool:
        frames = [f for f in (self.frame(i) for i in frame_ids) if f is not None]
        if not frames:
            return False
        deleted = [f for f in frames if self._delete_one(f)]
        if deleted:
            self._push(commands.DeleteFrames(self, deleted))
            self.frames_reordered()
        return len(deleted) == len(frames)

    def _delete_one(self, frame: Frame) -> bool:
        ok, _ = self.attempt(lambda: self.store.delete_frame(frame.id))
        return ok

    def move_frames(self, frame_ids: Sequence[int], row: int) -> bool:
        """Move cards so they sit, in story order, before the card now at ``row``."""
        order = [f.id for f in self.store.frames()]
        moving = [i for i in order if i in {self.live_frame_id(f) for f in frame_ids}]
        if not moving:
            return False
        row = max(0, min(row, len(order)))
        rest = [i for i in order if i not in moving]
        at = len([i for i in order[:row] if i not in moving])
        after = rest[:at] + moving + rest[at:]
        if after == order:
            return False
        text = "Move frame" if len(moving) == 1 else f"Move {len(moving)} frames"
        ok, _ = self.attempt(lambda: self.apply_order(after))
        if not ok:
            self.attempt(lambda: self.apply_order(order))
            return False
        self._push(commands.ReorderFrames(self, text, order, after))
        return True

    def apply_order(self, order: Sequence[int]) -> None:
        """Put the frames in ``order`` (ids as commands remember them)."""
        for position, frame_id in enumerate(order):
            live = self.live_frame_id(frame_id)
            if self.store.frame(live).position != position:
                self.store.move_frame(live, position)
        self.frames_reordered()

    # ------------------------------------------------------------------ images

    def choose_image(self, frame_id: int, image_id: int | None) -> bool:
        frame = self.frame(frame_id)
        if frame is None or frame.chosen_image_id == image_id:
            return False
        before = frame.chosen_image_id
        ok, _ = self.attempt(lambda: self.apply_choice(frame.id, image_id))
        if not ok:
            return False
        self._push(commands.ChooseImage(self, frame.id, before, image_id))
        return True

    def apply_choice(self, frame_id: int, image_id: int | None) -> None:
        live = self.live_frame_id(frame_id)
        self.store.choose_image(live, image_id)
        self.imagesChanged.emit(live)
        self.boardChanged.emit()

    # ------------------------------------------------------------------ cast

    def add_cast_member(self, name: str, description: str = "") -> CastMember | None:
        ok, member = self.attempt(lambda: self.store.add_cast_member(name, description))
        if not ok:
            return None
        self._push(commands.AddCastMember(self, member))
        self.cast_edited()
        return member

    def remove_cast_member(self, member_id: int) -> bool:
        member_id = self.live_cast_id(member_id)
        ok, member = self.attempt(lambda: self.store.cast_member(member_id))
        if not ok or not self.attempt(lambda: self.store.remove_cast_member(member_id))[0]:
            return False
        self._push(commands.RemoveCastMember(self, member))
        self.cast_edited()
        return True

    def edit_cast_member(self, member_id: int, merge: str | None = None, **changes: str) -> bool:
        member_id = self.live_cast_id(member_id)
        ok, member = self.attempt(lambda: self.store.cast_member(member_id))
        if not ok:
            return False
        before = {k: getattr(member, k) for k in changes}
        if before == changes:
            return True
        ok, updated = self.attempt(lambda: self.store.update_cast_member(member_id, **changes))
        if not ok:
            return False
        after = {k: getattr(updated, k) for k in changes}  # as stored (trimmed, lower-cased)
        self._push(commands.EditCastMember(self, member_id, before, after, merge))
        self.cast_edited()
        return True

    # ------------------------------------------------------------------ story

    def apply_story(self, title: str, settings: Any) -> None:
        self.store.update_story(title=title, settings=settings)
        self.storyChanged.emit()
        self.boardChanged.emit()  # the seed decides staleness

    def update_settings(self, merge: str | None = None, **changes: Any) -> bool:
        """Change story settings (rounds, style, seed...) as one undoable edit."""
        story = self.store.story()
        try:
            settings = replace(story.settings, **changes)
        except (ProjectError, TypeError, ValueError) as exc:
            self.errorRaised.emit(str(exc))
            return False
        if settings == story.settings:
            return True
        return self._edit_story("Change settings", story.title, settings, merge)

    def set_title(self, title: str) -> bool:
        story = self.store.story()
        if title.strip() == story.title:
            return True
        return self._edit_story("Rename story", title, story.settings, "title")

    def _edit_story(self, text: str, title: str, settings: Any, merge: str | None) -> bool:
        story = self.store.story()
        if not self.attempt(lambda: self.apply_story(title, settings))[0]:
            return False
        after = self.store.story()
        self._push(
            commands.EditStory(
                self, text, (story.title, story.settings), (after.title, after.settings), merge
            )
        )
        return True
