"""The pose sketch editor of a frame: OpenPose skeletons on the frame, with undo for every edit.

The host gives it one frame with :meth:`PoseEditor.set_frame` and stores what
:attr:`PoseEditor.poseEdited` hands back. Edits are undo commands on the editor's own
:class:`QUndoStack`; undo and redo report the restored pose through ``poseEdited`` too.
File, preset and neighbour problems show in an inline message and change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from engine.errors import PoseError
from engine.pose import (
    MAX_CANVAS,
    Pose,
)
from engine.pose_edit import (
    mirror_figure,
    rotate_figure,
    scale_figure,
)
from engine.pose_edit import (
    set_joint_visible as _set_joint_visible,
)
from storyboard_app.ui.pose.canvas import PoseCanvas
from storyboard_app.ui.pose.commands import PoseChange
from storyboard_app.ui.pose.controls import PoseControls
from storyboard_app.ui.pose.document import (
    PosePreset,
    add_figures,
    check_preset_name,
    figure_name,
    hidden_joints,
    joint_label,
    pose_from_text,
    pose_to_text,
    preset_library,
    preset_text,
    read_pose_file,
    reveal_position,
    write_pose_file,
)

ROTATE_STEP, SCALE_STEP = 5.0, 1.05
ERROR_STYLE = (
    "QLabel { background: #fdecea; color: #8c1d13; border: 1px solid #f2b8b2;"
    " border-left: 4px solid #d92d20; border-radius: 4px; padding: 6px 8px; }"
)


class PoseEditor(QWidget):
    """Sketch, check and exchange the OpenPose skeletons of one frame."""

    poseEdited = Signal(object)  # OpenPose JSON text, or None when the pose was cleared
    presetSaved = Signal(str, str)  # (name, preset JSON)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stack = QUndoStack(self)
        self._frame = (1024, 1024)
        self._pose: Pose | None = None
        self._loaded: tuple[Pose | None, str | None] = (None, None)
        self._unreadable: str | None = None  # stored text that failed to parse, kept until edited
        self._cast: dict[str, str] = {}
        self._neighbours: tuple[Pose | None, Pose | None] = (None, None)
        self._neighbour_errors: tuple[str | None, str | None] = (None, None)
        self._project_presets: dict[str, str] = {}
        self._presets: tuple[PosePreset, ...] = ()
        self._has_onion = False

        self.canvas = PoseCanvas(self)
        self.controls = PoseControls(self, self._stack)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("PoseError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.hint_label = QLabel(self)
        self.info_label = QLabel(self)
        for label in (self.hint_label, self.info_label):
            label.setStyleSheet("color: palette(placeholder-text); padding: 0 2px;")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.controls.toolbar)
        layout.addWidget(self.error_label)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.controls.frame_bar)
        self.controls.frame_bar.addWidget(self.info_label)
        self.hint_label.setContentsMargins(6, 0, 6, 4)
        self.hint_label.setWordWrap(True)  # a long hint must not widen the dock
        layout.addWidget(self.hint_label)

        self.canvas.installEventFilter(self)
        self.canvas.edited.connect(self._push)
        self.canvas.selectionChanged.connect(self._sync)
        self.canvas.menuRequested.connect(self._show_menu)
        self._reload_presets()
        self._sync()

    # ------------------------------------------------------------------ the host's interface

    def set_frame(
        self,
        pose_json: str | None,
        canvas_width: int,
        canvas_height: int,
        cast: Mapping[str, str],
        onion_png: bytes | None,
        neighbours: tuple[str | None, str | None] = (None, None),
        presets: Mapping[str, str] | None = None,
        *,
        keep_history: bool = False,
    ) -> None:
        """Show a frame. Emits nothing and starts a fresh undo history.

        ``keep_history=True`` refreshes the same frame (new onion skin, cast, neighbours)
        and keeps undo and selection, as long as ``pose_json`` is what the editor holds.
        """
        for side in (canvas_width, canvas_height):
            if isinstance(side, bool) or not isinstance(side, int) or not 0 < side <= MAX_CANVAS:
                raise ValueError(f"A frame canvas side must be 1..{MAX_CANVAS} px, not {side!r}.")
        refresh = keep_history and pose_json == self.pose_json()
        refresh = refresh and (canvas_width, canvas_height) == self._frame
        self._cast = {str(k): str(v) for k, v in cast.items()}
        self.canvas.set_cast({k: _colour(v) for k, v in self._cast.items()})
        self._set_onion(onion_png)
        self._neighbours, self._neighbour_errors = zip(
            *(_read_neighbour(text, side) for text, side in zip(neighbours, ("previous", "next"))),
            strict=True,
        )
        self._project_presets = dict(presets or {})
        self._reload_presets()
        if not refresh:
            self._load(pose_json, (canvas_width, canvas_height))
        self._sync()

    def set_read_only(self, read_only: bool) -> None:
        """Look, select, pan, zoom, onion skin, control image and export only: every edit is
        off (its actions disabled, the canvas takes no drags or nudges)."""
        self.canvas.read_only = self.controls.read_only = read_only
        self._sync()

    @property
    def read_only(self) -> bool:
        return self.canvas.read_only

    def pose_json(self) -> str | None:
        """The frame's pose as OpenPose JSON text (the stored text itself while unedited)."""
        if self._unreadable is not None:
            return self._unreadable
        if self._pose is self._loaded[0]:
            return self._loaded[1]
        return pose_to_text(self._pose)

    def pose(self) -> Pose | None:
        return self._pose

    def undo_stack(self) -> QUndoStack:
        return self._stack

    # ------------------------------------------------------------------ loading

    def _load(self, pose_json: str | None, frame: tuple[int, int]) -> None:
        self._stack.clear()
        self._frame = frame
        self.canvas.set_frame_size(*frame)
        self.canvas.select(None)
        self._unreadable = None
        self.show_error(None)
        try:
            pose = pose_from_text(pose_json, "This frame's stored pose")
        except PoseError as exc:
            self._unreadable, pose = pose_json, None
            self.show_error(f"{exc} Editing the pose replaces it.")
        self._pose = pose
        self._loaded = (pose, pose_json)
        self.canvas.set_pose(pose)

    def _set_onion(self, png: bytes | None) -> None:
        image = QImage.fromData(png) if png else QImage()
        self._has_onion = not image.isNull()
        self.canvas.set_onion(QPixmap.fromImage(image) if self._has_onion else None)

    def _reload_presets(self) -> None:
        self._presets, problems = preset_library(self._project_presets)
        self.controls.set_presets(self._presets, problems)

    # ------------------------------------------------------------------ committing edits

    def _apply(self, pose: Pose | None, select: int | None) -> None:
        """Make ``pose`` current (called by undo commands) and tell the host."""
        self._pose = pose
        self._unreadable = None
        self.canvas.set_pose(pose)
        count = len(pose.figures) if pose is not None else 0
        figure = select if select is not None and select < count else None
        same = figure is not None and figure == self.canvas.selected_figure
        self.canvas.select(figure, self.canvas.selected_joint if same else None)
        self.show_error(None)
        self._sync()
        self.poseEdited.emit(self.pose_json())

    def _push(
        self, after: Pose | None, text: str, merge_key: object = None, select: object = ...
    ) -> bool:
        if self.read_only:
            return False
        if after is not None and not after.figures:
            after = None  # a pose without figures is no pose
        if after == self._pose and self._unreadable is None:
            return False
        chosen = self.canvas.selected_figure if select is ... else select
        selection = (self.canvas.selected_figure, chosen)
        command = PoseChange(
            self._apply, self._pose, after, text, selection=selection, merge_key=merge_key
        )
        self._stack.push(command)
        return True

    def _replace_selected(self, change, text: str) -> bool:
        """Apply ``change(figure) -> figure`` to the selected figure as one undo step."""
        index, pose = self.canvas.selected_figure, self._pose
        if index is None or pose is None:
            return False
        try:
            fig = change(pose.figures[index])
        except PoseError as exc:
            self.show_error(str(exc))
            return False
        figures = list(pose.figures)
        figures[index] = fig
        who = figure_name(pose.figures[index], index)
        return self._push(replace(pose, figures=tuple(figures)), text.format(who=who))

    def show_error(self, message: str | None) -> None:
        """Show a problem above the canvas (None hides it)."""
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    # ------------------------------------------------------------------ figure edits

    def mirror_selected(self) -> bool:
        return self._replace_selected(mirror_figure, "Mirror {who}")

    def rotate_selected(self, degrees: float) -> bool:
        aspect = self.canvas.fit.aspect
        return self._replace_selected(
            lambda f: rotate_figure(f, degrees, aspect=aspect), "Rotate {who}"
        )

    def scale_selected(self, factor: float) -> bool:
        return self._replace_selected(lambda f: scale_figure(f, factor), "Scale {who}")

    def delete_selected(self) -> bool:
        index, pose = self.canvas.selected_figure, self._pose
        if index is None or pose is None:
            return False
        figures = pose.figures[:index] + pose.figures[index + 1 :]
        who = figure_name(pose.figures[index], index)
        return self._push(replace(pose, figures=figures), f"Delete {who}", select=None)

    def assign_selected(self, cast_member: str) -> bool:
        """Let the selected figure stand for a cast member ("" = nobody)."""
        label = f"“{cast_member}”" if cast_member else "nobody"
        return self._replace_selected(
            lambda f: replace(f, label=cast_member), f"Let {{who}} stand for {label}"
        )

    def set_joint_visible(
        self, joint: int, visible: bool, position: tuple[float, float] | None = None
    ) -> bool:
        """Hide a joint of the selected figure (confidence 0) or show it again."""
        name = joint_label(joint)
        text = f"{'Show' if visible else 'Hide'} {name} of {{who}}"
        done = self._replace_selected(
            lambda f: _set_joint_visible(f, joint, visible, position), text
        )
        if done and not visible:
            self.canvas.select(self.canvas.selected_figure, None)
        return done

    def hide_selected_joint(self) -> bool:
        joint = self.canvas.selected_joint
        return joint is not None and self.set_joint_visible(joint, False)

    def show_hidden_joints(self) -> bool:
        """Show every hidden joint of the selected figure beside its neighbours."""
        index, pose = self.canvas.selected_figure, self._pose
        if index is None or pose is None:
            return False

        def reveal(fig):
            for joint in hidden_joints(fig):
                fig = _set_joint_visible(fig, joint, True, reveal_position(fig, joint))
            return fig

        return self._replace_selected(reveal, "Show hidden joints of {who}")

    # ------------------------------------------------------------------ whole-pose edits

    def add_preset(self, name: str) -> bool:
        """Add the figures of a preset (by name) to the pose, and select the first new one."""
        preset = next((p for p in self._presets if p.name == name), None)
        if preset is None:
            self.show_error(f"There is no pose preset called '{name}'.")
            return False
        count = len(self._pose.figures) if self._pose is not None else 0
        try:
            after = add_figures(self._pose, preset.pose, self._frame, list(self._cast))
        except PoseError as exc:
            self.show_error(str(exc))
            return False
        return self._push(after, f"Add {preset.name}", select=count)

    def copy_neighbour(self, side: str) -> bool:
        """Replace the pose with the previous (``side="previous"``) or next frame's."""
        index = 0 if side == "previous" else 1
        if self._neighbour_errors[index]:
            self.show_error(self._neighbour_errors[index])
            return False
        pose = self._neighbours[index]
        if pose is None:
            self.show_error(f"The {side} frame has no pose to copy.")
            return False
        return self._push(pose, f"Copy pose from {side} frame", select=None)

    def clear_pose(self) -> bool:
        return self._push(None, "Clear pose", select=None)

    def import_file(self, path: Path) -> bool:
        """Replace the pose with an OpenPose JSON file; a bad file changes nothing."""
        try:
            pose = read_pose_file(Path(path))
        except PoseError as exc:
            self.show_error(str(exc))
            return False
        return self._push(pose, f"Import {Path(path).name}", select=None)

    def export_file(self, path: Path) -> bool:
        try:
            write_pose_file(self._pose, self._frame, Path(path))
        except PoseError as exc:
            self.show_error(str(exc))
            return False
        return True

    def save_as_preset(self, name: str) -> bool:
        """Offer the current pose to the project as a preset (emits ``presetSaved``)."""
        if self._pose is None:
            self.show_error("There is no pose to save as a preset.")
            return False
        try:
            name = check_preset_name(name, self._presets)
        except PoseError as exc:
            self.show_error(str(exc))
            return False
        text = preset_text(name, self._pose)
        self._project_presets[name] = text
        self._reload_presets()
        self.presetSaved.emit(name, text)
        return True

    # ------------------------------------------------------------------ dialogs and menus

    def import_with_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import OpenPose JSON", "", "OpenPose JSON (*.json);;All files (*)"
        )
        if path:
            self.import_file(Path(path))

    def export_with_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export OpenPose JSON", "pose.json", "OpenPose JSON (*.json)"
        )
        if path:
            self.export_file(Path(path))

    def save_preset_with_dialog(self) -> None:
        name, ok = QInputDialog.getText(self, "Save pose as preset", "Preset name:")
        if ok:
            self.save_as_preset(name)

    def eventFilter(self, watched, event) -> bool:
        """The editor's shortcuts while the canvas has focus (see PoseControls)."""
        if watched is not self.canvas:
            return super().eventFilter(watched, event)
        if event.type() == QEvent.Type.ShortcutOverride:
            ours = self.controls.key_event(event, trigger=False) or self.canvas.handles_key(event)
            event.setAccepted(ours)  # accepted: delivered as a key press, not a host shortcut
            return ours
        if event.type() == QEvent.Type.KeyPress:
            return self.controls.key_event(event, trigger=True)
        return False

    def _show_menu(self, where: QPoint, figure, joint, position) -> None:
        self.controls.context_menu(figure, joint, position).exec(where)

    # ------------------------------------------------------------------ state shown

    def _sync(self) -> None:
        pose, figure = self._pose, self.canvas.selected_figure
        selected = pose.figures[figure] if pose is not None and figure is not None else None
        self.controls.sync(
            pose=pose,
            selected=selected,
            joint=self.canvas.selected_joint,
            cast=self._cast,
            # an unreadable neighbour stays clickable, so the writer learns why it won't copy
            neighbours=tuple(
                p is not None or e is not None
                for p, e in zip(self._neighbours, self._neighbour_errors, strict=True)
            ),
            has_onion=self._has_onion,
        )
        count = len(pose.figures) if pose is not None else 0
        people = "No pose" if not count else f"{count} figure{'s' * (count != 1)}"
        w, h = self._frame
        self.info_label.setText(f"{people}  ·  {w} × {h} px")
        if self.read_only:
            hint = "Read-only: this pose can be looked at and exported, not changed."
        elif self.controls.preview_on():
            hint = "Control image: exactly what the ControlNet receives."
        elif selected is not None:
            hint = "Drag joints, the body or the handles · M mirror · H hide joint · Del delete"
        elif count:
            hint = "Click a figure to select it · drag a joint to pose · right-click for more"
        else:
            hint = "No pose: this frame is drawn from its text alone. Add a figure to pose it."
        self.hint_label.setText(hint)


def _colour(value: str) -> QColor:
    colour = QColor(value)
    return colour if colour.isValid() else QColor("#6b7280")


def _read_neighbour(text: str | None, side: str) -> tuple[Pose | None, str | None]:
    try:
        return pose_from_text(text, f"The {side} frame's pose"), None
    except PoseError as exc:
        return None, str(exc)
