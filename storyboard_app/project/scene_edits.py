"""Scene edits and story arrangements as values that know their inverse (see ``edits``):
add, edit, split, merge and move scenes, move frames between scenes, import a script.

A scene keeps its id through every undo (``restore_scene`` puts it back as it was); frames
re-created by an undo are followed through the ``IdMap``.
"""

from __future__ import annotations

from typing import Any

from storyboard_app.project.edits import BOARD, Edit, Effects, FieldEdit, IdMap
from storyboard_app.project.model import Scene
from storyboard_app.project.scenes import Arrangement, SceneMerge
from storyboard_app.project.screenplay import ParsedScript
from storyboard_app.project.store import ProjectStore

CAST_AND_BOARD = Effects(board=True, cast=True)


def live_arrangement(ids: IdMap, arrangement: Arrangement) -> Arrangement:
    """An arrangement with its frame ids as they are now."""
    frames = tuple((ids.live_frame(f), s) for f, s in arrangement.frames)
    return Arrangement(arrangement.scene_ids, frames)


def moved_into(
    before: Arrangement, order: list[int], moving: list[int], scene_id: int
) -> Arrangement:
    """``before`` with the frames in ``order`` and the ``moving`` ones in scene
    ``scene_id`` (``arrange`` refuses it when that scene's frames would not stay together)."""
    scenes = dict(before.frames)
    moved = set(moving)
    frames = tuple((f, scene_id if f in moved else scenes[f]) for f in order)
    return Arrangement(before.scene_ids, frames)


class Arrange(Edit):
    """Frames or scenes moved: the whole story's order before and after (which scene each
    frame is in included), so undo puts everything back exactly."""

    def __init__(self, text: str, before: Arrangement, after: Arrangement) -> None:
        super().__init__(text)
        self.before = before
        self.after = after

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.arrange(live_arrangement(ids, self.after))
        return BOARD

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.arrange(live_arrangement(ids, self.before))
        return BOARD


class AddScene(Edit):
    """An empty scene was added (undo removes it)."""

    def __init__(self, scene: Scene) -> None:
        super().__init__("Add scene")
        self.scene = scene

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.restore_scene(self.scene, None)
        return BOARD

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.delete_scene(self.scene.id)
        return BOARD


class EditScene(FieldEdit):
    """Change a scene's heading, number, colour, notes or heading-in-prompt; typing merges."""

    group = 1004

    def __init__(
        self,
        scene_id: int,
        before: dict[str, Any],
        after: dict[str, Any],
        merge_key: str | None = None,
    ) -> None:
        names = ", ".join(name.replace("_", " ") for name in after)
        super().__init__(f"Edit scene {names}", scene_id, before, after, merge_key)

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.update_scene(self.target, **self.after)
        return BOARD  # a heading in the prompt changes the cards' prompts

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.update_scene(self.target, **self.before)
        return BOARD


class SplitScene(Edit):
    """A scene was split at a frame into ``scene`` (undo merges it back)."""

    def __init__(self, frame_id: int, scene: Scene) -> None:
        super().__init__("Split scene")
        self.frame_id = frame_id
        self.scene = scene

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.restore_scene(self.scene, ids.live_frame(self.frame_id))
        return BOARD

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.merge_scene(self.scene.id)
        return BOARD


class MergeScene(Edit):
    """A scene was merged into the one before it (undo splits it off again, same id)."""

    def __init__(self, merged: SceneMerge) -> None:
        super().__init__("Merge scenes")
        self.merged = merged

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.merge_scene(self.merged.scene.id)
        return BOARD

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        first = self.merged.first_frame_id
        store.restore_scene(self.merged.scene, None if first is None else ids.live_frame(first))
        return BOARD


class ImportScript(Edit):
    """A script was imported: its scenes, frames and new cast members (undo removes them,
    refused once one of its frames has images)."""

    def __init__(self, script: ParsedScript, before: ProjectSnapshot) -> None:
        super().__init__("Import script")
        self.script = script
        self.before = before

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.import_script(self.script)
        return CAST_AND_BOARD

    def blocked(self, store: ProjectStore, ids: IdMap) -> str | None:
        added = self._added_frames(store)
        if any(store.images_of_frame(frame_id) for frame_id in added):
            return "Frames of the imported script have images now; delete them instead."
        return None

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        after = ProjectSnapshot.of(store)
        for frame_id in self._added_frames(store):
            store.delete_frame(frame_id)
        for member_id in sorted(set(after.cast_ids) - set(self.before.cast_ids)):
            store.remove_cast_member(member_id)
        for scene_id in reversed(after.scene_ids):
            if scene_id not in self.before.scene_ids:
                store.delete_scene(scene_id)
        for scene in self.before.scenes:  # the opening scene the script filled
            store.update_scene(scene.id, **scene.fields())
        return CAST_AND_BOARD

    def _added_frames(self, store: ProjectStore) -> list[int]:
        return [f.id for f in store.frames() if f.id not in self.before.frame_ids]


class ProjectSnapshot:
    """Which scenes, frames and cast members a story has (ids), and its scenes' fields."""

    def __init__(self, scenes: list[Scene], frame_ids: list[int], cast_ids: list[int]) -> None:
        self.scenes = scenes
        self.scene_ids = [s.id for s in scenes]
        self.frame_ids = set(frame_ids)
        self.cast_ids = cast_ids

    @classmethod
    def of(cls, store: ProjectStore) -> ProjectSnapshot:
        """The story's ids now."""
        return cls(store.scenes(), [f.id for f in store.frames()], [m.id for m in store.cast()])
