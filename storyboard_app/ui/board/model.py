"""The board: every frame card in story order, as a list model over ``store.board()``.

The model reads one snapshot of the board (thumbnails only, never full images), keeps rows
keyed by frame id, and re-reads it shortly after any change (bursts of commits during a run
become one refresh). Drag and drop moves cards through the session's undoable reorder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from storyboard_app.project.model import BoardCard, Scene
from storyboard_app.project.numbering import ShotNumbering, frame_shot_labels
from storyboard_app.project.readouts import ReadoutFrame
from storyboard_app.project.report import FrameReport, StoryReport, story_report
from storyboard_app.project.timing import build_timeline, scene_durations, scene_label
from storyboard_app.ui.board.layout import SceneHeader
from storyboard_app.ui.board.roles import (
    MIME_FRAMES,
    CardRole,
    FrameIdRole,
    PreviewRole,
    ReadoutRole,
    RunStateRole,
    SceneRole,
    ThumbnailRole,
)
from storyboard_app.ui.shared.images import ThumbnailCache
from storyboard_app.ui.shared.session import ProjectSession

Index = QModelIndex | QPersistentModelIndex


def dragged_frame_ids(data: QMimeData) -> list[int]:
    """The frame ids a board drag carries."""
    text = bytes(data.data(MIME_FRAMES).data()).decode()
    return [int(x) for x in text.split(",") if x.strip().isdigit()]


STATE_HELP = {
    "drifting": "Drifting: its alignment with the card or its cast consistency is far below "
    "this story's own level (1.5 robust standard deviations under the story's median).",
    "converged": "Converged: its last round changed it by a quarter or less of its largest "
    "change; more rounds are unlikely to help.",
}


def readout_tip(report: FrameReport | None) -> str:
    """The tooltip lines that explain a card's read-out badge."""
    if report is None or not report.state.value or report.state.value not in STATE_HELP:
        return ""
    lines = [STATE_HELP[report.state.value], *report.reasons]
    if report.suggested_round is not None:
        lines.append(f"Suggested round: {report.suggested_round} (see the history panel).")
    return "\n\n" + "\n".join(lines)


@dataclass(frozen=True)
class SceneMark:
    """What a card shows of its scene: the scene's colour tag and the card's shot number
    within the scene ("" in a story of one unnamed scene, where cards keep their frame
    numbers)."""

    color: str
    shot: str


def scene_marks(cards: list[BoardCard], scenes: list[Scene]) -> dict[int, SceneMark]:
    """frame id -> its SceneMark (empty for a story that is one scene without a heading)."""
    if len(scenes) <= 1 and not any(s.heading for s in scenes):
        return {}
    by_id = {scene.id: scene for scene in scenes}
    shots = frame_shot_labels([c.frame for c in cards], scenes, ShotNumbering.SCENE_LETTER)
    marks = {}
    for card in cards:
        scene = by_id.get(card.frame.scene_id or 0)
        marks[card.frame.id] = SceneMark(scene.color if scene else "", shots[card.frame.id])
    return marks


def scene_headers(cards: list[BoardCard], scenes: list[Scene]) -> list[SceneHeader]:
    """Every scene's header row, in story order, with its frame count and running time."""
    times = scene_durations(build_timeline(cards, scenes))
    counts: dict[int, int] = {}
    for card in cards:
        counts[card.frame.scene_id or 0] = counts.get(card.frame.scene_id or 0, 0) + 1
    return [
        SceneHeader(s.id, scene_label(s), s.color, counts.get(s.id, 0), times.get(s.id, 0.0))
        for s in scenes
    ]


class BoardModel(QAbstractListModel):
    """Rows are BoardCard values; the run state and previews come from the run controller."""

    refreshed = Signal()
    collapsedChanged = Signal()

    def __init__(self, session: ProjectSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.cards: list[BoardCard] = []
        self.thumbnails = ThumbnailCache()
        self.collapsed_scenes: frozenset[int] = frozenset()  # their cards are not shown
        self.scene_marks: dict[int, SceneMark] = {}
        self.headers: list[SceneHeader] = []  # one per scene, in order
        self.run_states: dict[int, str] = {}
        self.previews: dict[int, Any] = {}
        self.report: StoryReport | None = None
        self.readouts: dict[int, FrameReport] = {}
        self._timer = QTimer(self, singleShot=True, interval=40)
        self._timer.timeout.connect(self.refresh)
        session.boardChanged.connect(self.schedule_refresh)
        session.imagesChanged.connect(self.schedule_refresh)
        self.refresh()

    # ------------------------------------------------------------------ reading

    def schedule_refresh(self, *_: object) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def refresh(self) -> None:
        """Re-read the board; unchanged order updates rows in place, else the model resets."""
        self._timer.stop()
        if self.session.store.closed:
            return
        store = self.session.store
        ok, snapshot = self.session.attempt(lambda: (store.board(), store.scenes()))
        if not ok:
            return
        cards, scenes = snapshot
        marks = scene_marks(cards, scenes)
        self.headers = scene_headers(cards, scenes)
        ok, report = self.session.attempt(
            lambda: story_report(
                self.session.store, frames=[ReadoutFrame.of(c) for c in cards], cast=False
            )
        )
        old_readouts = self.readouts
        self.report = report if ok else None
        self.readouts = {f.frame_id: f for f in report.frames} if ok else {}
        old_ids = [c.frame.id for c in self.cards]
        new_ids = [c.frame.id for c in cards]
        if old_ids == new_ids:
            changed = [
                i
                for i, (a, b) in enumerate(zip(self.cards, cards))
                if a != b
                or old_readouts.get(a.frame.id) != self.readouts.get(a.frame.id)
                or self.scene_marks.get(a.frame.id) != marks.get(b.frame.id)
            ]
            self.cards = cards
            self.scene_marks = marks
            for row in changed:
                index = self.index(row)
                self.dataChanged.emit(index, index)
        else:
            self.beginResetModel()
            self.cards = cards
            self.scene_marks = marks
            self.endResetModel()
        self.refreshed.emit()

    def set_collapsed_scenes(self, scene_ids: set[int] | frozenset[int]) -> None:
        """Collapse these scenes (their cards leave the board, their headers stay); re-reads
        the board so the view filters the cards by the scenes as stored now."""
        if frozenset(scene_ids) == self.collapsed_scenes:
            return
        self.collapsed_scenes = frozenset(scene_ids)
        self.refresh()
        self.collapsedChanged.emit()

    def toggle_collapsed(self, scene_id: int) -> None:
        """Collapse the scene, or show its cards again."""
        self.set_collapsed_scenes(self.collapsed_scenes ^ {scene_id})

    def row_of(self, frame_id: int) -> int | None:
        for row, card in enumerate(self.cards):
            if card.frame.id == frame_id:
                return row
        return None

    def card(self, frame_id: int) -> BoardCard | None:
        row = self.row_of(frame_id)
        return None if row is None else self.cards[row]

    def set_run_state(self, states: dict[int, str], previews: dict[int, Any]) -> None:
        touched = set(self.run_states) | set(states) | set(self.previews) | set(previews)
        self.run_states = dict(states)
        self.previews = dict(previews)
        for frame_id in touched:
            row = self.row_of(frame_id)
            if row is not None:
                index = self.index(row)
                self.dataChanged.emit(index, index, [RunStateRole, PreviewRole])

    # ------------------------------------------------------------------ Qt model API

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.cards):
            return None
        card = self.cards[index.row()]
        frame = card.frame
        if role == Qt.ItemDataRole.DisplayRole:
            return card.compiled_prompt or "(empty card)"
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = card.compiled_prompt or "An empty card: write a character, action and scene."
            return f"Frame {frame.position + 1}: {tip}" + readout_tip(self.readouts.get(frame.id))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Frame {frame.position + 1}, {frame.shot_label}: {card.compiled_prompt}"
        if role == CardRole:
            return card
        if role == FrameIdRole:
            return frame.id
        if role == ThumbnailRole:
            return self.thumbnails.get(card.current_image_id, card.thumbnail_png)
        if role == RunStateRole:
            return self.run_states.get(frame.id)
        if role == PreviewRole:
            return self.previews.get(frame.id)
        if role == ReadoutRole:
            return self.readouts.get(frame.id)
        if role == SceneRole:
            return self.scene_marks.get(frame.id)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsDropEnabled
        if not index.isValid():
            return base
        return (
            base
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsDragEnabled
        )

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_FRAMES]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        ids = sorted({self.cards[i.row()].frame.id for i in indexes if i.isValid()})
        data = QMimeData()
        data.setData(MIME_FRAMES, QByteArray(",".join(map(str, ids)).encode()))
        return data

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return data.hasFormat(MIME_FRAMES) and action == Qt.DropAction.MoveAction

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        """Move the dragged cards before ``row`` (or onto ``parent``'s place) by undoable
        reorder. Returns False so the view never removes rows itself: the refresh does."""
        return self.drop_frames(data, action, row, None, parent)

    def drop_frames(self, data, action, row, scene_id, parent=QModelIndex()) -> bool:  # noqa: B008
        """``dropMimeData`` that also says which scene the cards land in (None: the one
        of the cards beside them)."""
        if not self.canDropMimeData(data, action, row, 0, parent):
            return False
        ids = dragged_frame_ids(data)
        if row < 0:
            row = parent.row() if parent.isValid() else len(self.cards)
        if self.session.move_frames(ids, row, scene_id):
            self.refresh()
        return False
