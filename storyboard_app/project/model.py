"""The story model: frozen values that describe a project and travel between threads.

Nothing here touches SQLite; the store (``storyboard_app.project.store``) reads and writes
these values. Pixels never live in these values (only ids), so they are cheap to pass around.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from engine.api import MAX_TEXT_LENGTH  # characters per card text field, as engine stories
from storyboard_app.project.errors import InvalidValueError

SEED_LIMIT = 2**63  # seeds are 0 <= seed < 2**63 (torch generators take int64)
SEED_POLICIES = ("shared", "per_frame")
# Bounds of the story settings (``story_settings`` checks them with a writer's messages).
IMAGE_SIDE_RANGE = (64, 8192)
SIZE_MULTIPLE = 8  # SDXL's VAE works in 8-pixel blocks
STEPS_RANGE = (1, 1000)
ROUNDS_RANGE = (0, 1000)
GUIDANCE_RANGE = (0.0, 100.0)
PASS_STATUSES = ("running", "complete", "cancelled", "failed", "interrupted")
DEFAULT_DURATION = 2.0
MAX_POSE_JSON_LENGTH = 5 * 1024 * 1024  # characters of OpenPose JSON (the pose parser's limit)

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")

# Colour tags handed out to new cast members in turn (distinct on light and dark themes).
CAST_PALETTE = (
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
)


def new_seed() -> int:
    """A fresh random 32-bit seed (chosen once per project, then stored)."""
    return secrets.randbelow(2**32)


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValueError(f"{name} must be a whole number, not {value!r}.")
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" and at most {high}"
        raise InvalidValueError(f"{name} must be at least {low}{upper}; got {value}.")
    return value


def _check_float(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(f"{name} must be a number, not {value!r}.")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidValueError(f"{name} must be between {low:g} and {high:g}; got {value!r}.")
    return number


def _check_str(name: str, value: Any, max_length: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str):
        raise InvalidValueError(f"{name} must be text, not {value!r}.")
    if len(value) > max_length:
        raise InvalidValueError(
            f"{name} is {len(value)} characters long; the limit is {max_length}."
        )
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidValueError(f"{name} must be true or false, not {value!r}.")
    return value


def check_color(value: Any) -> str:
    """A ``#rrggbb`` colour tag, lower-cased; anything else is refused."""
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise InvalidValueError(f"A colour tag must look like #rrggbb, not {value!r}.")
    return value.lower()


# --------------------------------------------------------------------------- story


@dataclass(frozen=True)
class StorySettings:
    """How a story is drawn. Defaults are the reference method's effective values.

    ``seed`` is chosen at random once, when the project is created, and stored: the reference
    used one seed for every frame and every round but never saved it. ``seed_policy``
    "shared" keeps that behaviour; "per_frame" uses ``seed + frame id``.
    ``batch_size`` 0 lets the engine choose from free memory.
    """

    rounds: int = 10
    steps: int = 50
    guidance: float = 5.0
    width: int = 1024
    height: int = 1024
    style: str = "comic"
    fast: bool = False
    controlnet: bool = False
    seed: int = field(default_factory=new_seed)
    seed_policy: str = "shared"
    batch_size: int = 4

    def __post_init__(self) -> None:
        _check_int("Rounds", self.rounds, *ROUNDS_RANGE)
        _check_int("Steps", self.steps, *STEPS_RANGE)
        guidance = _check_float("Guidance", self.guidance, *GUIDANCE_RANGE)
        object.__setattr__(self, "guidance", guidance)
        for name, side in (("Width", self.width), ("Height", self.height)):
            _check_int(name, side, *IMAGE_SIDE_RANGE)
            if side % SIZE_MULTIPLE:
                raise InvalidValueError(
                    f"{name} must be a multiple of {SIZE_MULTIPLE}; got {side}."
                )
        if not _check_str("Style", self.style, 100).strip():
            raise InvalidValueError("Style must not be empty.")
        _check_bool("Fast mode", self.fast)
        _check_bool("ControlNet", self.controlnet)
        _check_int("Seed", self.seed, 0, SEED_LIMIT - 1)
        if self.seed_policy not in SEED_POLICIES:
            raise InvalidValueError(
                f"Seed policy must be one of {', '.join(SEED_POLICIES)}; got {self.seed_policy!r}."
            )
        _check_int("Batch size", self.batch_size, 0, 256)

    def seed_for(self, frame: Frame) -> int:
        """The seed a frame is drawn with: its override, else the story's policy."""
        if frame.seed_override is not None:
            return frame.seed_override
        if self.seed_policy == "per_frame":
            return (self.seed + frame.id) % SEED_LIMIT
        return self.seed

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every setting."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StorySettings:
        """Settings from a dict: unknown keys are ignored, wrong types raise InvalidValueError.

        A missing key takes its default (a missing ``seed`` draws a new random one).
        """
        if not isinstance(data, Mapping):
            raise InvalidValueError(f"Story settings must be a mapping, not {type(data).__name__}.")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Story:
    """The story as a whole: its title, settings and which model configuration draws it.

    ``models_config`` names an entry (or a path) in the user's model configuration; the file
    never holds model weights or absolute guesses about another machine.
    """

    title: str
    settings: StorySettings
    models_config: str | None
    created: datetime
    modified: datetime


@dataclass(frozen=True)
class CastMember:
    """A named character with one canonical description, referred to as ``@Name`` in cards."""

    id: int
    name: str
    description: str
    color: str


# --------------------------------------------------------------------------- frames

# Fields of a frame card a writer edits, with their checks (id, position and the chosen image
# have their own verbs: move_frame and choose_image).
FRAME_TEXT_FIELDS = ("character", "interaction", "scene", "caption", "notes", "shot_label")
FRAME_EDITABLE_FIELDS = (*FRAME_TEXT_FIELDS, "duration", "pose_json", "seed_override", "locked")


@dataclass(frozen=True)
class Frame:
    """One frame card. ``id`` is stable across reorders; ``position`` is 0-based and dense.

    ``pose_json`` is OpenPose JSON text (None = no pose). ``chosen_image_id`` is the image the
    writer picked; None means the frame shows its latest image. ``scene_id`` is the scene the
    frame belongs to (every stored frame has one; a scene's frames are consecutive).
    ``scene`` is the card's own Scene text, the third part of its prompt.
    """

    id: int
    position: int
    character: str = ""
    interaction: str = ""
    scene: str = ""
    caption: str = ""
    notes: str = ""
    shot_label: str = ""
    duration: float = DEFAULT_DURATION
    pose_json: str | None = None
    seed_override: int | None = None
    locked: bool = False
    chosen_image_id: int | None = None
    scene_id: int | None = None

    @property
    def posed(self) -> bool:
        """Whether the frame carries a pose."""
        return self.pose_json is not None


def check_frame_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate editable frame fields; returns them normalised (e.g. duration as float).

    Raises InvalidValueError naming the field for an unknown field or a wrong type. The pose
    is only checked for type and size here; the store parses it with the engine's parser.
    """
    checked: dict[str, Any] = {}
    for name, value in values.items():
        label = name.replace("_", " ").capitalize()
        if name in FRAME_TEXT_FIELDS:
            checked[name] = _check_str(label, value)
        elif name == "duration":
            checked[name] = _check_float("Duration", value, 0.0, 86_400.0)
        elif name == "pose_json":
            checked[name] = (
                None if value is None else _check_str("Pose", value, MAX_POSE_JSON_LENGTH)
            )
        elif name == "seed_override":
            checked[name] = (
                None if value is None else _check_int("Seed override", value, 0, SEED_LIMIT - 1)
            )
        elif name == "locked":
            checked[name] = _check_bool("Locked", value)
        else:
            allowed = ", ".join(FRAME_EDITABLE_FIELDS)
            raise InvalidValueError(f"A frame has no editable field {name!r} (fields: {allowed}).")
    return checked


# --------------------------------------------------------------------------- scenes

SCENE_TEXT_FIELDS = ("heading", "number", "notes")
SCENE_EDITABLE_FIELDS = (*SCENE_TEXT_FIELDS, "color", "heading_in_prompt")
MAX_SCENE_NUMBER_LENGTH = 20


@dataclass(frozen=True)
class Scene:
    """A scene of the story: a heading (``INT. LAMP ROOM - NIGHT``), an optional number
    written by the writer (empty: numbered by its place), a colour tag (empty: none) and notes.

    ``position`` is 0-based and dense among scenes. With ``heading_in_prompt`` the heading
    fills the Scene part of the prompt of every card in the scene that leaves it empty.
    """

    id: int
    position: int
    heading: str = ""
    number: str = ""
    color: str = ""
    notes: str = ""
    heading_in_prompt: bool = False

    def fields(self) -> dict[str, Any]:
        """The editable fields as ``update_scene`` takes them (for undo and copies)."""
        return {name: getattr(self, name) for name in SCENE_EDITABLE_FIELDS}


def check_scene_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate editable scene fields; returns them normalised (a colour lower-cased,
    a heading and number stripped). InvalidValueError names a wrong field."""
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name == "heading":
            checked[name] = " ".join(_check_str("Scene heading", value, 1000).split())
        elif name == "number":
            number = _check_str("Scene number", value, MAX_SCENE_NUMBER_LENGTH).strip()
            if any(c.isspace() for c in number):
                raise InvalidValueError(f"A scene number has no spaces; got {number!r}.")
            checked[name] = number
        elif name == "notes":
            checked[name] = _check_str("Scene notes", value)
        elif name == "color":
            checked[name] = "" if value == "" else check_color(value)
        elif name == "heading_in_prompt":
            checked[name] = _check_bool("Heading in prompt", value)
        else:
            allowed = ", ".join(SCENE_EDITABLE_FIELDS)
            raise InvalidValueError(f"A scene has no field {name!r} (fields: {allowed}).")
    return checked


# --------------------------------------------------------------------------- images and passes


@dataclass(frozen=True)
class ImageInfo:
    """What is known about one generated image, without its pixels.

    ``record`` is the engine's full record (``engine.api.ImageRecord.to_dict()``); treat it as
    read-only. ``source_hash`` is the frame's source hash when the image was generated.
    """

    id: int
    frame_id: int
    pass_id: int
    round: int
    seed: int
    ip_scale: float
    width: int
    height: int
    created: datetime
    source_hash: str
    record: dict[str, Any]
    has_embedding: bool


@dataclass(frozen=True)
class PassInfo:
    """One pass: which frames it draws, the reference set (image ids) they attend to, and how
    it ended. ``kind`` is free text ("round0", "iterate", "stale", ...)."""

    id: int
    kind: str
    status: str
    frame_ids: tuple[int, ...]
    reference_image_ids: tuple[int, ...]
    settings: dict[str, Any]
    created: datetime
    finished: datetime | None
    error: str
    superseded_by: int | None = None  # a later pass that draws this one's remaining frames

    @property
    def resumable(self) -> bool:
        """Interrupted, cancelled and failed passes can be resumed (``reopen_pass``), unless a
        later pass superseded them."""
        return self.status in ("interrupted", "cancelled", "failed") and self.superseded_by is None


@dataclass(frozen=True)
class BoardCard:
    """Everything the board shows for one frame, read in one go (no full-size image).

    ``stale``: the frame has a current image and its card (compiled prompt, pose, seed
    override) changed since that image was made. ``thumbnail_damaged``: the current image's
    thumbnail does not match its checksum (``thumbnail_png`` is then None).
    """

    frame: Frame
    compiled_prompt: str
    current_image_id: int | None
    thumbnail_png: bytes | None = field(repr=False)
    image_count: int
    latest_round: int | None
    stale: bool
    posed: bool
    current_round: int | None = None  # the round of the current image (chosen or latest)
    thumbnail_damaged: bool = False
