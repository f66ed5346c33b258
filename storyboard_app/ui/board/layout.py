"""Where the board puts things: each scene a full-width header row, its cards in a grid
under it (a new row for every scene), nothing of a collapsed scene but its header.

Pure arithmetic on sizes and rows, no widgets: the view asks for a layout when its width,
the cards' size or the rows shown change, and reads rectangles from it (content
coordinates, before scrolling).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPoint, QRect, QSize

MARGIN = 4  # around the whole board
HEADER_GAP = 4  # between a header and its first row of cards
SCENE_GAP = 10  # between the last row of a scene and the next header


@dataclass(frozen=True)
class SceneHeader:
    """What a scene's header row says: its label (``Scene 2: INT. LAMP ROOM - NIGHT``), its
    colour tag, how many frames it has and their running time in seconds."""

    scene_id: int
    label: str
    color: str
    frames: int
    seconds: float


@dataclass
class SceneBlock:
    """One scene on the board: its header's rectangle, the model rows of its frames (in
    order, shown or not) and the rectangle its cards take (an empty strip to drop cards
    into when it shows none; empty when collapsed)."""

    header: SceneHeader
    header_rect: QRect
    rows: list[int]
    collapsed: bool
    body: QRect = field(default_factory=QRect)


@dataclass
class BoardLayout:
    """The board laid out: scene blocks in order, each shown card's rectangle by model row,
    the size of the cells and of the whole board."""

    blocks: list[SceneBlock] = field(default_factory=list)
    cards: dict[int, QRect] = field(default_factory=dict)
    cell: QSize = field(default_factory=QSize)
    columns: int = 1
    size: QSize = field(default_factory=QSize)

    def block_at(self, point: QPoint) -> SceneBlock | None:
        """The scene whose band (its header to the next one's) holds ``point``'s height;
        the last one below the board, the first above it."""
        if not self.blocks:
            return None
        for block in reversed(self.blocks):
            if point.y() >= block.header_rect.top():
                return block
        return self.blocks[0]

    def header_at(self, point: QPoint) -> SceneBlock | None:
        """The scene whose header row is under ``point``."""
        return next((b for b in self.blocks if b.header_rect.contains(point)), None)

    def block_of_row(self, row: int) -> SceneBlock | None:
        return next((b for b in self.blocks if row in b.rows), None)

    def lines_of(self, block: SceneBlock) -> list[list[int]]:
        """The shown rows of a scene, line by line of its grid."""
        lines: dict[int, list[int]] = {}
        for row in block.rows:
            rect = self.cards.get(row)
            if rect is not None:
                lines.setdefault(rect.top(), []).append(row)
        return [lines[top] for top in sorted(lines)]


def lay_out(
    headers: list[SceneHeader],
    scene_of_row: list[int],
    hidden: set[int],
    collapsed: frozenset[int],
    card: QSize,
    width: int,
    header_height: int,
) -> BoardLayout:
    """Lay the board out ``width`` pixels wide: cells of ``card`` plus a gutter, as many
    columns as fit and the spare width shared out between them; a header row of
    ``header_height`` for each scene in ``headers``; rows whose scene no header names go
    with the last scene."""
    gutter = 12
    columns = max(1, (width - 2 * MARGIN) // (card.width() + gutter))
    cell = QSize(max(card.width() + gutter, (width - 2 * MARGIN) // columns), card.height() + 12)
    inner = cell.width() * columns
    layout = BoardLayout(cell=cell, columns=columns)
    by_scene: dict[int, list[int]] = {h.scene_id: [] for h in headers}
    last = headers[-1].scene_id if headers else None
    for row, scene_id in enumerate(scene_of_row):
        key = scene_id if scene_id in by_scene else last
        if key is not None:
            by_scene[key].append(row)
    y = MARGIN
    for header in headers:
        rows = by_scene[header.scene_id]
        block = SceneBlock(
            header,
            QRect(MARGIN, y, inner, header_height),
            rows,
            header.scene_id in collapsed,
        )
        layout.blocks.append(block)
        y += header_height + HEADER_GAP
        if not block.collapsed:
            shown = [r for r in rows if r not in hidden]
            for i, row in enumerate(shown):
                line, column = divmod(i, columns)
                layout.cards[row] = QRect(
                    QPoint(MARGIN + column * cell.width(), y + line * cell.height()), cell
                )
            lines = -(-len(shown) // columns)
            height = lines * cell.height() if shown else header_height
            block.body = QRect(MARGIN, y, inner, height)
            y += height
        y += SCENE_GAP
    layout.size = QSize(inner + 2 * MARGIN, y + MARGIN)
    return layout
