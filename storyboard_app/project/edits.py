"""A writer's edits as values that know their inverse: card fields, adding, deleting and
reordering frames (``scene_edits.Arrange``), choosing an image, the cast and the story settings.

Each edit applies itself to a store and reverts itself, and says what it changed
(``Effects``) so a view can refresh. Edits remember frame and cast ids as they were when the
edit was made; an ``IdMap`` maps them to the ids of things re-created by a revert (a deleted
card comes back with a new id). Undo stacks (the desktop app's) hold these; nothing here
knows about Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from storyboard_app.project.errors import NotFoundError
from storyboard_app.project.model import FRAME_EDITABLE_FIELDS, CastMember, Frame, StorySettings
from storyboard_app.project.store import ProjectStore


@dataclass
class IdMap:
    """Ids as edits remember them -> ids now (re-created frames and cast members get new ids)."""

    frames: dict[int, int] = field(default_factory=dict)
    cast: dict[int, int] = field(default_factory=dict)

    def live_frame(self, frame_id: int) -> int:
        """The id frame ``frame_id`` has now."""
        return _follow(self.frames, frame_id)

    def remember_frame(self, old_id: int, new_id: int) -> None:
        """Frame ``old_id`` was re-created as ``new_id``."""
        if old_id != new_id:
            self.frames[old_id] = new_id

    def live_cast(self, member_id: int) -> int:
        """The id cast member ``member_id`` has now."""
        return _follow(self.cast, member_id)

    def remember_cast(self, old_id: int, new_id: int) -> None:
        """Cast member ``old_id`` was re-created as ``new_id``."""
        if old_id != new_id:
            self.cast[old_id] = new_id


def _follow(aliases: dict[int, int], key: int) -> int:
    seen = 0
    while key in aliases and seen < 10_000:
        key = aliases[key]
        seen += 1
    return key


@dataclass(frozen=True)
class Effects:
    """What an edit changed: the board, cards' fields, frames' images, the cast, the story."""

    board: bool = False
    frames: tuple[int, ...] = ()  # live ids whose card fields changed
    images: tuple[int, ...] = ()  # live ids whose current image changed
    cast: bool = False
    story: bool = False


BOARD = Effects(board=True)
CAST = Effects(board=True, cast=True)  # prompts and staleness follow the cast
STORY = Effects(board=True, story=True)  # the seed decides staleness


def frame_fields(frame: Frame) -> dict[str, Any]:
    """The editable fields of a card (what re-creating it needs)."""
    return {name: getattr(frame, name) for name in FRAME_EDITABLE_FIELDS}


def set_frame_fields(
    store: ProjectStore, ids: IdMap, frame_id: int, fields: dict[str, Any]
) -> Effects:
    """Write card fields of frame ``frame_id`` (as an edit remembers it)."""
    live = ids.live_frame(frame_id)
    store.update_frame(live, **fields)
    return Effects(board=True, frames=(live,))


def put_in_order(store: ProjectStore, ids: IdMap, order: Sequence[int]) -> Effects:
    """Put the frames in ``order`` (ids as edits remember them)."""
    for position, frame_id in enumerate(order):
        live = ids.live_frame(frame_id)
        if store.frame(live).position != position:
            store.move_frame(live, position)
    return BOARD


def set_choice(store: ProjectStore, ids: IdMap, frame_id: int, image_id: int | None) -> Effects:
    """Make ``image_id`` frame ``frame_id``'s current image (None: follow the latest)."""
    live = ids.live_frame(frame_id)
    store.choose_image(live, image_id)
    return Effects(board=True, images=(live,))


def set_story(store: ProjectStore, title: str, settings: StorySettings) -> Effects:
    """Write the story's title and settings."""
    store.update_story(title=title, settings=settings)
    return STORY


def order_with_moved(order: Sequence[int], moving: Sequence[int], row: int) -> list[int]:
    """``order`` with the ids in ``moving`` placed, in story order, before the one at ``row``."""
    row = max(0, min(row, len(order)))
    moved = [i for i in order if i in set(moving)]
    rest = [i for i in order if i not in set(moving)]
    at = len([i for i in order[:row] if i not in set(moving)])
    return rest[:at] + moved + rest[at:]


class Edit:
    """One undoable edit. ``merge_key``: successive edits with the same key (a burst of typing
    in one field, a spin box run) become one; ``group`` tells kinds of edits apart."""

    group = -1

    def __init__(self, text: str, merge_key: str | None = None) -> None:
        self.text = text
        self.merge_key = merge_key

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        """Do the edit again (after it was reverted)."""
        raise NotImplementedError

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        """Undo the edit."""
        raise NotImplementedError

    def blocked(self, store: ProjectStore, ids: IdMap) -> str | None:
        """Why reverting now would lose work (then it is refused), or None."""
        return None

    def absorb(self, later: Edit) -> bool:
        """Take ``later`` into this edit when they merge; False when they do not."""
        return False

    def is_noop(self) -> bool:
        """Whether the edit, merged, changes nothing any more."""
        return False


class FieldEdit(Edit):
    """Change named fields of one thing (card, cast member); typing merges into one edit."""

    def __init__(
        self,
        text: str,
        target: int,
        before: dict[str, Any],
        after: dict[str, Any],
        merge_key: str | None,
    ) -> None:
        super().__init__(text, merge_key)
        self.target = target
        self.before = dict(before)
        self.after = dict(after)

    def absorb(self, later: Edit) -> bool:
        if not (
            type(later) is type(self)
            and isinstance(later, FieldEdit)
            and self.merge_key is not None
            and later.merge_key == self.merge_key
            and later.target == self.target
            and set(later.after) == set(self.after)
        ):
            return False
        self.after = dict(later.after)
        return True

    def is_noop(self) -> bool:
        return self.after == self.before


class EditFrame(FieldEdit):
    """Change fields of one card."""

    group = 1001

    def __init__(
        self,
        frame_id: int,
        before: dict[str, Any],
        after: dict[str, Any],
        merge_key: str | None = None,
    ) -> None:
        names = ", ".join(name.replace("_", " ") for name in after)
        super().__init__(f"Edit {names}", frame_id, before, after, merge_key)

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        return set_frame_fields(store, ids, self.target, self.after)

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        return set_frame_fields(store, ids, self.target, self.before)


class AddFrames(Edit):
    """Insert cards (new or duplicated) at a position; ``created``: their ids."""

    def __init__(
        self, text: str, cards: Sequence[dict[str, Any]], position: int, created: Sequence[int]
    ) -> None:
        super().__init__(text)
        self.cards = [dict(c) for c in cards]
        self.position = position
        self.created = list(created)

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        frames = store.add_frames(self.cards, position=self.position)
        for old, frame in zip(self.created, frames, strict=True):
            ids.remember_frame(old, frame.id)
        return BOARD

    def blocked(self, store: ProjectStore, ids: IdMap) -> str | None:
        for frame_id in self.created:
            try:
                drawn = store.images_of_frame(ids.live_frame(frame_id))
            except NotFoundError:
                continue
            if drawn:
                return (
                    "The added frame has images now; undoing would delete them. "
                    "Delete the frame instead if you mean it."
                )
        return None

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        for frame_id in self.created:
            store.delete_frame(ids.live_frame(frame_id))
        return BOARD


class DeleteFrames(Edit):
    """Delete cards; reverting brings the cards back (their images are gone with them)."""

    def __init__(self, frames: Sequence[Frame]) -> None:
        count = len(frames)
        super().__init__("Delete frame" if count == 1 else f"Delete {count} frames")
        self.frames = sorted(frames, key=lambda f: f.position)

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        for frame in self.frames:
            store.delete_frame(ids.live_frame(frame.id))
        return BOARD

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        for frame in self.frames:  # ascending positions: each lands where it was
            (again,) = store.add_frames(
                [frame_fields(frame)], frame.position, scene_id=frame.scene_id
            )
            ids.remember_frame(frame.id, again.id)
        return BOARD


class ChooseImage(Edit):
    """Make an image a frame's current one (None: follow the latest)."""

    def __init__(self, frame_id: int, before: int | None, after: int | None) -> None:
        super().__init__("Use this image" if after is not None else "Follow latest image")
        self.frame_id = frame_id
        self.before = before
        self.after = after

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        return set_choice(store, ids, self.frame_id, self.after)

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        return set_choice(store, ids, self.frame_id, self.before)


class AddCastMember(Edit):
    """A cast member was added (reverting removes them)."""

    def __init__(self, member: CastMember, text: str | None = None) -> None:
        super().__init__(text or f"Add @{member.name}")
        self.member = member

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        again = store.add_cast_member(self.member.name, self.member.description, self.member.color)
        ids.remember_cast(self.member.id, again.id)
        return CAST

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.remove_cast_member(ids.live_cast(self.member.id))
        return CAST


class RemoveCastMember(AddCastMember):
    """A cast member was removed (reverting brings them back)."""

    def __init__(self, member: CastMember) -> None:
        super().__init__(member, f"Remove @{member.name}")

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        return super().revert(store, ids)

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        return super().apply(store, ids)


class EditCastMember(FieldEdit):
    """Rename, re-describe or re-colour a cast member."""

    group = 1002

    def __init__(
        self,
        member_id: int,
        before: dict[str, str],
        after: dict[str, str],
        merge_key: str | None = None,
    ) -> None:
        super().__init__(f"Edit cast {', '.join(after)}", member_id, before, after, merge_key)

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.update_cast_member(ids.live_cast(self.target), **self.after)
        return CAST

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        store.update_cast_member(ids.live_cast(self.target), **self.before)
        return CAST


class EditStory(Edit):
    """Change the title and/or settings (spin-box runs merge into one edit)."""

    group = 1003

    def __init__(
        self,
        text: str,
        before: tuple[str, StorySettings],
        after: tuple[str, StorySettings],
        merge_key: str | None = None,
    ) -> None:
        super().__init__(text, merge_key)
        self.before = before
        self.after = after

    def absorb(self, later: Edit) -> bool:
        if not (
            isinstance(later, EditStory) and self.merge_key and later.merge_key == self.merge_key
        ):
            return False
        self.after = later.after
        return True

    def is_noop(self) -> bool:
        return self.after == self.before

    def apply(self, store: ProjectStore, ids: IdMap) -> Effects:
        return set_story(store, *self.after)

    def revert(self, store: ProjectStore, ids: IdMap) -> Effects:
        return set_story(store, *self.before)
