"""The Scenes panel: the story's scenes with their frame counts and running times, the
story's running time, and the scene verbs (add, split at the current frame, merge, move,
edit), all undoable. The same verbs make the menu of a scene's header row on the board
(right click, the menu key or Shift+F10). Unticking a scene collapses it, as a click on its
header does: its cards leave the board (the board's search bar, which decides which cards
show, leaves them out)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from storyboard_app.project.model import Scene
from storyboard_app.project.run_progress import plural
from storyboard_app.project.timing import (
    build_timeline,
    running_time,
    scene_durations,
    scene_label,
)
from storyboard_app.ui.board.view import BoardView
from storyboard_app.ui.scenes.dialog import SceneDialog
from storyboard_app.ui.shared.session import ProjectSession

SceneIdRole = Qt.ItemDataRole.UserRole + 20


class ScenesPanel(QWidget):
    """Scene headers beside the board."""

    def __init__(self, session: ProjectSession, board: BoardView, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ScenesPanel")
        self.session = session
        self.board = board
        self.scenes: list[Scene] = []
        self.menu: QMenu | None = None  # the last header menu shown
        self.total = QLabel(objectName="StoryRunningTime")
        self.total.setWordWrap(True)  # a narrow dock wraps it
        self.tree = QTreeWidget(objectName="SceneList")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Scene", "Frames", "Time"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, header.ResizeMode.ResizeToContents)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDoubleClicked.connect(lambda *_: self.edit_scene())
        self.tree.currentItemChanged.connect(self._current_changed)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for name, text, tip, slot in (
            ("add", "Add", "Add an empty scene after this one", self.add_scene),
            ("split", "Split", "Start a new scene at the current frame", self.split_scene),
            ("merge", "Merge", "Merge this scene into the one before it", self.merge_scene),
            ("up", "↑", "Move this scene, with its frames, earlier", lambda: self.move_scene(-1)),
            ("down", "↓", "Move this scene, with its frames, later", lambda: self.move_scene(1)),
            ("edit", "Edit…", "Heading, number, colour, notes, heading in the prompt",
             self.edit_scene),
        ):  # fmt: skip
            button = QToolButton(text=text, toolTip=tip, objectName=f"Scene{name.title()}")
            button.clicked.connect(lambda _=False, s=slot: s())
            buttons.addWidget(button)
            self.buttons[name] = button
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.total)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        session.boardChanged.connect(self.refresh)
        board.selectionModel().currentChanged.connect(lambda *_: self._follow_board())
        board.board_model.collapsedChanged.connect(self._show_collapsed)
        board.sceneMenuRequested.connect(self.show_scene_menu)
        self.refresh()

    @property
    def collapsed(self) -> frozenset[int]:
        """The scenes whose cards the board hides."""
        return self.board.board_model.collapsed_scenes

    # ------------------------------------------------------------------ showing

    def refresh(self) -> None:
        store = self.session.store
        if store.closed:
            return
        ok, snapshot = self.session.attempt(lambda: (store.board(), store.scenes()))
        if not ok:
            return
        cards, self.scenes = snapshot
        timeline = build_timeline(cards, self.scenes)
        times = scene_durations(timeline)
        counts: dict[int, int] = {}
        for card in cards:
            counts[card.frame.scene_id or 0] = counts.get(card.frame.scene_id or 0, 0) + 1
        current = self.current_scene_id()
        self.tree.blockSignals(True)
        self.tree.clear()
        for scene in self.scenes:
            item = QTreeWidgetItem(
                [
                    scene_label(scene),
                    str(counts.get(scene.id, 0)),
                    running_time(times.get(scene.id, 0)),
                ]
            )
            item.setData(0, SceneIdRole, scene.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            shown = Qt.CheckState.Unchecked if scene.id in self.collapsed else Qt.CheckState.Checked
            item.setCheckState(0, shown)
            item.setToolTip(0, f"{scene_label(scene)}\nUntick to collapse the scene on the board")
            if scene.color:
                swatch = QPixmap(12, 12)
                swatch.fill(QColor(scene.color))
                item.setIcon(0, QIcon(swatch))
            self.tree.addTopLevelItem(item)
            if scene.id == current:
                self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)
        self.total.setText(
            f"{plural(len(self.scenes), 'scene')}, {plural(len(cards), 'frame')} · running time "
            f"{running_time(timeline.duration)}"
        )
        self._update_buttons()

    def current_scene_id(self) -> int | None:
        item = self.tree.currentItem()
        if item is not None:
            return item.data(0, SceneIdRole)
        frame = self.session.frame(self.board.current_frame_id() or 0)
        return frame.scene_id if frame else None

    def _show_collapsed(self) -> None:
        """Tick marks as the board collapses scenes (the items stay: a collapse can come
        from a tick of one of them, still inside its own key or click)."""
        self.tree.blockSignals(True)
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            hidden = item.data(0, SceneIdRole) in self.collapsed
            item.setCheckState(0, Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked)
        self.tree.blockSignals(False)

    def _follow_board(self) -> None:
        """The scene of the board's current card becomes the current one here (unless the
        writer is in this list)."""
        card = self.board.board_model.card(self.board.current_frame_id() or 0)
        if self.tree.hasFocus():
            card = None
        for index in range(self.tree.topLevelItemCount() if card is not None else 0):
            item = self.tree.topLevelItem(index)
            if item.data(0, SceneIdRole) == card.frame.scene_id:
                self.tree.blockSignals(True)  # not a choice of scene: its cards stay as chosen
                self.tree.setCurrentItem(item)
                self.tree.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        scene_id = self.current_scene_id()
        place = next((s.position for s in self.scenes if s.id == scene_id), None)
        self.buttons["merge"].setEnabled(bool(place))
        self.buttons["up"].setEnabled(bool(place))
        self.buttons["down"].setEnabled(place is not None and place < len(self.scenes) - 1)
        self.buttons["split"].setEnabled(self.board.current_frame_id() is not None)
        if self.session.store.read_only:  # a read-only story's scenes are shown, not edited
            for name in ("add", "split", "merge", "up", "down", "edit"):
                self.buttons[name].setEnabled(False)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        scene_id = item.data(0, SceneIdRole)
        hidden = item.checkState(0) == Qt.CheckState.Unchecked
        if hidden != (scene_id in self.collapsed):
            self.board.board_model.toggle_collapsed(scene_id)

    def _current_changed(self, item: QTreeWidgetItem | None, _previous=None) -> None:
        self._update_buttons()
        if item is None:
            return
        frame_ids = self.session.store.scene_frame_ids(item.data(0, SceneIdRole))
        if frame_ids and item.data(0, SceneIdRole) not in self.collapsed:
            self.board.select_frames(frame_ids, frame_ids[0])

    # ------------------------------------------------------------------ verbs

    def _select_scene(self, scene_id: int | None) -> None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.data(0, SceneIdRole) == scene_id:
                self.tree.setCurrentItem(item)

    def _place(self, scene_id: int | None) -> int | None:
        return next((s.position for s in self.scenes if s.id == scene_id), None)

    def _done(self, scene_id: int | None) -> None:
        """After a verb: the scene current here, and its header's, if it had the keyboard."""
        self._select_scene(scene_id)
        if self.board.header_focus is not None and scene_id is not None:
            self.board.board_model.refresh()
            self.board.set_header_focus(scene_id)

    def add_scene(self, scene_id: int | None = None) -> None:
        """An empty scene after ``scene_id`` (None: the current one), then its details."""
        scene_id = self.current_scene_id() if scene_id is None else scene_id
        place = self._place(scene_id)
        scene = self.session.add_scene(None if place is None else place + 1, heading="NEW SCENE")
        if scene is not None:
            self._done(scene.id)
            self.edit_scene(scene.id)

    def split_scene(self, frame_id: int | None = None) -> None:
        """A new scene from the frame (None: the current card) to the end of its scene."""
        frame_id = self.board.current_frame_id() if frame_id is None else frame_id
        if frame_id is not None:
            scene = self.session.split_scene(frame_id)
            if scene is not None:
                self._done(scene.id)

    def merge_scene(self, scene_id: int | None = None) -> None:
        """Merge the scene into the one before it."""
        scene_id = self.current_scene_id() if scene_id is None else scene_id
        place = self._place(scene_id)
        if scene_id is not None and place:
            before = self.scenes[place - 1].id
            if self.session.merge_scene(scene_id):
                self._done(before)

    def move_scene(self, step: int, scene_id: int | None = None) -> None:
        """Move the whole scene, its frames with it, ``step`` scenes later (earlier < 0)."""
        scene_id = self.current_scene_id() if scene_id is None else scene_id
        place = self._place(scene_id)
        if scene_id is not None and place is not None and 0 <= place + step < len(self.scenes):
            self.session.move_scene(scene_id, place + step)
            self._done(scene_id)

    def edit_scene(self, scene_id: int | None = None) -> None:
        scene_id = self.current_scene_id() if scene_id is None else scene_id
        scene = next((s for s in self.scenes if s.id == scene_id), None)
        if scene is None or self.session.store.read_only:  # a double-click in a read-only story
            return
        dialog = SceneDialog(scene, self)
        if dialog.exec():
            self.session.edit_scene(scene.id, **dialog.fields())
            self._select_scene(scene.id)

    # ------------------------------------------------------------------ header menu

    def split_point(self, scene_id: int) -> int | None:
        """The board's current frame when a split of ``scene_id`` can start there (it is
        in that scene, not its first frame)."""
        frame_id = self.board.current_frame_id()
        frames = self.session.store.scene_frame_ids(scene_id)
        return frame_id if frame_id in frames[1:] else None

    def show_scene_menu(self, scene_id: int, where: QPoint) -> None:
        """The menu of a scene's header row on the board."""
        place = self._place(scene_id)
        if place is None:
            return
        menu = QMenu(self)
        menu.setObjectName("SceneMenu")
        collapsed = scene_id in self.collapsed
        model = self.board.board_model
        split = self.split_point(scene_id)
        shot = None if split is None else self.board.board_model.row_of(split)
        for text, enabled, slot in (
            ("Expand Scene" if collapsed else "Collapse Scene", True,
             lambda: model.toggle_collapsed(scene_id)),
            ("Add Scene After", True, lambda: self.add_scene(scene_id)),
            (f"Split Scene at Frame {shot + 1}" if shot is not None
             else "Split Scene at the Selected Frame", split is not None,
             lambda: self.split_scene(split)),
            ("Merge with Previous Scene", place > 0, lambda: self.merge_scene(scene_id)),
            ("Move Scene Up", place > 0, lambda: self.move_scene(-1, scene_id)),
            ("Move Scene Down", place < len(self.scenes) - 1,
             lambda: self.move_scene(1, scene_id)),
            ("Edit Scene…", True, lambda: self.edit_scene(scene_id)),
        ):  # fmt: skip
            action = menu.addAction(text)
            edits = text not in ("Expand Scene", "Collapse Scene")  # the others change the story
            action.setEnabled(enabled and not (edits and self.session.store.read_only))
            action.triggered.connect(lambda _=False, s=slot: s())
        if self.menu is not None:
            self.menu.deleteLater()
        self.menu = menu
        menu.popup(where)
