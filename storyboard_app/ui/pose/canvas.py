"""The pose canvas: the frame at its aspect ratio, skeletons over it, and the mouse gestures.

Scene units are frame pixels (0..width, 0..height). Handles, chips and joints are drawn in
device pixels so they keep their size at any zoom. The canvas never changes the pose itself:
a finished gesture is offered through :attr:`PoseCanvas.edited` and the editor turns it
into an undo command (which then calls :meth:`PoseCanvas.set_pose`).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from engine.pose import (
    Figure,
    Pose,
    render_control_image,
)
from engine.pose_edit import (
    figure_bounds,
    set_joint,
    translate_figure,
)
from storyboard_app.ui.pose.document import CanvasFit, figure_name, joint_label
from storyboard_app.ui.pose.gestures import JOINT_HIT, Gesture, Hit, SketchLayout, drag_figure
from storyboard_app.ui.pose.painting import cast_colour, paint_chip, paint_skeleton, pil_to_qimage

NUDGES = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
WORKSPACE, CANVAS, FRAME_EDGE = QColor("#1f2024"), QColor("#0c0d10"), QColor("#4b4f59")
ONION_OPACITY = 0.42


class PoseCanvas(QGraphicsView):
    """Shows and edits one frame's pose; see the module docstring."""

    edited = Signal(object, str, object)  # new Pose | None, undo text, merge key
    selectionChanged = Signal()
    menuRequested = Signal(QPoint, object, object, object)  # global, figure, joint, (x, y)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self._frame = (1024, 1024)
        self._pose: Pose | None = None
        self._draft: Pose | None = None
        self._gesture: Gesture | None = None
        self._cast: dict[str, QColor] = {}
        self._onion: QPixmap | None = None
        self._onion_visible = True
        self._preview = False
        self._control: QImage | None = None
        self._figure: int | None = None
        self._joint: int | None = None
        self._hover: tuple[int, int] | None = None
        self._auto_fit = True
        self.read_only = False  # look, select, pan and zoom; never drag, nudge or edit
        self._set_scene_rect()

    # ------------------------------------------------------------------ state from the editor

    def set_frame_size(self, width: int, height: int) -> None:
        self._frame = (width, height)
        self._set_scene_rect()
        self._auto_fit = True
        self.fit_to_frame()

    def set_pose(self, pose: Pose | None) -> None:
        """Show a committed pose (cancels a gesture in progress)."""
        self._pose, self._draft, self._gesture = pose, None, None
        count = len(pose.figures) if pose is not None else 0
        if self._figure is not None and self._figure >= count:
            self.select(None)
        self._refresh()

    def set_cast(self, cast: dict[str, QColor]) -> None:
        self._cast = dict(cast)
        self.viewport().update()

    def set_onion(self, pixmap: QPixmap | None) -> None:
        self._onion = pixmap
        self.viewport().update()

    def set_onion_visible(self, visible: bool) -> None:
        self._onion_visible = visible
        self.viewport().update()

    def set_preview(self, on: bool) -> None:
        self._preview = on
        self._refresh()

    def control_image(self) -> QImage | None:
        """The control image shown in preview mode (None when preview is off)."""
        return self._control

    @property
    def shown_pose(self) -> Pose | None:
        return self._draft if self._draft is not None else self._pose

    @property
    def fit(self) -> CanvasFit:
        return CanvasFit.of(self.shown_pose, self._frame)

    @property
    def selected_figure(self) -> int | None:
        return self._figure

    @property
    def selected_joint(self) -> int | None:
        return self._joint

    def select(self, figure: int | None, joint: int | None = None) -> None:
        if (figure, joint) != (self._figure, self._joint):
            self._figure, self._joint = figure, joint if figure is not None else None
            self.selectionChanged.emit()
        self.viewport().update()

    def fit_to_frame(self) -> None:
        w, h = self._frame
        margin = 0.05 * max(w, h)
        self.fitInView(
            QRectF(-margin, -margin * 1.6, w + 2 * margin, h + margin * 2.6),
            Qt.AspectRatioMode.KeepAspectRatio,
        )
        self._auto_fit = True

    def _set_scene_rect(self) -> None:
        w, h = self._frame
        self.setSceneRect(QRectF(-w, -h, 3 * w, 3 * h))

    def _refresh(self) -> None:
        if self._preview:
            w, h = self._frame
            pose = self.shown_pose if self.shown_pose is not None else Pose((), w, h)
            self._control = pil_to_qimage(render_control_image(pose, w, h))
        else:
            self._control = None
        self.viewport().update()

    # ------------------------------------------------------------------ geometry

    def layout(self) -> SketchLayout:
        """The shown pose as laid out in the viewport right now."""
        return SketchLayout(
            self.shown_pose, self.fit, self.viewportTransform(), self._figure, self.label_text
        )

    def label_text(self, fig: Figure, index: int) -> str:
        if not fig.label:
            return f"Unassigned {index + 1}"
        return fig.label if fig.label in self._cast else f"{fig.label} (not in cast)"

    def hit(self, device: QPointF) -> Hit:
        return self.layout().hit(device)

    def _to_frame(self, device: QPointF) -> QPointF:
        return self.viewportTransform().inverted()[0].map(device)

    # ------------------------------------------------------------------ painting

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, WORKSPACE)
        w, h = self._frame
        frame = QRectF(0, 0, w, h)
        painter.fillRect(frame, CANVAS)
        if self._preview and self._control is not None:
            painter.drawImage(frame, self._control)
        elif self._onion is not None and self._onion_visible:
            painter.save()
            painter.setOpacity(ONION_OPACITY)
            painter.drawPixmap(frame, self._onion, QRectF(self._onion.rect()))
            painter.restore()
        pen = QPen(FRAME_EDGE, 1)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(frame)
        fit = self.fit
        if not fit.matches_frame and not self._preview:
            pen = QPen(QColor("#8a8f99"), 1, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawRect(QRectF(*fit.pose_rect()))

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        sketch = self.layout()
        pose = sketch.pose
        if pose is None:
            return
        painter.save()
        painter.resetTransform()  # draw in device pixels from here on
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        order = sketch.drawing_order()
        if not self._preview:
            for i in order:
                faded = self._figure is not None and i != self._figure
                points = sketch.points(pose.figures[i])
                paint_skeleton(painter, points, stroke=4.0, radius=4.6, faded=faded)
            for i, rect in sketch.chips().items():
                fig = pose.figures[i]
                colour = cast_colour(fig.label, self._cast)
                text = self.label_text(fig, i)
                paint_chip(painter, rect, text, colour, emphasised=i == self._figure)
            if self._figure in order:
                self._paint_selection(painter, sketch, pose.figures[self._figure])
        if self._hover is not None and self._hover[0] < len(pose.figures):
            p = sketch.points(pose.figures[self._hover[0]])[self._hover[1]]
            if p is not None:
                painter.setPen(QPen(QColor(255, 255, 255, 220), 1.5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(p, JOINT_HIT - 2, JOINT_HIT - 2)
        painter.restore()

    def _paint_selection(self, painter: QPainter, sketch: SketchLayout, fig: Figure) -> None:
        box = sketch.box(fig)
        if box is None:
            return
        colour = QColor(cast_colour(fig.label, self._cast)).lighter(130)
        painter.setPen(QPen(colour, 1.2, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(box)
        if self.read_only:  # no handles to grab: the outline only says which figure it is
            return
        handle = sketch.rotate_handle(box)
        painter.setPen(QPen(colour, 1.2))
        painter.drawLine(QPointF(box.right(), box.center().y()), handle)
        painter.setPen(QPen(QColor("#16171b"), 1.2))
        painter.setBrush(QColor("#f2f3f5"))
        painter.drawEllipse(handle, 5.5, 5.5)
        for corner in sketch.corners(box):
            painter.drawRect(QRectF(corner.x() - 4, corner.y() - 4, 8, 8))
        if self._joint is not None:
            p = sketch.points(fig)[self._joint]
            if p is not None:
                painter.setPen(QPen(QColor("#ffffff"), 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(p, 8, 8)

    # ------------------------------------------------------------------ mouse

    def mousePressEvent(self, event) -> None:
        pos = event.position()
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() == Qt.MouseButton.MiddleButton:
            self._gesture = Gesture("pan", -1, None, None, pos)
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        kind, figure, joint = self.hit(pos)
        if event.button() == Qt.MouseButton.RightButton and self.read_only:
            return  # its menu holds edits only
        if event.button() == Qt.MouseButton.RightButton:
            if figure is not None:
                self.select(figure, joint)
            at = self._to_frame(pos)
            xy = self.fit.from_frame(at.x(), at.y())
            self.menuRequested.emit(event.globalPosition().toPoint(), figure, joint, xy)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if kind is None or figure is None:
            self.select(None)
            return
        self.select(figure, joint if kind == "joint" else None)
        if self.read_only:
            return
        fig = self.shown_pose.figures[figure]
        bounds = figure_bounds(fig) or (0.5, 0.5, 0.5, 0.5)
        centre = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
        self._gesture = Gesture(kind, figure, joint, fig, self._to_frame(pos), centre)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        g = self._gesture
        if g is None:
            self._update_hover(pos)
            return
        if g.kind == "pan":
            delta = pos - g.press
            g.press = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            return
        here = self._to_frame(pos)
        if not g.started:
            moved = self.viewportTransform().map(here) - self.viewportTransform().map(g.press)
            if moved.manhattanLength() < 2:
                return
            g.started = True
        snap = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        fig = drag_figure(g, self.fit, here, snap)
        if fig is not None and self._pose is not None:
            figures = list(self._pose.figures)
            figures[g.figure] = fig
            self._draft = replace(self._pose, figures=tuple(figures))
            self._refresh()

    def mouseReleaseEvent(self, event) -> None:
        g, draft = self._gesture, self._draft
        self._gesture = None
        if g is not None and g.kind == "pan":
            self.viewport().unsetCursor()
            return
        if g is None or not g.started or draft is None or draft == self._pose:
            self._draft = None
            self._refresh()
            return
        who = figure_name(draft.figures[g.figure], g.figure)
        text = {
            "joint": f"Move {joint_label(g.joint or 0)} of {who}",
            "move": f"Move {who}",
            "scale": f"Scale {who}",
            "rotate": f"Rotate {who}",
        }[g.kind]
        self.edited.emit(draft, text, None)

    def mouseDoubleClickEvent(self, event) -> None:
        if self.hit(event.position())[0] is None:
            self.fit_to_frame()

    def _update_hover(self, pos: QPointF) -> None:
        kind, figure, joint = self.hit(pos)
        hover = (figure, joint) if kind == "joint" else None
        if hover != self._hover:
            self._hover = hover
            self.viewport().update()
        cursor = {
            "joint": Qt.CursorShape.CrossCursor,
            "move": Qt.CursorShape.SizeAllCursor,
            "scale": Qt.CursorShape.SizeFDiagCursor,
            "rotate": Qt.CursorShape.PointingHandCursor,
        }.get(kind or "")
        if cursor is not None and self.read_only:
            cursor = Qt.CursorShape.PointingHandCursor  # a click selects; nothing drags
        if cursor is None:
            self.viewport().unsetCursor()
        else:
            self.viewport().setCursor(cursor)

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.viewport().update()
        super().leaveEvent(event)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if not steps:
            return
        factor = 1.15**steps
        zoom = self.transform().m11() * factor
        w, h = self._frame
        fitted = min(self.viewport().width() / w, self.viewport().height() / h)
        if not 0.4 * fitted <= zoom <= 12 * fitted:
            return
        anchor = self._to_frame(event.position())
        self.scale(factor, factor)
        shift = self.viewportTransform().map(anchor) - event.position()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(shift.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(shift.y()))
        self._auto_fit = False

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit_to_frame()

    # ------------------------------------------------------------------ keys

    def handles_key(self, event) -> bool:
        """Arrow keys while a figure is selected, and Escape: the canvas's own keys."""
        if event.key() == Qt.Key.Key_Escape:
            return self._figure is not None
        mods = event.modifiers() & ~(
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        )
        nudge = not self.read_only and self._figure is not None and not mods
        return event.key() in NUDGES and nudge

    def keyPressEvent(self, event) -> None:
        if not self.handles_key(event):
            super().keyPressEvent(event)
        elif event.key() == Qt.Key.Key_Escape:
            self.select(None)
        else:
            step = 10 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
            sx, sy = NUDGES[event.key()]
            self.nudge(sx * step, sy * step)

    def nudge(self, dx_px: float, dy_px: float) -> None:
        """Move the selected joint (or else the selected figure) by frame pixels."""
        if self._figure is None or self._pose is None:
            return
        fit, fig = self.fit, self._pose.figures[self._figure]
        dx, dy = dx_px / (fit.pose_width * fit.scale), dy_px / (fit.pose_height * fit.scale)
        who = figure_name(fig, self._figure)
        if self._joint is not None and fig.keypoints[self._joint][2] > 0:
            x, y, _ = fig.keypoints[self._joint]
            moved = set_joint(fig, self._joint, x + dx, y + dy)
            text = f"Nudge {joint_label(self._joint)} of {who}"
        else:
            moved = translate_figure(fig, dx, dy)
            text = f"Nudge {who}"
        figures = list(self._pose.figures)
        figures[self._figure] = moved
        self.edited.emit(
            replace(self._pose, figures=tuple(figures)), text, (self._figure, self._joint)
        )
