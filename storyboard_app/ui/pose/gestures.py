"""What the pointer is over on the pose canvas, and what a drag does to a figure.

:class:`SketchLayout` places a pose on screen (joints, selection frame, handles, name chips,
all in device pixels) and answers hit tests; :func:`drag_figure` turns a drag into a new
figure with the engine's pure edits. Both are used by the canvas for painting and input.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QTransform

from engine.errors import PoseError
from engine.pose import (
    LIMBS,
    Figure,
    Pose,
)
from engine.pose_edit import (
    figure_bounds,
    rotate_figure,
    scale_figure,
    set_joint,
    translate_figure,
)
from storyboard_app.ui.pose.document import CanvasFit
from storyboard_app.ui.pose.painting import chip_rect, figure_points

JOINT_HIT, HANDLE_HIT, LIMB_HIT = 11.0, 8.0, 7.0  # device pixels
SELECTION_PAD, ROTATE_ARM = 12.0, 26.0

# (kind, figure, joint): kind is "joint", "move", "scale", "rotate" or None for nothing
Hit = tuple[str | None, int | None, int | None]


@dataclass
class Gesture:
    """A drag in progress, from the figure as it was when the button went down."""

    kind: str  # "joint" | "move" | "scale" | "rotate" | "pan"
    figure: int
    joint: int | None
    origin: Figure | None
    press: QPointF  # frame pixels (viewport pixels for "pan")
    centre: tuple[float, float] = (0.0, 0.0)  # normalised, for scale and rotate
    started: bool = False


@dataclass(frozen=True)
class SketchLayout:
    """A pose as drawn: ``to_device`` maps frame pixels to viewport pixels."""

    pose: Pose | None
    fit: CanvasFit
    to_device: QTransform
    selected: int | None
    label: Callable[[Figure, int], str]

    def points(self, fig: Figure) -> list[QPointF | None]:
        return figure_points(fig, self.fit, self.to_device)

    def box(self, fig: Figure) -> QRectF | None:
        """The figure's visible extent, padded: the selection frame."""
        bounds = figure_bounds(fig)
        if bounds is None:
            return None
        a = self.to_device.map(QPointF(*self.fit.to_frame(bounds[0], bounds[1])))
        b = self.to_device.map(QPointF(*self.fit.to_frame(bounds[2], bounds[3])))
        pad = SELECTION_PAD
        return QRectF(a, b).normalized().adjusted(-pad, -pad, pad, pad)

    @staticmethod
    def rotate_handle(box: QRectF) -> QPointF:
        return QPointF(box.right() + ROTATE_ARM, box.center().y())

    @staticmethod
    def corners(box: QRectF) -> tuple[QPointF, ...]:
        return box.topLeft(), box.topRight(), box.bottomLeft(), box.bottomRight()

    def chips(self) -> dict[int, QRectF]:
        """Name chip rectangles by figure: above each figure, lifted clear of earlier chips."""
        placed: dict[int, QRectF] = {}
        pose = self.pose
        for i in self.drawing_order() if pose is not None else ():
            box = self.box(pose.figures[i])
            if box is None:
                continue
            rect = chip_rect(
                QPointF(box.center().x(), box.top() - 4), self.label(pose.figures[i], i)
            )
            for _ in range(len(placed)):
                clash = next((r for r in placed.values() if r.intersects(rect)), None)
                if clash is None:
                    break
                rect.moveBottom(clash.top() - 2)
            placed[i] = rect
        return placed

    def drawing_order(self) -> list[int]:
        """Figure indices back to front: the selected figure is drawn last, on top."""
        count = len(self.pose.figures) if self.pose is not None else 0
        order = [i for i in range(count) if i != self.selected]
        chosen = self.selected is not None and 0 <= self.selected < count
        return order + ([self.selected] if chosen else [])

    def hit(self, device: QPointF) -> Hit:
        """What is under a viewport point; the selected figure's handles come first."""
        pose = self.pose
        if pose is None:
            return None, None, None
        order = self.drawing_order()
        if self.selected in order:
            box = self.box(pose.figures[self.selected])
            if box is not None:
                if _near(device, self.rotate_handle(box), HANDLE_HIT + 2):
                    return "rotate", self.selected, None
                if any(_near(device, c, HANDLE_HIT) for c in self.corners(box)):
                    return "scale", self.selected, None
        best: tuple[float, int, int] | None = None
        for i in order:
            for j, p in enumerate(self.points(pose.figures[i])):
                d = math.dist(_xy(p), _xy(device)) if p is not None else math.inf
                if d <= JOINT_HIT and (best is None or d <= best[0]):  # later (on top) wins ties
                    best = (d, i, j)
        if best is not None:
            return "joint", best[1], best[2]
        chips = self.chips()
        for i in reversed(order):
            if i in chips and chips[i].contains(device):
                return "move", i, None
        for i in reversed(order):
            fig = pose.figures[i]
            points = self.points(fig)
            if any(_segment_distance(device, points[a], points[b]) <= LIMB_HIT for a, b in LIMBS):
                return "move", i, None
            box = self.box(fig)
            if i == self.selected and box is not None and box.contains(device):
                return "move", i, None
        return None, None, None


def drag_figure(g: Gesture, fit: CanvasFit, here: QPointF, snap: bool) -> Figure | None:
    """The dragged figure with the pointer at ``here`` (frame pixels).

    None when the result would leave the allowed area, so the figure stays at its last
    good place. ``snap`` turns rotations in 15° steps.
    """
    origin = g.origin
    assert origin is not None
    try:
        if g.kind == "joint" and g.joint is not None:
            return set_joint(origin, g.joint, *fit.from_frame(here.x(), here.y()))
        if g.kind == "move":
            dx = (here.x() - g.press.x()) / (fit.pose_width * fit.scale)
            dy = (here.y() - g.press.y()) / (fit.pose_height * fit.scale)
            return translate_figure(origin, dx, dy)
        centre = QPointF(*fit.to_frame(*g.centre))
        if g.kind == "scale":
            start = max(math.dist(_xy(g.press), _xy(centre)), 1e-6)
            factor = min(max(math.dist(_xy(here), _xy(centre)) / start, 0.05), 20.0)
            return scale_figure(origin, factor, g.centre)
        if g.kind == "rotate":
            start = math.atan2(g.press.y() - centre.y(), g.press.x() - centre.x())
            now = math.atan2(here.y() - centre.y(), here.x() - centre.x())
            degrees = math.degrees(now - start)
            if snap:
                degrees = round(degrees / 15) * 15
            return rotate_figure(origin, degrees, g.centre, aspect=fit.aspect)
    except PoseError:
        return None
    return None


def _xy(p: QPointF) -> tuple[float, float]:
    return p.x(), p.y()


def _near(a: QPointF, b: QPointF, radius: float) -> bool:
    return math.dist(_xy(a), _xy(b)) <= radius


def _segment_distance(p: QPointF, a: QPointF | None, b: QPointF | None) -> float:
    if a is None or b is None:
        return math.inf
    ax, ay, bx, by = a.x(), a.y(), b.x(), b.y()
    length2 = (bx - ax) ** 2 + (by - ay) ** 2
    t = 0.0 if length2 == 0 else ((p.x() - ax) * (bx - ax) + (p.y() - ay) * (by - ay)) / length2
    t = min(max(t, 0.0), 1.0)
    return math.dist(_xy(p), (ax + t * (bx - ax), ay + t * (by - ay)))
