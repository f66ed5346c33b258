"""Looking closely: one image at full size, and two images side by side with their records."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
)

from storyboard_app.project.model import ImageInfo
from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.history.panel import image_caption
from storyboard_app.ui.shared.images import fitted, image_from_png

# record fields worth comparing, in the order a writer reads them
COMPARED = (
    ("round", "Round"),
    ("seed", "Seed"),
    ("ip_scale", "Adapter scale"),
    ("style", "Style"),
    ("steps", "Steps"),
    ("guidance", "Guidance"),
    ("fast", "Fast"),
    ("controlnet", "ControlNet"),
    ("posed", "Posed"),
    ("prompt_sent", "Prompt sent"),
)


def record_value(info: ImageInfo, key: str) -> str:
    if key == "round":
        return str(info.round)
    if key == "seed":
        return str(info.seed)
    if key == "ip_scale":
        return f"{info.ip_scale:.3f}"
    value = info.record.get(key, "")
    return str(value)


def references_text(info: ImageInfo) -> str:
    refs = info.record.get("reference_ids", [])
    return f"{len(refs)} reference image(s)" if refs else "no references (text only)"


class ImageDialog(QDialog):
    """One image at its full size (scrolls when larger than the screen)."""

    def __init__(self, store: ProjectStore, image_id: int, parent=None) -> None:
        super().__init__(parent)
        info = store.image_info(image_id)
        frame = store.frame(info.frame_id)
        self.setWindowTitle(f"Frame {frame.position + 1} — {image_caption(info)}")
        label = QLabel()
        label.setPixmap(QPixmap.fromImage(image_from_png(store.image_png(image_id))))
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(label)
        scroll.setWidgetResizable(True)
        prompt = QLabel(html.escape(str(info.record.get("prompt_sent", ""))))
        prompt.setWordWrap(True)
        prompt.setObjectName("Hint")
        prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(prompt)
        layout.addWidget(buttons)
        side = max(info.width, info.height)
        self.resize(min(side + 60, 1100), min(side + 140, 900))


class CompareDialog(QDialog):
    """Two images of a frame side by side, with what differs in how they were made."""

    def __init__(self, store: ProjectStore, first: int, second: int, parent=None) -> None:
        super().__init__(parent)
        infos = [store.image_info(first), store.image_info(second)]
        frame = store.frame(infos[0].frame_id)
        self.setWindowTitle(f"Compare — frame {frame.position + 1}")
        grid = QGridLayout()
        side = 420
        for column, info in enumerate(infos):
            picture = QLabel()
            picture.setMinimumSize(side, side)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setStyleSheet("background: #e8eaee; border-radius: 6px;")
            image = image_from_png(store.image_png(info.id))
            picture.setPixmap(fitted(image, picture.minimumSize()))
            title = QLabel(f"<b>Round {info.round}</b> · pass {info.pass_id} · image {info.id}")
            grid.addWidget(title, 0, column)
            grid.addWidget(picture, 1, column)
        rows = []
        for key, label in COMPARED:
            a, b = (record_value(i, key) for i in infos)
            mark = ' style="color:#a15c07"' if a != b else ""
            rows.append(
                f"<tr><td style='color:#6b7280;padding-right:10px'>{label}</td>"
                f"<td{mark}>{html.escape(a)}</td><td{mark}>{html.escape(b)}</td></tr>"
            )
        refs = [references_text(i) for i in infos]
        rows.append(
            "<tr><td style='color:#6b7280'>References</td>"
            f"<td>{refs[0]}</td><td>{refs[1]}</td></tr>"
        )
        table = QLabel(f"<table cellspacing=4 width=100%>{''.join(rows)}</table>")
        table.setWordWrap(True)
        table.setTextFormat(Qt.TextFormat.RichText)
        grid.addWidget(table, 2, 0, 1, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(buttons)
