"""Poses: OpenPose JSON in and out, the ControlNet control image, and pure skeleton edits.

A :class:`Pose` holds body-18 figures (COCO order, the layout OpenPose ControlNets were
trained on) with coordinates normalised to the canvas: 0..1 is inside it, and a visible joint
may sit up to one canvas outside (-1..2) so a figure can be cropped by the frame.

Design decisions worth knowing:

* Positions are stored on a grid of 1/1,048,576 of the canvas (far below a pixel at any
  allowed size). On that grid ``x * width`` and ``px / width`` are exact in floating point,
  so pixel and normalised forms convert without drift and ``parse_openpose(to_openpose(p))``
  equals ``p`` exactly. Confidences are kept as given.
* A hidden joint (confidence 0) has no position: it is stored as ``(0.0, 0.0, 0.0)``, which
  is also how OpenPose writes missing joints.
* Pixel or normalised input: a ``"coordinates": "pixels" | "normalized"`` key (written by
  :func:`to_openpose`) decides. Without it, a file with a canvas size is read as pixels when
  any visible coordinate lies outside -1..2 (no valid normalised value can), else as
  normalised. A file without a canvas size must be normalised; its canvas is 512 x 512.
* BODY_25 input (75 values) is mapped to body-18 by dropping the mid-hip and the six foot
  points; the other 18 joints correspond one to one.
* Other numeric arrays of a person (``hand_left_keypoints_2d``, ``face_keypoints_2d``,
  ``person_id``, ...) are kept as ``extras``; ``*_keypoints_2d`` arrays are x, y, confidence
  triplets and are normalised, checked and moved with the body like the body joints.
  Keys holding anything but a list of numbers are ignored.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from PIL import Image, ImageDraw

from engine.errors import PoseError
from engine.json_limits import JsonLimitError, check_depth, load_json

Point = tuple[float, float, float]

JOINT_NAMES: tuple[str, ...] = (
    "nose", "neck",
    "right_shoulder", "right_elbow", "right_wrist",
    "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle",
    "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)  # fmt: skip
JOINT_COUNT = 18
# The limbs the OpenPose annotators draw, as joint index pairs; limb i has colour i.
LIMBS: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)  # fmt: skip
COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
# Joint i of a mirrored figure takes the place of its left/right partner.
MIRROR_PARTNER: tuple[int, ...] = (0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17, 16)
BODY25_TO_BODY18: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)

MAX_PEOPLE = 16
MAX_BYTES = 5 * 1024 * 1024
MAX_CANVAS = 16384
DEFAULT_CANVAS = 512
AREA_MIN, AREA_MAX = -1.0, 2.0  # one canvas of margin around the 0..1 canvas
GRID = float(2**20)
REFERENCE_SIZE = 512  # stick width and joint radius are the annotator's 4 px at this size
PRESETS_DIR = Path(__file__).resolve().parent.parent / "resources" / "poses"
_POINTS_SUFFIX = "_keypoints_2d"
_HANDS = ("hand_left_keypoints_2d", "hand_right_keypoints_2d")


def _snap(v: float) -> float:
    """Put a normalised coordinate on the exact-conversion grid."""
    return round(v * GRID) / GRID


class _OutsideCanvas(PoseError):
    """A visible point more than one canvas outside the canvas (normalised x, y kept)."""

    def __init__(self, where: str, x: float, y: float) -> None:
        self.where, self.x, self.y = where, x, y
        super().__init__(
            f"{where} lies at ({x:.3g}, {y:.3g}) of the canvas, more than one canvas outside it."
        )

    def in_pixels(self, width: int, height: int) -> str:
        x, y = self.x * width, self.y * height
        return (
            f"{self.where} lies at ({x:.0f}, {y:.0f}) px, more than one canvas outside "
            f"the {width}×{height} canvas."
        )


def _canonical_points(
    values: Sequence[Any], what: str, names: Sequence[str] = ()
) -> tuple[Point, ...]:
    """Check flat or nested x, y, confidence values; return snapped triplets (hidden = zeros)."""
    flat: list[Any] = []
    for item in values:
        flat.extend(item if isinstance(item, tuple | list) else [item])
    if len(flat) % 3:
        raise PoseError(f"{what} has {len(flat)} values, not a multiple of 3 (x, y, confidence).")
    out: list[Point] = []
    for j in range(len(flat) // 3):
        name = f"'{names[j]}'" if j < len(names) else f"{j + 1}"
        x, y, c = (_number(v, f"{what} point {name}") for v in flat[3 * j : 3 * j + 3])
        if not 0.0 <= c <= 1.0:
            raise PoseError(
                f"{what} point {name} has confidence {c:g}; it must be between 0 and 1."
            )
        if c == 0.0:
            out.append((0.0, 0.0, 0.0))
            continue
        if not (AREA_MIN <= x <= AREA_MAX and AREA_MIN <= y <= AREA_MAX):
            raise _OutsideCanvas(f"{what} point {name}", x, y)
        out.append((_snap(x), _snap(y), c))
    return tuple(out)


def _number(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise PoseError(f"{what} has the value {str(v)[:30]!r}, which is not a number.")
    try:
        f = float(v)
    except OverflowError:
        raise PoseError(f"{what} has a number too large to be a coordinate.") from None
    if not math.isfinite(f):
        raise PoseError(f"{what} is {f} (NaN and infinite values are not allowed).")
    return f


@dataclass(frozen=True)
class Figure:
    """One person's skeleton: 18 body joints (x, y normalised; confidence 0 = hidden)."""

    keypoints: tuple[Point, ...]
    label: str = ""  # the cast member the figure stands for
    extras: tuple[tuple[str, tuple[float, ...]], ...] = ()

    def __post_init__(self) -> None:
        if len(self.keypoints) != JOINT_COUNT:
            raise PoseError(f"A figure needs {JOINT_COUNT} joints, got {len(self.keypoints)}.")
        if any(not isinstance(p, tuple | list) or len(p) != 3 for p in self.keypoints):
            raise PoseError("Every joint needs exactly x, y and confidence.")
        points = _canonical_points(self.keypoints, "pose_keypoints_2d", JOINT_NAMES)
        object.__setattr__(self, "keypoints", points)
        if not isinstance(self.label, str):
            raise PoseError(f"A figure label must be text, got {type(self.label).__name__}.")
        extras: list[tuple[str, tuple[float, ...]]] = []
        for name, values in self.extras:
            if not isinstance(name, str) or not isinstance(values, tuple | list):
                raise PoseError("Extra arrays are (name, numbers) pairs.")
            if name in ("pose_keypoints_2d", "label") or name in (n for n, _ in extras):
                raise PoseError(f"Extra array '{name}' is duplicated or reserved.")
            if name.endswith(_POINTS_SUFFIX):
                flat = tuple(v for p in _canonical_points(values, name) for v in p)
            else:
                flat = tuple(_number(v, f"{name} value {i + 1}") for i, v in enumerate(values))
            extras.append((name, flat))
        object.__setattr__(self, "extras", tuple(extras))

    @property
    def visible(self) -> tuple[bool, ...]:
        """Per joint: is it drawn."""
        return tuple(c > 0 for _, _, c in self.keypoints)


@dataclass(frozen=True)
class Pose:
    """The figures of one frame and the canvas their pixel coordinates refer to."""

    figures: tuple[Figure, ...]
    canvas_width: int = DEFAULT_CANVAS
    canvas_height: int = DEFAULT_CANVAS

    def __post_init__(self) -> None:
        object.__setattr__(self, "figures", tuple(self.figures))
        if len(self.figures) > MAX_PEOPLE:
            raise PoseError(
                f"A pose has {len(self.figures)} people; at most {MAX_PEOPLE} are allowed."
            )
        if not all(isinstance(f, Figure) for f in self.figures):
            raise PoseError("A pose holds Figure values only.")
        for side in ("canvas_width", "canvas_height"):
            object.__setattr__(self, side, _canvas_side(getattr(self, side), side))


def _canvas_side(v: Any, what: str) -> int:
    if not (_is_num(v) and v % 1 == 0):
        raise PoseError(f"{what} is {str(v)[:30]!r}; it must be a whole number of pixels.")
    if not 0 < v <= MAX_CANVAS:
        raise PoseError(f"{what} is {v:g}; it must be between 1 and {MAX_CANVAS} pixels.")
    return int(v)


# --------------------------------------------------------------------------- JSON in


def _read_source(source: str | bytes | bytearray | Mapping[str, Any] | Path) -> Any:
    if isinstance(source, Mapping):
        try:
            return check_depth(source)
        except JsonLimitError as exc:
            raise PoseError(str(exc)) from None
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
            if size > MAX_BYTES:
                raise PoseError(f"the file is {size / 2**20:.1f} MB; pose files are at most 5 MB.")
            source = source.read_bytes()
        except OSError as exc:
            raise PoseError(f"cannot be read ({exc.strerror or exc}).") from None
    if isinstance(source, str):
        if len(source) > MAX_BYTES or len(source.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise PoseError("the text is larger than 5 MB; pose files are at most 5 MB.")
        text = source
    elif isinstance(source, bytes | bytearray):
        if len(source) > MAX_BYTES:
            raise PoseError(
                f"the data is {len(source) / 2**20:.1f} MB; pose files are at most 5 MB."
            )
        try:
            text = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PoseError("not UTF-8 text, so not a JSON file.") from None
    else:
        raise PoseError(f"cannot read a pose from a {type(source).__name__}.")
    try:
        return load_json(text, max_bytes=MAX_BYTES)
    except JsonLimitError as exc:
        raise PoseError(str(exc)) from None


def _person_arrays(
    person: Mapping[str, Any], where: str
) -> tuple[list[float], list[tuple[str, list[Any]]]]:
    if "pose_keypoints_2d" not in person:
        raise PoseError(f"{where}: no 'pose_keypoints_2d' array.")
    body = person["pose_keypoints_2d"]
    if not isinstance(body, list):
        raise PoseError(f"{where}: pose_keypoints_2d is not a list of numbers.")
    if len(body) == 75:  # BODY_25
        body = [v for j in BODY25_TO_BODY18 for v in body[3 * j : 3 * j + 3]]
    elif len(body) != 3 * JOINT_COUNT:
        raise PoseError(
            f"{where}: pose_keypoints_2d has {len(body)} values, expected 54 "
            "(18 joints × x,y,confidence) or 75 (BODY_25)."
        )
    extras = []
    for key, value in person.items():
        if key in ("pose_keypoints_2d", "label"):
            continue
        if isinstance(value, list) and all(_is_number_like(v) for v in value):
            extras.append((str(key), value))
    return body, extras


def _looks_like_pixels(arrays: Iterable[Sequence[Any]]) -> bool:
    for values in arrays:
        for j in range(len(values) // 3):
            x, y, c = values[3 * j : 3 * j + 3]
            if (
                _is_num(c)
                and c > 0
                and any(_is_num(v) and not AREA_MIN <= v <= AREA_MAX for v in (x, y))
            ):
                return True
    return False


def _is_number_like(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    """A finite number (integers beyond float range are not)."""
    try:
        return _is_number_like(v) and math.isfinite(v)
    except OverflowError:
        return False


def _to_normalised(values: Sequence[Any], width: int, height: int) -> list[Any]:
    out = list(values)
    for j in range(len(out) // 3):
        if _is_num(out[3 * j]) and _is_num(out[3 * j + 1]):
            out[3 * j] = float(out[3 * j]) / width
            out[3 * j + 1] = float(out[3 * j + 1]) / height
    return out


def _pose_from_document(doc: Any) -> Pose:
    if not isinstance(doc, Mapping):
        raise PoseError(f"the JSON is a {type(doc).__name__}, not an object with a 'people' list.")
    people = doc.get("people")
    if not isinstance(people, list):
        raise PoseError("no 'people' list; is this an OpenPose JSON file?")
    if len(people) > MAX_PEOPLE:
        raise PoseError(f"{len(people)} people; at most {MAX_PEOPLE} are allowed.")
    has_w, has_h = "canvas_width" in doc, "canvas_height" in doc
    if has_w != has_h:
        raise PoseError("canvas_width and canvas_height must be given together.")
    width = _canvas_side(doc["canvas_width"], "canvas_width") if has_w else DEFAULT_CANVAS
    height = _canvas_side(doc["canvas_height"], "canvas_height") if has_h else DEFAULT_CANVAS
    parsed = []
    for n, person in enumerate(people, start=1):
        if not isinstance(person, Mapping):
            raise PoseError(f"person {n} is not an object.")
        parsed.append(_person_arrays(person, f"person {n}"))
    mode = doc.get("coordinates")
    if mode not in (None, "pixels", "normalized"):
        raise PoseError(f"'coordinates' is {mode!r}; use 'pixels' or 'normalized'.")
    if mode is None:
        points = [
            a
            for body, extras in parsed
            for a in [body] + [v for k, v in extras if k.endswith(_POINTS_SUFFIX)]
        ]
        mode = "pixels" if _looks_like_pixels(points) else "normalized"
    if mode == "pixels" and not has_w:
        raise PoseError(
            "coordinates are pixels (a visible one lies outside -1..2, or 'coordinates' says "
            "so) but there is no canvas_width/canvas_height; without them coordinates must be "
            "normalised (0..1 inside the canvas)."
        )
    figures = []
    for n, (person, (body, extras)) in enumerate(zip(people, parsed), start=1):
        label = person.get("label", "")
        if not isinstance(label, str):
            raise PoseError(f"person {n}: 'label' must be text.")
        if mode == "pixels":
            body = _to_normalised(body, width, height)
            extras = [
                (k, _to_normalised(v, width, height) if k.endswith(_POINTS_SUFFIX) else v)
                for k, v in extras
            ]
        try:
            figures.append(
                Figure(
                    tuple(zip(*[iter(body)] * 3)), label, tuple((k, tuple(v)) for k, v in extras)
                )
            )
        except _OutsideCanvas as exc:
            text = exc.in_pixels(width, height) if mode == "pixels" else str(exc)
            raise PoseError(f"person {n}: {text}") from None
        except PoseError as exc:
            raise PoseError(f"person {n}: {exc}") from None
    return Pose(tuple(figures), width, height)


def parse_openpose(source: str | bytes | Mapping[str, Any] | Path) -> Pose:
    """Read standard OpenPose JSON (text, bytes, a parsed object, or a file) into a Pose.

    Raises :class:`PoseError` naming the problem and where it is.
    """
    where = f"Pose file {source}" if isinstance(source, Path) else "Pose JSON"
    try:
        return _pose_from_document(_read_source(source))
    except PoseError as exc:
        raise PoseError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------- JSON out


def to_openpose(pose: Pose, *, pixels: bool = True) -> dict[str, Any]:
    """Standard OpenPose JSON of ``pose``, in pixels by default; labels and extras kept."""
    sx, sy = (pose.canvas_width, pose.canvas_height) if pixels else (1, 1)

    def scaled(points: Sequence[float]) -> list[float]:
        return [v * (sx, sy, 1)[i % 3] for i, v in enumerate(points)]

    people = []
    for fig in pose.figures:
        person: dict[str, Any] = {
            "pose_keypoints_2d": scaled([v for p in fig.keypoints for v in p])
        }
        for name, values in fig.extras:
            person[name] = scaled(values) if name.endswith(_POINTS_SUFFIX) else list(values)
        if fig.label:
            person["label"] = fig.label
        people.append(person)
    return {
        "canvas_width": pose.canvas_width,
        "canvas_height": pose.canvas_height,
        "coordinates": "pixels" if pixels else "normalized",
        "people": people,
    }


def pose_fingerprint(pose: Pose | None) -> str:
    """Stable sha256 of what shapes the control image ("" for no pose).

    Figure labels are left out: renaming who a figure stands for does not change the image.
    """
    if pose is None:
        return ""
    doc = to_openpose(
        replace(pose, figures=tuple(replace(f, label="") for f in pose.figures)), pixels=False
    )
    text = "openpose-body18-v1:" + json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- rendering


def render_control_image(pose: Pose, width: int, height: int) -> Image.Image:
    """The OpenPose control image ControlNets expect: limbs then joints on black, RGB.

    Drawn like the ControlNet annotators: 17 limbs as filled ellipses in 60 % of their colour,
    then 18 joints as discs in full colour, later shapes over earlier ones. The annotator's
    4 px stick width and joint radius are for 512 px images; here both are
    ``max(1, round(4 * max(width, height) / 512))``. The pose canvas is fitted into the image
    keeping its proportions (centred); with equal aspect ratios that is ``x * width``.
    Hidden joints, and limbs touching them, are not drawn.
    """
    for side, v in (("width", width), ("height", height)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= MAX_CANVAS:
            raise PoseError(f"Control image {side} {v!r} must be 1..{MAX_CANVAS} pixels.")
    image = Image.new("RGB", (width, height), (0, 0, 0))
    draw = ImageDraw.Draw(image)
    stroke = max(1, round(4 * max(width, height) / REFERENCE_SIZE))
    scale = min(width / pose.canvas_width, height / pose.canvas_height)
    ox = (width - pose.canvas_width * scale) / 2
    oy = (height - pose.canvas_height * scale) / 2
    placed = [
        [
            (ox + x * pose.canvas_width * scale, oy + y * pose.canvas_height * scale, c > 0)
            for x, y, c in f.keypoints
        ]
        for f in pose.figures
    ]
    for limb, (a, b) in enumerate(LIMBS):
        colour = tuple(int(v * 0.6) for v in COLOURS[limb])
        for joints in placed:
            (xa, ya, va), (xb, yb, vb) = joints[a], joints[b]
            if va and vb:
                draw.polygon(_limb_outline(xa, ya, xb, yb, stroke), fill=colour)
    for j in range(JOINT_COUNT):
        for joints in placed:
            x, y, visible = joints[j]
            if visible:
                cx, cy = round(x), round(y)
                draw.ellipse((cx - stroke, cy - stroke, cx + stroke, cy + stroke), fill=COLOURS[j])
    return image


def _limb_outline(
    xa: float, ya: float, xb: float, yb: float, half_width: int
) -> list[tuple[float, float]]:
    """Polygon of the ellipse spanning the two joints, ``half_width`` across its minor axis."""
    cx, cy = (xa + xb) / 2, (ya + yb) / 2
    half_length = math.hypot(xb - xa, yb - ya) / 2
    angle = math.atan2(yb - ya, xb - xa)
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    outline = []
    for step in range(72):
        t = math.radians(step * 5)
        u, v = half_length * math.cos(t), half_width * math.sin(t)
        outline.append((round(cx + u * cos_a - v * sin_a, 3), round(cy + u * sin_a + v * cos_a, 3)))
    return outline


# --------------------------------------------------------------------------- presets


def load_pose_presets(folder: Path | None = None) -> Mapping[str, Pose]:
    """The pose presets of ``folder`` (default: the shipped ones) by name, in file-name order.

    A preset is an OpenPose JSON file with a top-level ``"name"``; the file stem is used
    when it has none.
    """
    folder = PRESETS_DIR if folder is None else Path(folder)
    presets: dict[str, Pose] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            doc = _read_source(path)
            pose = _pose_from_document(doc)
            name = doc.get("name", path.stem)
        except PoseError as exc:
            raise PoseError(f"Pose preset {path}: {exc}") from None
        if not isinstance(name, str) or not name.strip() or name in presets:
            raise PoseError(
                f"Pose preset {path}: the name {name!r} is empty, not text or used twice."
            )
        presets[name] = pose
    return MappingProxyType(presets)
