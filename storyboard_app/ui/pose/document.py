"""The pose editor's document rules, free of Qt: text, files, presets, placement.

Everything here works on :class:`engine.pose.Pose` values and raises
:class:`engine.errors.PoseError` with a message for the writer, so the widget only shows
messages and pushes undo commands, and tests need no dialogs.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from engine.errors import PoseError
from engine.pose import (
    JOINT_COUNT,
    JOINT_NAMES,
    LIMBS,
    MAX_BYTES,
    MAX_PEOPLE,
    Figure,
    Pose,
    load_pose_presets,
    parse_openpose,
    to_openpose,
)
from engine.pose_edit import (
    figure_bounds,
    refit_figure,
    translate_figure,
)
from storyboard_app.project.safe_write import FileWriteError, json_document, write_text

MAX_PRESET_NAME = 60


def joint_label(joint: int) -> str:
    """A joint's name as the writer reads it ("left wrist")."""
    return JOINT_NAMES[joint].replace("_", " ")


def figure_name(fig: Figure, index: int) -> str:
    """How the writer's world names a figure: its cast member, else its place in the frame."""
    return fig.label or f"figure {index + 1}"


def pose_to_text(pose: Pose | None) -> str | None:
    """The OpenPose JSON text the project stores for ``pose`` (pixels, one line)."""
    if pose is None:
        return None
    return json.dumps(to_openpose(pose), ensure_ascii=False, allow_nan=False)


def pose_from_text(text: str | None, where: str = "Pose JSON") -> Pose | None:
    """Parse stored or pasted pose text (None stays None); PoseError names the problem."""
    if text is None:
        return None
    try:
        return parse_openpose(text)
    except PoseError as exc:
        message = str(exc).removeprefix("Pose JSON: ")
        raise PoseError(f"{where}: {message}") from None


def read_pose_file(path: Path) -> Pose:
    """Read an OpenPose JSON file, refusing anything but a regular file of at most 5 MB.

    The size is checked before a single byte is read.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise PoseError(f"Pose file {path}: cannot be read ({exc.strerror or exc}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise PoseError(f"Pose file {path}: not a regular file.")
    if info.st_size > MAX_BYTES:
        raise PoseError(
            f"Pose file {path}: the file is {info.st_size / 2**20:.1f} MB; "
            f"pose files are at most {MAX_BYTES // 2**20} MB."
        )
    return parse_openpose(path)


def pose_file_text(pose: Pose | None, canvas: tuple[int, int], name: str | None = None) -> str:
    """Indented OpenPose JSON for a file (no pose: an empty ``people`` list on ``canvas``)."""
    doc = to_openpose(pose if pose is not None else Pose((), *canvas))
    if name is not None:
        doc = {"name": name, **doc}
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=2) + "\n"


def write_pose_file(pose: Pose | None, canvas: tuple[int, int], path: Path) -> None:
    """Write ``pose`` as an OpenPose JSON file with the app's safe writer (checked, fsynced,
    renamed: a failed write leaves the previous file as it was); errors are PoseErrors."""
    text = pose_file_text(pose, canvas)
    try:
        write_text(Path(path), text, "the pose", suffixes=(".json",), verify=json_document)
    except FileWriteError as exc:
        raise PoseError(str(exc)) from None


# --------------------------------------------------------------------------- presets


@dataclass(frozen=True)
class PosePreset:
    """A named pose the writer can add figures from; ``project`` ones were saved by the writer."""

    name: str
    pose: Pose
    project: bool = False


@cache
def shipped_presets() -> tuple[PosePreset, ...]:
    """The presets in ``resources/poses``, read once."""
    return tuple(PosePreset(name, pose) for name, pose in load_pose_presets().items())


def preset_library(
    project: Mapping[str, str] | None,
) -> tuple[tuple[PosePreset, ...], list[str]]:
    """Shipped presets followed by the project's, and a message per project preset skipped.

    A project preset that reuses a shipped name is listed as ``"<name> (project)"``.
    """
    presets = list(shipped_presets())
    taken = {p.name for p in presets}
    problems: list[str] = []
    for name, text in (project or {}).items():
        try:
            pose = pose_from_text(text, f"Project preset '{name}'")
        except PoseError as exc:
            problems.append(str(exc))
            continue
        shown = name if name not in taken else f"{name} (project)"
        if pose is not None and pose.figures and shown not in taken:
            presets.append(PosePreset(shown, pose, project=True))
            taken.add(shown)
    return tuple(presets), problems


def check_preset_name(name: str, presets: Iterable[PosePreset]) -> str:
    """The cleaned-up name for a new project preset; PoseError when it cannot be used."""
    name = " ".join(name.split())
    if not name:
        raise PoseError("A preset needs a name.")
    if len(name) > MAX_PRESET_NAME:
        raise PoseError(f"A preset name has at most {MAX_PRESET_NAME} characters.")
    if any(p.name == name and not p.project for p in presets):
        raise PoseError(f"'{name}' is a built-in preset; choose another name.")
    return name


def preset_text(name: str, pose: Pose) -> str:
    """Preset JSON for a pose: the figures without their cast labels, with a ``name``."""
    unlabelled = replace(pose, figures=tuple(replace(f, label="") for f in pose.figures))
    return pose_file_text(unlabelled, (pose.canvas_width, pose.canvas_height), name)


# --------------------------------------------------------------------------- adding figures


def add_figures(
    pose: Pose | None, incoming: Pose, frame: tuple[int, int], cast: Sequence[str]
) -> Pose:
    """``pose`` with the figures of ``incoming`` (a preset) added.

    The incoming canvas is fitted onto the pose's canvas (the frame's for a new pose); the
    new figures move sideways together to where they overlap the others least and stand
    for the cast members not yet in the pose, in cast order (or nobody). Raises PoseError
    past the people limit.
    """
    canvas = (pose.canvas_width, pose.canvas_height) if pose is not None else frame
    existing = pose.figures if pose is not None else ()
    if len(existing) + len(incoming.figures) > MAX_PEOPLE:
        raise PoseError(f"A pose holds at most {MAX_PEOPLE} figures.")
    source = (incoming.canvas_width, incoming.canvas_height)
    added = [refit_figure(f, source, canvas) for f in incoming.figures]
    if existing:
        added = _free_spot(added, existing)
    free = [name for name in cast if name not in {f.label for f in existing}]
    added = [replace(f, label=free[i] if i < len(free) else "") for i, f in enumerate(added)]
    return Pose((*existing, *added), *canvas)


def _free_spot(figures: list[Figure], others: Sequence[Figure]) -> list[Figure]:
    """The new figures shifted sideways, together, to where they overlap the others least."""
    boxes = [b for b in map(figure_bounds, figures) if b is not None]
    if not boxes:
        return figures
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    middle = (left + right) / 2
    best, best_overlap = 0.0, None
    for centre in (middle, 0.5, 0.3, 0.7, 0.15, 0.85):
        dx = centre - middle
        overlap = sum(
            _overlap((left + dx, top, right + dx, bottom), b)
            for b in map(figure_bounds, others)
            if b is not None
        )
        if best_overlap is None or overlap < best_overlap - 1e-9:
            best, best_overlap = dx, overlap
    return [translate_figure(f, best, 0.0) for f in figures]


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0.0) * max(h, 0.0)


def reveal_position(fig: Figure, joint: int) -> tuple[float, float]:
    """Where a hidden joint reappears: beside a visible joint it connects to, else mid-figure."""
    for a, b in LIMBS:
        other = b if a == joint else a if b == joint else None
        if other is not None and fig.keypoints[other][2] > 0:
            x, y, _ = fig.keypoints[other]
            return x + 0.03, y - 0.03
    bounds = figure_bounds(fig)
    if bounds is None:
        return 0.5, 0.5
    return (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2


def hidden_joints(fig: Figure) -> list[int]:
    """Indices of the figure's hidden joints."""
    return [j for j in range(JOINT_COUNT) if fig.keypoints[j][2] <= 0]


# --------------------------------------------------------------------------- canvas geometry


@dataclass(frozen=True)
class CanvasFit:
    """Where a pose's canvas sits in the frame: fitted, proportions kept, centred.

    The same placement :func:`engine.pose.render_control_image` uses, so joints drawn at
    ``to_frame`` land where the ControlNet sees them. Frame units are frame pixels.
    """

    frame_width: int
    frame_height: int
    pose_width: int
    pose_height: int

    @classmethod
    def of(cls, pose: Pose | None, frame: tuple[int, int]) -> CanvasFit:
        canvas = (pose.canvas_width, pose.canvas_height) if pose is not None else frame
        return cls(*frame, *canvas)

    @property
    def scale(self) -> float:
        return min(self.frame_width / self.pose_width, self.frame_height / self.pose_height)

    @property
    def origin(self) -> tuple[float, float]:
        s = self.scale
        return (
            (self.frame_width - self.pose_width * s) / 2,
            (self.frame_height - self.pose_height * s) / 2,
        )

    @property
    def matches_frame(self) -> bool:
        return (self.pose_width, self.pose_height) == (self.frame_width, self.frame_height)

    @property
    def aspect(self) -> float:
        """Width / height of the pose canvas (rotations are rigid with it)."""
        return self.pose_width / self.pose_height

    def to_frame(self, x: float, y: float) -> tuple[float, float]:
        s, (ox, oy) = self.scale, self.origin
        return ox + x * self.pose_width * s, oy + y * self.pose_height * s

    def from_frame(self, px: float, py: float) -> tuple[float, float]:
        s, (ox, oy) = self.scale, self.origin
        return (px - ox) / (self.pose_width * s), (py - oy) / (self.pose_height * s)

    def pose_rect(self) -> tuple[float, float, float, float]:
        """(left, top, width, height) of the pose canvas in frame pixels."""
        s, (ox, oy) = self.scale, self.origin
        return ox, oy, self.pose_width * s, self.pose_height * s
