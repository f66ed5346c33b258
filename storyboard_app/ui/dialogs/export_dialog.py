"""Export: every format and option of ``storyboard export``, previewed with the painter that
writes the file, with the export's warnings (and the frames they name) shown before writing.

The PDF preview is the page as printed; "Show crops" outlines each image that fills its
panel, and a click on a panel switches that panel between fill and fit. GIF and MP4 show the
animatic frame of the chosen frame; the contact sheet its page; the other formats a summary.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
)

from storyboard_app.export import (
    ExportError,
    export_animatic_gif,
    export_contact_sheet_png,
    export_pdf,
    export_png_zip,
    export_poses,
    layout_board,
    layout_warnings,
    render_page_image,
)
from storyboard_app.export.animatic import BurnIn, FramePainter, FrameText, animatic_size
from storyboard_app.export.from_project import board_from_project
from storyboard_app.export.naming import shot_labels
from storyboard_app.export.report import frame_list
from storyboard_app.export.shotlist import export_shot_list
from storyboard_app.export.timeline import export_timeline
from storyboard_app.export.timing import running_time_text
from storyboard_app.export.video import export_video
from storyboard_app.project.errors import ProjectError
from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.dialogs.export_form import ExportForm

PREVIEW_WIDTH = 420


class ExportDialog(QDialog):
    def __init__(self, store: ProjectStore, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.store = store
        self.form = ExportForm()
        self.fits: dict[int, str] = {}  # frame number -> "fill" / "fit" chosen on the preview
        self.page = QSpinBox(minimum=1, maximum=1, prefix="Page ")
        self.show_crop = QCheckBox("Show crops", checked=True)
        self.preview = QLabel()
        self.preview.setFixedWidth(PREVIEW_WIDTH)
        self.preview.setMinimumHeight(int(PREVIEW_WIDTH * 1.42))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.preview.setStyleSheet("background: #e8eaee; border-radius: 6px;")
        self.preview.mousePressEvent = self._preview_clicked
        self.hint = QLabel("Click a panel to switch it between fill and fit.", objectName="Hint")
        self.warnings = QListWidget()
        self.warnings.setMaximumHeight(110)
        self.warnings.setWordWrap(True)
        self.status = QLabel(objectName="Hint")
        self.status.setWordWrap(True)
        self.save = QPushButton("Export…")
        self.save.setObjectName("Primary")
        self.save.clicked.connect(self._choose_and_export)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        options = QScrollArea()
        options.setWidget(self.form)
        options.setWidgetResizable(True)
        options.setMinimumWidth(470)
        side = QVBoxLayout()
        side.addWidget(options, 1)
        side.addWidget(QLabel("Before you export:"))
        side.addWidget(self.warnings)
        side.addWidget(self.status)
        side.addWidget(self.save)
        turn = QHBoxLayout()
        turn.addWidget(self.page)
        turn.addWidget(self.show_crop)
        view = QVBoxLayout()
        view.addLayout(turn)
        view.addWidget(self.preview, 1)
        view.addWidget(self.hint)
        row = QHBoxLayout()
        row.addLayout(side, 1)
        row.addLayout(view)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(buttons)

        self._board = None
        self._pages = ()
        self.form.changed.connect(self._rebuild)
        self.page.valueChanged.connect(self._show_page)
        self.show_crop.toggled.connect(self._show_page)
        self._rebuild()

    # ------------------------------------------------------------------ building the preview

    def board(self):
        """The board as it will be exported: the chosen images, with the preview's fits."""
        board = board_from_project(self.store, self.form.image_choice())
        panels = tuple(
            replace(p, image_fit=self.fits[p.index]) if p.index in self.fits else p
            for p in board.panels
        )
        return replace(board, panels=panels)

    def _rebuild(self, *_: object) -> None:
        key = self.form.format_key()
        self.warnings.clear()
        try:
            self._board = self.board()
            self._pages = layout_board(self._board, self.form.options()) if key == "pdf" else ()
        except (ExportError, ProjectError) as exc:
            self._board, self._pages = None, ()
            self.status.setText(str(exc))
            self.save.setEnabled(False)
            self.preview.clear()
            return
        self.save.setEnabled(True)
        panels = self._board.panels
        if key == "pdf":
            warnings = layout_warnings(self._board, self._pages)
            self.page.setMaximum(len(self._pages))
            summary = f"{len(self._pages)} page(s), {len(panels)} frames."
        else:
            missing = [p.index for p in panels if p.image_png is None]
            warnings = [f"{frame_list(missing).capitalize()}: no image."] if missing else []
            self.page.setMaximum(len(panels))
            seconds = sum(p.duration for p in panels)
            summary = f"{len(panels)} frames, running time {running_time_text(seconds)}."
        self.page.setPrefix("Page " if key == "pdf" else "Frame ")
        for warning in warnings:
            self.warnings.addItem(str(warning))
        if not warnings:
            self.warnings.addItem("No warnings.")
        self.status.setText(summary)
        self.show_crop.setVisible(key == "pdf")
        self.hint.setVisible(key == "pdf")
        self._show_page()

    def _show_page(self, *_: object) -> None:
        if self._board is None:
            return
        key = self.form.format_key()
        number = min(self.page.value(), self.page.maximum())
        if key == "pdf" and self._pages:
            image = render_page_image(
                self._board,
                self.form.options(),
                number,
                PREVIEW_WIDTH,
                pages=self._pages,
                show_crop=self.show_crop.isChecked(),
            )
        elif key in ("gif", "video"):
            image = self._animatic_frame(number)
        else:
            self.preview.setText(self.status.text())
            return
        self.preview.setPixmap(QPixmap.fromImage(image))

    def _animatic_frame(self, number: int):
        board = self._board
        size = animatic_size(board, None, even=True)
        panel = board.panels[number - 1]
        label = shot_labels(board.panels, self.form.numbering.currentData())[number - 1]
        burn = self._burn_in()
        text = FrameText(
            label if burn.shot or self.form.format_key() == "gif" else "",
            panel.caption if self.form.subtitles.isChecked() else "",
            panel.scene_heading if burn.scene else "",
            "00:00:00:00" if burn.timecode else "",
        )
        image = FramePainter(size).paint(panel, text)
        return image.scaledToWidth(PREVIEW_WIDTH, Qt.TransformationMode.SmoothTransformation)

    def _burn_in(self) -> BurnIn:
        form = self.form
        if form.format_key() != "video":
            return BurnIn()
        return BurnIn(
            form.burn_shot.isChecked(), form.burn_scene.isChecked(), form.burn_timecode.isChecked()
        )

    def _preview_clicked(self, event) -> None:
        """A click on a panel of the page switches it between fill and fit."""
        pixmap = self.preview.pixmap()
        if not self._pages or pixmap is None or pixmap.isNull():
            return
        page = self._pages[min(self.page.value(), len(self._pages)) - 1]
        offset = (self.preview.width() - pixmap.width()) / 2
        point = QPointF(event.position().x() - offset, event.position().y())
        scale = page.width / pixmap.width()
        x, y = point.x() * scale, point.y() * scale
        for slot in page.slots:
            rect = slot.frame_rect
            if rect.x <= x <= rect.right and rect.y <= y <= rect.bottom:
                index = self._board.panels[slot.position].index
                self.fits[index] = "fit" if slot.fit == "fill" else "fill"
                self._rebuild()
                return

    # ------------------------------------------------------------------ exporting

    def _choose_and_export(self) -> None:
        chosen = self.form.chosen_format()
        start = self.store.path.with_suffix(chosen.suffix) if chosen.suffix else None
        if chosen.key == "poses":
            name = QFileDialog.getExistingDirectory(self, "Folder for the poses")
        else:
            name, _ = QFileDialog.getSaveFileName(
                self, f"Export {chosen.title}", str(start), chosen.filter
            )
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> bool:
        """Write the chosen format to ``path``; the outcome is shown in the dialog."""
        form, board = self.form, self._board
        if board is None:
            return False
        numbering = form.numbering.currentData()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            key = form.format_key()
            if key == "pdf":
                report = export_pdf(board, form.options(), path, pages=self._pages)
                done = f"Wrote {report.path} ({report.pages} pages)."
            elif key == "video":
                audio = Path(form.audio.text()) if form.audio.text().strip() else None
                width = form.video_width.value()
                size = animatic_size(board, None, even=True)
                size = (width, round(width * size[1] / size[0]))
                video = export_video(
                    board, path, size=size, fps=form.fps.currentData(),
                    captions=form.subtitles.isChecked(), burn_in=self._burn_in(), audio=audio,
                    shot_numbering=numbering,
                )  # fmt: skip
                done = f"Wrote {video.path} ({video.frames} frames, {video.seconds:.2f} s)."
            elif key == "timeline":
                fps = form.fps.currentData()
                timeline = export_timeline(board, path, fps=fps, shot_numbering=numbering)
                done = f"Wrote {timeline.path} ({len(timeline.clips)} clips)."
            elif key == "gif":
                width = form.video_width.value()
                size = animatic_size(board, None, even=False)
                written = export_animatic_gif(
                    board, path, size=(width, round(width * size[1] / size[0])),
                    captions=form.subtitles.isChecked(), shot_numbering=numbering,
                )  # fmt: skip
                done = f"Wrote {written}."
            elif key == "csv":
                export_shot_list(board, path, fps=form.fps.currentData(), shot_numbering=numbering)
                done = f"Wrote {path}."
            else:
                write = {
                    "png": export_contact_sheet_png,
                    "zip": export_png_zip,
                    "poses": export_poses,
                }[key]
                write(board, path, shot_numbering=numbering)
                done = f"Wrote {path}."
        except (ExportError, ProjectError) as exc:
            self.status.setText(f"Not exported: {exc}")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.status.setText(done)
        return True
