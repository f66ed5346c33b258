"""Export: comic pages or film storyboard sheets, previewed page by page with the same painter
that writes the PDF."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from storyboard_app.export import (
    ExportError,
    ExportOptions,
    export_pdf,
    layout_board,
    render_page_image,
)
from storyboard_app.export.from_project import board_from_project
from storyboard_app.project.errors import ProjectError
from storyboard_app.project.store import ProjectStore

PREVIEW_WIDTH = 420


class ExportDialog(QDialog):
    def __init__(self, store: ProjectStore, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.store = store
        self.layout_box = QComboBox()
        self.layout_box.addItem("Comic pages", "comic")
        self.layout_box.addItem("Film storyboard sheets", "film")
        self.page_size = QComboBox()
        self.page_size.addItems(["A4", "Letter", "comic"])
        self.landscape = QCheckBox("Landscape")
        self.images = QComboBox()
        self.images.addItem("Current images", "chosen")
        self.images.addItem("Latest images", "latest")
        self.title_page = QCheckBox("Title page")
        self.page = QSpinBox(minimum=1, maximum=1)
        self.page.valueChanged.connect(self._show_page)
        self.preview = QLabel()
        self.preview.setFixedWidth(PREVIEW_WIDTH)
        self.preview.setMinimumHeight(int(PREVIEW_WIDTH * 1.42))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: #e8eaee; border-radius: 6px;")
        self.status = QLabel(objectName="Hint")
        self.status.setWordWrap(True)
        for widget in (self.layout_box, self.page_size, self.images):
            widget.currentIndexChanged.connect(self._rebuild)
        for box in (self.landscape, self.title_page):
            box.toggled.connect(self._rebuild)

        form = QFormLayout()
        form.addRow("Layout", self.layout_box)
        form.addRow("Paper", self.page_size)
        form.addRow("", self.landscape)
        form.addRow("Images", self.images)
        form.addRow("", self.title_page)
        form.addRow("Page", self.page)
        save = QPushButton("Export PDF…")
        save.setObjectName("Primary")
        save.clicked.connect(self._export)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.status)
        side.addStretch(1)
        side.addWidget(save)
        row = QHBoxLayout()
        row.addLayout(side)
        row.addWidget(self.preview)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)
        self._board = None
        self._pages = []
        self._rebuild()

    def options(self) -> ExportOptions:
        return ExportOptions(
            layout=self.layout_box.currentData(),
            page_size=self.page_size.currentText(),
            orientation="landscape" if self.landscape.isChecked() else "portrait",
            title_page=self.title_page.isChecked(),
        )

    def _rebuild(self, *_: object) -> None:
        try:
            self._board = board_from_project(self.store, self.images.currentData())
            self._pages = layout_board(self._board, self.options())
        except ExportError as exc:
            self.status.setText(str(exc))
            self._pages = []
            return
        self.page.setMaximum(max(len(self._pages), 1))
        self.status.setText(f"{len(self._pages)} page(s), {len(self._board.panels)} frames.")
        self._show_page(self.page.value())

    def _show_page(self, number: int) -> None:
        if not self._pages or number > len(self._pages):
            return
        image = render_page_image(
            self._board, self.options(), number, PREVIEW_WIDTH, pages=self._pages
        )
        self.preview.setPixmap(QPixmap.fromImage(image))

    def _export(self) -> None:
        start = self.store.path.with_suffix(".pdf")
        name, _ = QFileDialog.getSaveFileName(self, "Export PDF", str(start), "PDF (*.pdf)")
        if not name:
            return
        try:
            report = export_pdf(self._board, self.options(), Path(name))
        except (ExportError, ProjectError) as exc:
            self.status.setText(f"Not exported: {exc}")
            return
        pages = getattr(report, "pages", len(self._pages))
        self.status.setText(f"Wrote {name} ({pages} pages).")
