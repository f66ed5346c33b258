"""The pose editor's toolbar, keyboard shortcuts, preset picker and context menu.

Every command lives on a :class:`QAction` with a shortcut that works while the editor (or a
child) has focus, so the toolbar, the context menu and the keyboard do the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from PySide6.QtCore import QKeyCombination, QSize, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QKeyEvent, QKeySequence, QPixmap, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from engine.pose import Figure, Pose
from storyboard_app.ui.pose.canvas import PoseCanvas
from storyboard_app.ui.pose.document import PosePreset, hidden_joints, joint_label
from storyboard_app.ui.pose.painting import preset_thumbnail

THUMBNAIL = 76
_THUMBNAILS: dict[int, QPixmap] = {}  # id(preset pose) -> drawing; presets are frozen values


def _thumbnail(preset: PosePreset) -> QPixmap:
    key = id(preset.pose)
    if key not in _THUMBNAILS or preset.project:
        _THUMBNAILS[key] = preset_thumbnail(preset.pose, THUMBNAIL)
    return _THUMBNAILS[key]


def _stretch(bar: QToolBar) -> None:
    spacer = QWidget(bar)
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    bar.addWidget(spacer)


def swatch(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


class PoseEditing(Protocol):
    """What the controls drive: the pose editor widget (kept as a protocol so the editor can
    build its controls without the two modules importing each other)."""

    canvas: PoseCanvas
    _cast: dict[str, str]

    def addAction(self, action: QAction) -> None: ...
    def pose(self) -> Pose | None: ...
    def _sync(self) -> None: ...
    def mirror_selected(self) -> bool: ...
    def rotate_selected(self, degrees: float) -> bool: ...
    def scale_selected(self, factor: float) -> bool: ...
    def hide_selected_joint(self) -> bool: ...
    def show_hidden_joints(self) -> bool: ...
    def delete_selected(self) -> bool: ...
    def set_joint_visible(self, joint: int, visible: bool, position=None) -> bool: ...
    def assign_selected(self, cast_member: str) -> bool: ...
    def add_preset(self, name: str) -> bool: ...
    def copy_neighbour(self, side: str) -> bool: ...
    def clear_pose(self) -> bool: ...
    def import_with_dialog(self) -> None: ...
    def export_with_dialog(self) -> None: ...
    def save_preset_with_dialog(self) -> None: ...


class PoseControls:
    """Builds and updates the controls of one :class:`PoseEditor` (see ``PoseEditing``).

    Two bars: ``toolbar`` above the canvas edits figures, ``frame_bar`` below it acts on the
    whole pose and the view. Shortcuts are matched by :meth:`key_event` while the canvas has
    focus, never registered with Qt's shortcut map: a host window's own Delete or Ctrl+Z
    would otherwise make both ambiguous, and a key meant for the sketch could edit a card.
    """

    def __init__(self, editor: PoseEditing, stack: QUndoStack) -> None:
        self.editor = editor
        self.actions: dict[str, QAction] = {}
        self.read_only = False  # a story that cannot be changed: only looking stays on
        e = editor
        self.toolbar = self._bar("Figure")
        self.frame_bar = self._bar("Pose")

        self.preset_list = QListWidget()
        self.preset_list.setViewMode(QListWidget.ViewMode.IconMode)
        self.preset_list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.preset_list.setGridSize(QSize(THUMBNAIL + 36, THUMBNAIL + 44))
        self.preset_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.preset_list.setMovement(QListWidget.Movement.Static)
        self.preset_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.preset_list.setWordWrap(True)
        self.preset_list.setFixedSize(5 * (THUMBNAIL + 36) + 24, 3 * (THUMBNAIL + 44) + 12)
        self.preset_list.itemActivated.connect(self._preset_chosen)
        self.preset_list.itemClicked.connect(self._preset_chosen)
        self.preset_menu = QMenu(editor)
        picker = QWidgetAction(self.preset_menu)
        picker.setDefaultWidget(self.preset_list)
        self.preset_menu.addAction(picker)
        self.add_button = self._menu_button("Add figure", self.preset_menu, self.toolbar)
        self._action("add", "Add figure…", "A", self.add_button.showMenu, bar=None)

        self.toolbar.addWidget(QLabel("  Stands for ", editor))
        self.cast_box = QComboBox(editor)
        self.cast_box.setToolTip("The cast member the selected figure stands for")
        self.cast_box.setMinimumContentsLength(12)
        self.cast_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.cast_box.activated.connect(self._cast_chosen)
        self.toolbar.addWidget(self.cast_box)
        self.toolbar.addSeparator()
        self._action("mirror", "Mirror", "M", e.mirror_selected, "Mirror the figure")
        self._action("rotate_left", "⟲", "[", lambda: e.rotate_selected(-5), "Rotate left 5°")
        self._action("rotate_right", "⟳", "]", lambda: e.rotate_selected(5), "Rotate right 5°")
        self._action("smaller", "−", "-", lambda: e.scale_selected(1 / 1.05), "Smaller")
        self._action("larger", "+", "=", lambda: e.scale_selected(1.05), "Larger")
        self.toolbar.addSeparator()
        self._action(
            "hide_joint",
            "Hide joint",
            "H",
            e.hide_selected_joint,
            "Hide the selected joint (confidence 0)",
        )
        self._action(
            "show_joints",
            "Show hidden",
            "Shift+H",
            e.show_hidden_joints,
            "Show the figure's hidden joints again",
        )
        self._action(
            "delete", "Delete", "Del", e.delete_selected, "Delete the figure", more=("Backspace",)
        )
        _stretch(self.toolbar)
        self._action("undo", "Undo", "Ctrl+Z", stack.undo)
        self._action("redo", "Redo", "Ctrl+Shift+Z", stack.redo, more=("Ctrl+Y",))
        self.actions["undo"].setEnabled(stack.canUndo())
        self.actions["redo"].setEnabled(stack.canRedo())
        stack.canUndoChanged.connect(self.actions["undo"].setEnabled)
        stack.canRedoChanged.connect(self.actions["redo"].setEnabled)
        stack.undoTextChanged.connect(lambda t: self._tip("undo", f"Undo {t}" if t else "Undo"))
        stack.redoTextChanged.connect(lambda t: self._tip("redo", f"Redo {t}" if t else "Redo"))

        bar = self.frame_bar
        self._action(
            "copy_previous",
            "◀ Copy previous",
            "Ctrl+Alt+Left",
            lambda: e.copy_neighbour("previous"),
            "Copy the previous frame's pose",
            bar=bar,
        )
        self._action(
            "copy_next",
            "Copy next ▶",
            "Ctrl+Alt+Right",
            lambda: e.copy_neighbour("next"),
            "Copy the next frame's pose",
            bar=bar,
        )
        self._action(
            "clear",
            "Clear pose",
            "Ctrl+Shift+Backspace",
            e.clear_pose,
            "Clear the pose: the frame is drawn from its text alone",
            bar=bar,
        )
        bar.addSeparator()
        self._action(
            "onion",
            "Onion skin",
            "O",
            self._onion_toggled,
            "The frame's current image faintly under the skeleton",
            bar=bar,
            checked=True,
        )
        self._action(
            "preview",
            "Control image",
            "P",
            self._preview_toggled,
            "Exactly the image the ControlNet receives",
            bar=bar,
            checked=False,
        )
        bar.addSeparator()
        more = QMenu(editor)
        self._action("import", "Import OpenPose JSON…", "", e.import_with_dialog, bar=more)
        self._action("export", "Export OpenPose JSON…", "", e.export_with_dialog, bar=more)
        self._action(
            "save_preset",
            "Save pose as preset…",
            "",
            e.save_preset_with_dialog,
            bar=more,
        )
        more.addSeparator()
        self._action("fit", "Fit frame in view", "F", e.canvas.fit_to_frame, bar=more)
        self.file_button = self._menu_button("File", more, bar)
        self.file_button.setToolTip("Import and export OpenPose JSON, save as preset")
        _stretch(bar)

    def _bar(self, title: str) -> QToolBar:
        bar = QToolBar(title, self.editor)
        bar.setIconSize(QSize(16, 16))
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # Some palettes draw disabled text like enabled text; a greyed-out tool must read so.
        bar.setStyleSheet("QToolButton:disabled { color: palette(placeholder-text); }")
        return bar

    def _menu_button(self, text: str, menu: QMenu, bar: QToolBar) -> QToolButton:
        """A menu on the bar as an action (not a widget), so that when the dock is too narrow
        it folds into the bar's » menu as a submenu instead of disappearing."""
        action = QAction(f"{text} ▾", self.editor)
        action.setMenu(menu)
        bar.addAction(action)
        button = bar.widgetForAction(action)
        assert isinstance(button, QToolButton)
        button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        return button

    def _action(
        self, name, text, keys, slot, tip=None, *, bar=..., more=(), checked=None
    ) -> QAction:
        action = QAction(text, self.editor)
        # Shown in menus and tooltips only: key_event() does the matching (see class doc).
        action.setShortcuts([QKeySequence(k) for k in (keys, *more) if k])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.setData(tip or text.rstrip("…"))
        if checked is not None:
            action.setCheckable(True)
            action.setChecked(checked)
        action.triggered.connect(lambda _checked=False: slot())
        self.editor.addAction(action)
        target = self.toolbar if bar is ... else bar
        if target is not None:
            target.addAction(action)
        self.actions[name] = action
        self._tip(name, action.data(), action)
        return action

    def _tip(self, name: str, text: str, action: QAction | None = None) -> None:
        action = action or self.actions[name]
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{text} ({keys})" if keys else text)

    def key_event(self, event: QKeyEvent, *, trigger: bool) -> bool:
        """Whether a key press is one of the editor's shortcuts; runs it when ``trigger``."""
        combo = event.keyCombination()
        modifiers = combo.keyboardModifiers() & ~Qt.KeyboardModifier.KeypadModifier
        pressed = QKeySequence(QKeyCombination(modifiers, combo.key()))
        for action in self.actions.values():
            if pressed in action.shortcuts():
                # A disabled one still takes the key: Delete with no figure selected must
                # not fall through to the host and delete something else.
                if trigger and action.isEnabled():
                    action.trigger()
                return True
        return False

    # ------------------------------------------------------------------ presets and cast

    def set_presets(self, presets: Sequence[PosePreset], problems: Sequence[str]) -> None:
        self.preset_list.clear()
        for preset in presets:
            item = QListWidgetItem(QIcon(_thumbnail(preset)), preset.name)
            item.setData(Qt.ItemDataRole.UserRole, preset.name)
            item.setToolTip(f"{preset.name} (project preset)" if preset.project else preset.name)
            self.preset_list.addItem(item)
        tip = "Add a figure from a pose preset (A)"
        if problems:
            tip += "\n\nSkipped project presets:\n" + "\n".join(problems)
        self.add_button.setToolTip(tip)

    def _preset_chosen(self, item: QListWidgetItem) -> None:
        self.preset_menu.close()
        self.editor.add_preset(item.data(Qt.ItemDataRole.UserRole))

    def _cast_chosen(self, row: int) -> None:
        member = self.cast_box.itemData(row)
        if member is not None:
            self.editor.assign_selected(member)

    def _onion_toggled(self) -> None:
        self.editor.canvas.set_onion_visible(self.actions["onion"].isChecked())

    def _preview_toggled(self) -> None:
        self.editor.canvas.set_preview(self.actions["preview"].isChecked())
        self.editor._sync()

    def preview_on(self) -> bool:
        return self.actions["preview"].isChecked()

    # ------------------------------------------------------------------ state

    def sync(
        self,
        *,
        pose: Pose | None,
        selected: Figure | None,
        joint: int | None,
        cast: Mapping[str, str],
        neighbours: tuple[bool, bool],
        has_onion: bool,
    ) -> None:
        a, editable = self.actions, not self.read_only
        on_figure = selected is not None and editable
        for name in ("mirror", "rotate_left", "rotate_right", "smaller", "larger", "delete"):
            a[name].setEnabled(on_figure)
        a["hide_joint"].setEnabled(on_figure and joint is not None)
        a["show_joints"].setEnabled(on_figure and bool(hidden_joints(selected)))
        a["copy_previous"].setEnabled(editable and neighbours[0])
        a["copy_next"].setEnabled(editable and neighbours[1])
        a["clear"].setEnabled(editable and pose is not None)
        a["save_preset"].setEnabled(pose is not None)
        a["onion"].setEnabled(has_onion)
        for name in ("add", "import"):
            a[name].setEnabled(editable)
        self.add_button.setEnabled(editable)
        self._sync_cast(selected, cast)

    def _sync_cast(self, selected: Figure | None, cast: Mapping[str, str]) -> None:
        box = self.cast_box
        box.blockSignals(True)
        box.clear()
        if selected is None:
            box.addItem("No figure selected", None)
        else:
            box.addItem(swatch("#6b7280"), "Unassigned", "")
            for name, colour in cast.items():
                box.addItem(swatch(colour), name, name)
            if selected.label and selected.label not in cast:
                box.addItem(swatch("#6b7280"), f"{selected.label} (not in cast)", selected.label)
            box.setCurrentIndex(max(box.findData(selected.label), 0))
        box.setEnabled(selected is not None and not self.read_only)
        box.blockSignals(False)

    def context_menu(self, figure: int | None, joint: int | None, position) -> QMenu:
        """The right-click menu for a joint, a figure or the empty canvas."""
        e, a = self.editor, self.actions
        menu = QMenu(e)
        pose = e.pose()
        if figure is None or pose is None:
            add = menu.addMenu("Add figure")
            for row in range(self.preset_list.count()):
                item = self.preset_list.item(row)
                name = item.data(Qt.ItemDataRole.UserRole)
                add.addAction(item.icon(), name, lambda n=name: e.add_preset(n))
            menu.addActions([a["copy_previous"], a["copy_next"], a["clear"]])
            menu.addSeparator()
            menu.addAction(a["fit"])
            return menu
        fig = pose.figures[figure]
        if joint is not None:
            menu.addAction(f"Hide {joint_label(joint)}", lambda: e.set_joint_visible(joint, False))
        hidden = hidden_joints(fig)
        if hidden:
            show = menu.addMenu("Show joint here")
            for j in hidden:
                show.addAction(joint_label(j), lambda j=j: e.set_joint_visible(j, True, position))
        stands = menu.addMenu("Stands for")
        for name, colour in {"": "#6b7280", **dict(e._cast)}.items():
            act = stands.addAction(swatch(colour), name or "Unassigned")
            act.setCheckable(True)
            act.setChecked(fig.label == name)
            act.triggered.connect(lambda _c=False, n=name: e.assign_selected(n))
        menu.addSeparator()
        menu.addActions([a["mirror"], a["rotate_left"], a["rotate_right"]])
        menu.addSeparator()
        menu.addAction(a["delete"])
        return menu
