"""Pure edits of pose figures: the pose sketch editor's moves, as values in and values out.

Every function returns a new :class:`engine.pose.Figure`; none mutates. Coordinates are
normalised to the canvas and snap to the same grid ``parse_openpose`` uses, so an edited pose
round-trips through OpenPose JSON exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from engine.errors import PoseError
from engine.pose import (
    _HANDS,
    _POINTS_SUFFIX,
    AREA_MAX,
    AREA_MIN,
    JOINT_COUNT,
    MIRROR_PARTNER,
    Figure,
    Point,
    _canvas_side,
    _number,
)


def _all_points(fig: Figure) -> list[Point]:
    points = list(fig.keypoints)
    for name, values in fig.extras:
        if name.endswith(_POINTS_SUFFIX):
            points.extend(zip(values[0::3], values[1::3], values[2::3]))
    return [p for p in points if p[2] > 0]


def figure_bounds(fig: Figure) -> tuple[float, float, float, float] | None:
    """(left, top, right, bottom) of the visible points (hands and face included); None if none."""
    points = _all_points(fig)
    if not points:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _map_points(
    fig: Figure,
    fn: Callable[[float, float], tuple[float, float]],
    keypoints: Sequence[Point] | None = None,
) -> Figure:
    """Apply ``fn(x, y) -> (x, y)`` to every visible point of the body and of the 2D extras."""

    def moved(points: Sequence[Point]) -> tuple[Point, ...]:
        return tuple((*fn(x, y), c) if c > 0 else (x, y, c) for x, y, c in points)

    extras = []
    for name, values in fig.extras:
        if name.endswith(_POINTS_SUFFIX):
            triplets = moved(list(zip(values[0::3], values[1::3], values[2::3])))
            values = tuple(v for p in triplets for v in p)
        extras.append((name, values))
    return Figure(
        moved(keypoints if keypoints is not None else fig.keypoints), fig.label, tuple(extras)
    )


def mirror_figure(fig: Figure) -> Figure:
    """Flip the figure horizontally about its own centre and swap its left and right joints.

    The result is a correctly labelled person doing the mirrored action: a raised right arm
    becomes a raised left arm, drawn in the left arm's colours. Hand arrays swap too (face
    landmarks are only flipped). Mirroring twice gives back the same figure exactly.
    """
    bounds = figure_bounds(fig)
    if bounds is None:
        return fig
    span = bounds[0] + bounds[2]  # exact on the grid, so x -> span - x is its own inverse
    swapped = [fig.keypoints[MIRROR_PARTNER[j]] for j in range(JOINT_COUNT)]
    flipped = _map_points(fig, lambda x, y: (span - x, y), swapped)
    hands = dict(flipped.extras)
    renamed = {_HANDS[0]: _HANDS[1], _HANDS[1]: _HANDS[0]}
    extras = []
    for name, values in flipped.extras:
        partner = renamed.get(name, name)
        extras.append((name, hands[partner]) if partner in hands else (partner, values))
    return replace(flipped, extras=tuple(extras))


def translate_figure(fig: Figure, dx: float, dy: float) -> Figure:
    """Move the figure by (dx, dy) canvas fractions, stopping at one canvas outside the frame."""
    bounds = figure_bounds(fig)
    if bounds is None:
        return fig
    dx = min(max(_number(dx, "dx"), AREA_MIN - bounds[0]), AREA_MAX - bounds[2])
    dy = min(max(_number(dy, "dy"), AREA_MIN - bounds[1]), AREA_MAX - bounds[3])
    return _map_points(fig, lambda x, y: (_clamp(x + dx), _clamp(y + dy)))


def _clamp(v: float) -> float:
    return min(max(v, AREA_MIN), AREA_MAX)


def _centre(fig: Figure, centre: tuple[float, float] | None) -> tuple[float, float] | None:
    if centre is not None:
        return _number(centre[0], "centre x"), _number(centre[1], "centre y")
    bounds = figure_bounds(fig)
    return None if bounds is None else ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)


def scale_figure(fig: Figure, factor: float, centre: tuple[float, float] | None = None) -> Figure:
    """Scale the figure by ``factor`` about ``centre`` (default: the middle of its bounds).

    Raises PoseError when the result would reach more than one canvas outside the frame.
    """
    if not _number(factor, "scale factor") > 0:
        raise PoseError(f"A scale factor must be positive, got {factor}.")
    c = _centre(fig, centre)
    if c is None:
        return fig
    return _map_points(fig, lambda x, y: (c[0] + (x - c[0]) * factor, c[1] + (y - c[1]) * factor))


def rotate_figure(
    fig: Figure, degrees: float, centre: tuple[float, float] | None = None, *, aspect: float = 1.0
) -> Figure:
    """Rotate the figure clockwise on screen by ``degrees`` about ``centre`` (default: its middle).

    ``aspect`` is the canvas width / height, so the rotation is rigid on a non-square canvas.
    Raises PoseError when the result would reach more than one canvas outside the frame.
    """
    c = _centre(fig, centre)
    if c is None:
        return fig
    rad = math.radians(_number(degrees, "rotation"))
    cos_r, sin_r = math.cos(rad), math.sin(rad)

    def turn(x: float, y: float) -> tuple[float, float]:
        u, v = (x - c[0]) * aspect, y - c[1]
        return c[0] + (u * cos_r - v * sin_r) / aspect, c[1] + u * sin_r + v * cos_r

    return _map_points(fig, turn)


def refit_figure(fig: Figure, source: tuple[int, int], target: tuple[int, int]) -> Figure:
    """The figure of a ``source`` (width, height) canvas, placed on a ``target`` canvas.

    The source canvas is fitted into the target keeping its proportions, centred, the way
    :func:`render_control_image` places a pose, so the figure keeps its shape and place.
    """
    sw, sh = (_canvas_side(v, "source canvas side") for v in source)
    tw, th = (_canvas_side(v, "target canvas side") for v in target)
    if (sw, sh) == (tw, th):
        return fig
    scale = min(tw / sw, th / sh)
    ox, oy = (tw - sw * scale) / 2, (th - sh * scale) / 2
    return _map_points(
        fig, lambda x, y: (_clamp((ox + x * sw * scale) / tw), _clamp((oy + y * sh * scale) / th))
    )


def _joint_index(index: int) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < JOINT_COUNT:
        raise PoseError(f"Joint index {index!r} is out of range 0..{JOINT_COUNT - 1}.")
    return index


def set_joint(fig: Figure, index: int, x: float, y: float) -> Figure:
    """Put joint ``index`` at (x, y), clamped to one canvas around the frame; shows it if hidden."""
    points = list(fig.keypoints)
    c = points[_joint_index(index)][2] or 1.0
    points[index] = (_clamp(_number(x, "x")), _clamp(_number(y, "y")), c)
    return replace(fig, keypoints=tuple(points))


def set_joint_visible(
    fig: Figure, index: int, visible: bool, position: tuple[float, float] | None = None
) -> Figure:
    """Hide joint ``index`` or show it again.

    A hidden joint keeps no position, so a shown joint goes to ``position``, or else to the
    middle of the figure (the middle of the canvas for a figure with nothing visible).
    Showing an already visible joint changes nothing.
    """
    points = list(fig.keypoints)
    if not visible:
        points[_joint_index(index)] = (0.0, 0.0, 0.0)
        return replace(fig, keypoints=tuple(points))
    if points[_joint_index(index)][2] > 0:
        return fig
    x, y = position or _centre(fig, None) or (0.5, 0.5)
    return set_joint(fig, index, x, y)
