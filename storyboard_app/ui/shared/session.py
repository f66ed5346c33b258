"""One open project in the UI thread: the writer store, its undo stack and change signals.

Every edit a writer makes goes through a method here: it is applied to the store at once
(one small transaction, so nothing waits for a "Save"), then pushed onto the undo stack as a
command. A refused edit (a bad value, a frame being drawn) is reported through
``errorRaised`` and changes nothing. Views listen to the signals and re-read the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from engine.errors import EngineError
from storyboard_app.project import edits, scene_edits
from storyboard_app.project.edits import Edit, Effects, IdMap
from storyboard_app.project.errors import NotFoundError, ProjectError
from storyboard_app.project.model import CastMember, Frame, Scene
from storyboard_app.project.screenplay import ParsedScript
from storyboard_app.project.store import ProjectStore
from storyboard_app.project.story_settings import checked_settings
from storyboard_app.ui.shared.undo import EditCommand, Step


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
        self.ids = IdMap()

    @property
    def path(self):
        return self.store.path

    def close(self) -> None:
        self.flush()
        self.undo_stack.clear()
        # Nothing may read the store once it is closed: a commit or the end of a run still
        # queued from the engine thread would otherwise reach the panels as a late change.
        self.blockSignals(True)
        self.store.close()

    # ------------------------------------------------------------------ ids across undo

    def live_frame_id(self, frame_id: int) -> int:
        """The id a frame has now (a card re-created by undo gets a new id)."""
        return self.ids.live_frame(frame_id)

    def live_cast_id(self, member_id: int) -> int:
        return self.ids.live_cast(member_id)

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

    def perform(self, step: Step) -> None:
        """An undo/redo step (errors are reported; the stack has already moved)."""
        ok, effects = self.attempt(lambda: step(self.store, self.ids))
        if ok:
            self.announce(effects)

    def announce(self, effects: Effects) -> None:
        """Tell the views what an edit changed."""
        for frame_id in effects.frames:
            self.frameChanged.emit(frame_id)
        for frame_id in effects.images:
            self.imagesChanged.emit(frame_id)
        if effects.cast:
            self.castChanged.emit()
        if effects.story:
            self.storyChanged.emit()
        if effects.board:
            self.boardChanged.emit()

    def _change(self, step: Callable[[], Effects]) -> bool:
        """Apply a first edit now: True when the store took it (its effects announced)."""
        ok, effects = self.attempt(step)
        if ok:
            self.announce(effects)
        return ok

    def flush(self) -> None:
        self.flushRequested.emit()

    def undo(self) -> None:
        self.flush()
        index = self.undo_stack.index()
        if index == 0:
            return
        command = self.undo_stack.command(index - 1)
        reason = None
        if isinstance(command, EditCommand):
            reason = command.edit.blocked(self.store, self.ids)
        if reason:
            self.errorRaised.emit(reason)
            return
        self.undo_stack.undo()

    def redo(self) -> None:
        self.flush()
        self.undo_stack.redo()

    def _push(self, edit: Edit) -> None:
        self.undo_stack.push(EditCommand(edit, self.perform))

    # ------------------------------------------------------------------ notifications

    def image_committed(self, frame_id: int) -> None:
        self.imagesChanged.emit(frame_id)

    # ------------------------------------------------------------------ frames

    def frame(self, frame_id: int) -> Frame | None:
        try:
            return self.store.frame(self.live_frame_id(frame_id))
        except ProjectError:
            return None

    def edit_frame(self, frame_id: int, merge: str | None = None, **fields: Any) -> bool:
        """Change card fields as one undoable edit; False (and a message) when refused."""
        frame = self.frame(frame_id)
        if frame is None:
            return False
        before = {name: getattr(frame, name) for name in fields}
        if before == fields:
            return True
        if not self._change(lambda: edits.set_frame_fields(self.store, self.ids, frame.id, fields)):
            return False
        self._push(edits.EditFrame(frame.id, before, dict(fields), merge))
        return True

    def add_frame(self, position: int | None = None, **fields: Any) -> Frame | None:
        """Insert a card (None: at the end) as one undoable edit."""
        count = len(self.store.frames())
        position = count if position is None else max(0, min(position, count))
        ok, added = self.attempt(lambda: self.store.add_frames([fields], position=position))
        if not ok:
            return None
        self._push(edits.AddFrames("Add frame", [fields], position, [added[0].id]))
        self.announce(edits.BOARD)
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
            {**edits.frame_fields(f), "locked": False} for f in frames
        ]  # copies are never locked
        position = frames[-1].position + 1
        ok, added = self.attempt(lambda: self.store.add_frames(cards, position=position))
        if not ok:
            return []
        ids = [f.id for f in added]
        text = "Duplicate frame" if len(ids) == 1 else f"Duplicate {len(ids)} frames"
        self._push(edits.AddFrames(text, cards, position, ids))
        self.announce(edits.BOARD)
        return ids

    def delete_frames(self, frame_ids: Sequence[int]) -> bool:
        frames = [f for f in (self.frame(i) for i in frame_ids) if f is not None]
        if not frames:
            return False
        deleted = [f for f in frames if self._delete_one(f)]
        if deleted:
            self._push(edits.DeleteFrames(deleted))
            self.announce(edits.BOARD)
        return len(deleted) == len(frames)

    def _delete_one(self, frame: Frame) -> bool:
        ok, _ = self.attempt(lambda: self.store.delete_frame(frame.id))
        return ok

    def move_frames(self, frame_ids: Sequence[int], row: int, scene_id: int | None = None) -> bool:
        """Move cards so they sit, in story order, before the card now at ``row``; with
        ``scene_id``, in that scene (a drop under a scene's header on the board)."""
        order = [f.id for f in self.store.frames()]
        moving = [i for i in order if i in {self.live_frame_id(f) for f in frame_ids}]
        if not moving:
            return False
        after = edits.order_with_moved(order, moving, row)
        text = "Move frame" if len(moving) == 1 else f"Move {len(moving)} frames"
        before = self.store.arrangement()
        if scene_id is not None:
            target = scene_edits.moved_into(before, after, moving, scene_id)
            if target == before:
                return False
            edit = scene_edits.Arrange(text, before, target)
            if not self._change(lambda: edit.apply(self.store, self.ids)):
                return False
            self._push(edit)
            return True
        if after == order:
            return False
        if not self._change(lambda: edits.put_in_order(self.store, self.ids, after)):
            self._change(lambda: edits.put_in_order(self.store, self.ids, order))
            return False
        self._push(scene_edits.Arrange(text, before, self.store.arrangement()))
        return True

    # ------------------------------------------------------------------ images

    def choose_image(self, frame_id: int, image_id: int | None) -> bool:
        frame = self.frame(frame_id)
        if frame is None or frame.chosen_image_id == image_id:
            return False
        before = frame.chosen_image_id
        if not self._change(lambda: edits.set_choice(self.store, self.ids, frame.id, image_id)):
            return False
        self._push(edits.ChooseImage(frame.id, before, image_id))
        return True

    # ------------------------------------------------------------------ cast

    def add_cast_member(self, name: str, description: str = "") -> CastMember | None:
        ok, member = self.attempt(lambda: self.store.add_cast_member(name, description))
        if not ok:
            return None
        self._push(edits.AddCastMember(member))
        self.announce(edits.CAST)
        return member

    def remove_cast_member(self, member_id: int) -> bool:
        member_id = self.live_cast_id(member_id)
        ok, member = self.attempt(lambda: self.store.cast_member(member_id))
        if not ok or not self.attempt(lambda: self.store.remove_cast_member(member_id))[0]:
            return False
        self._push(edits.RemoveCastMember(member))
        self.announce(edits.CAST)
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
        self._push(edits.EditCastMember(member_id, before, after, merge))
        self.announce(edits.CAST)
        return True

    # ------------------------------------------------------------------ story

    def update_settings(self, merge: str | None = None, **changes: Any) -> bool:
        """Change story settings (rounds, style, seed...) as one undoable edit."""
        story = self.store.story()
        try:
            settings = checked_settings(story.settings, changes)
        except ProjectError as exc:
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
        if not self._change(lambda: edits.set_story(self.store, title, settings)):
            return False
        after = self.store.story()
        self._push(
            edits.EditStory(
                text, (story.title, story.settings), (after.title, after.settings), merge
            )
        )
        return True

    # ------------------------------------------------------------------ scenes

    def add_scene(self, position: int | None = None, **fields: Any) -> Scene | None:
        """An empty scene at scene ``position`` (None: last), as one undoable edit."""
        ok, scene = self.attempt(lambda: self.store.add_scene(position, **fields))
        if not ok:
            return None
        self._push(scene_edits.AddScene(scene))
        self.announce(edits.BOARD)
        return scene

    def edit_scene(self, scene_id: int, merge: str | None = None, **fields: Any) -> bool:
        """Change a scene's heading, number, colour, notes or heading-in-prompt."""
        ok, scene = self.attempt(lambda: self.store.scene(scene_id))
        if not ok:
            return False
        before = {name: getattr(scene, name) for name in fields}
        ok, updated = self.attempt(lambda: self.store.update_scene(scene_id, **fields))
        if not ok:
            return False
        after = {name: getattr(updated, name) for name in fields}
        if after != before:
            self._push(scene_edits.EditScene(scene_id, before, after, merge))
            self.announce(edits.BOARD)
        return True

    def split_scene(self, frame_id: int, **fields: Any) -> Scene | None:
        """A new scene from a frame to the end of its scene."""
        live = self.live_frame_id(frame_id)
        ok, scene = self.attempt(lambda: self.store.split_scene(live, **fields))
        if not ok:
            return None
        self._push(scene_edits.SplitScene(live, scene))
        self.announce(edits.BOARD)
        return scene

    def merge_scene(self, scene_id: int) -> bool:
        """Merge a scene into the one before it."""
        ok, merged = self.attempt(lambda: self.store.merge_scene(scene_id))
        if ok:
            self._push(scene_edits.MergeScene(merged))
            self.announce(edits.BOARD)
        return ok

    def move_scene(self, scene_id: int, position: int) -> bool:
        """Move a whole scene, its frames with it, to scene ``position``."""
        before = self.store.arrangement()
        ok, _ = self.attempt(lambda: self.store.move_scene(scene_id, position))
        after = self.store.arrangement()
        if not ok or after == before:
            return False
        self._push(scene_edits.Arrange("Move scene", before, after))
        self.announce(edits.BOARD)
        return True

    def import_script(self, script: ParsedScript) -> bool:
        """Add a screenplay's scenes, frames and cast in one transaction, undoably."""
        before = scene_edits.ProjectSnapshot.of(self.store)
        ok, _ = self.attempt(lambda: self.store.import_script(script))
        if ok:
            self._push(scene_edits.ImportScript(script, before))
            self.announce(scene_edits.CAST_AND_BOARD)
        return ok
