"""The export dialog's options: every format and option ``storyboard export`` has, as widgets.

``ExportForm`` holds the widgets and turns them into values (``ExportOptions``, the video's
burn-ins, the chosen format); it emits ``changed`` whenever any of them changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from storyboard_app.export.board import FILM_FIELDS, FRAME_ASPECTS, PRINT_DPIS, ExportOptions
from storyboard_app.export.timeline import FORMAT_NAMES


@dataclass(frozen=True)
class Format:
    """One kind of export: its name in the dialog, its file filter and default suffix."""

    key: str
    title: str
    suffix: str  # "" for a folder
    filter: str


FORMATS = (
    Format("pdf", "PDF (comic pages / film sheets)", ".pdf", "PDF (*.pdf)"),
    Format("png", "PNG contact sheet", ".png", "PNG image (*.png)"),
    Format("gif", "Animatic GIF", ".gif", "GIF animation (*.gif)"),
    Format("video", "MP4 animatic (H.264)", ".mp4", "MP4 video (*.mp4)"),
    Format("timeline", "Timeline for editors", ".otio", ""),
    Format("csv", "CSV shot list", ".csv", "CSV (*.csv)"),
    Format("zip", "ZIP of PNGs by shot", ".zip", "ZIP archive (*.zip)"),
    Format("poses", "OpenPose JSON (folder)", "", ""),
)


def _combo(*items: tuple[str, object]) -> QComboBox:
    box = QComboBox()
    for text, data in items:
        box.addItem(text, data)
    return box


class ExportForm(QWidget):
    """Every export option; ``changed`` fires on any edit."""

    changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.format = _combo(*((f.title, f.key) for f in FORMATS))
        self.images = _combo(("Current images", "chosen"), ("Latest images", "latest"))
        self.round = QSpinBox(minimum=0, maximum=999, enabled=False)
        self.images.addItem("Images of round…", "round")
        self.numbering = _combo(("1, 2, 3", "1"), ("1A, 1B", "1A"), ("1-1, 1-2", "1-1"))
        self.fps = _combo(("24 fps", 24), ("25 fps", 25), ("30 fps", 30))
        self.pdf = self._pdf_group()
        self.video = self._video_group()
        self.timeline_kind = _combo(*((name, suffix) for suffix, name in FORMAT_NAMES.items()))
        self.timeline = QGroupBox("Timeline")
        QFormLayout(self.timeline).addRow("Format", self.timeline_kind)

        top = QFormLayout()
        top.addRow("Export", self.format)
        row = QHBoxLayout()
        row.addWidget(self.images, 1)
        row.addWidget(self.round)
        top.addRow("Images", row)
        top.addRow("Shot numbers", self.numbering)
        top.addRow("Frame rate", self.fps)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        for group in (self.pdf, self.video, self.timeline):
            layout.addWidget(group)
        layout.addStretch(1)
        self.images.currentIndexChanged.connect(
            lambda: self.round.setEnabled(self.images.currentData() == "round")
        )
        self.format.currentIndexChanged.connect(self._show_groups)
        for widget in self.findChildren(QWidget):
            for name in ("currentIndexChanged", "toggled", "valueChanged", "textChanged"):
                signal = getattr(widget, name, None)
                if signal is not None and hasattr(signal, "connect"):
                    signal.connect(lambda *_: self.changed.emit())
        self._show_groups()

    # ------------------------------------------------------------------ groups

    def _pdf_group(self) -> QGroupBox:
        group = QGroupBox("Pages")
        self.layout_box = _combo(("Comic pages", "comic"), ("Film storyboard sheets", "film"))
        self.page_size = _combo(("A4", "A4"), ("Letter", "Letter"), ("US comic", "comic"))
        self.landscape = QCheckBox("Landscape")
        self.rtl = QCheckBox("Right to left")
        self.title_page = QCheckBox("Title page")
        self.rows = QSpinBox(minimum=0, maximum=12, specialValueText="auto")
        self.columns = QSpinBox(minimum=0, maximum=12, specialValueText="auto")
        self.per_page = QSpinBox(minimum=1, maximum=12, value=3)
        self.captions = _combo(("In the panel", "inside"), ("Below the panel", "below"))
        self.fit = _combo(("Fill (crop)", "fill"), ("Fit whole image", "fit"))
        self.aspect = _combo(
            *((name if name != "image" else "Image's own", name) for name in FRAME_ASPECTS)
        )
        self.fields = {name: QCheckBox(name.capitalize(), checked=True) for name in FILM_FIELDS}
        self.revision = QLineEdit(placeholderText="e.g. Rev. B")
        self.margin = self._mm(12.0, 60)
        self.gutter = self._mm(4.0, 50)
        self.bleed = self._mm(0.0, 20)
        self.crop_marks = QCheckBox("Crop marks")
        self.safe_area = self._mm(0.0, 30)
        self.dpi = _combo(*((f"{d} dpi", d) for d in PRINT_DPIS))
        form = QFormLayout(group)
        form.addRow("Layout", self.layout_box)
        form.addRow("Paper", self.page_size)
        flags = QHBoxLayout()
        for box in (self.landscape, self.rtl, self.title_page):
            flags.addWidget(box)
        form.addRow("", flags)
        grid = QHBoxLayout()
        grid.addWidget(self.rows)
        grid.addWidget(self.columns)
        form.addRow("Rows × columns", grid)
        form.addRow("Shots per sheet", self.per_page)
        form.addRow("Captions", self.captions)
        form.addRow("Images", self.fit)
        form.addRow("Frame aspect", self.aspect)
        fields = QHBoxLayout()
        for box in self.fields.values():
            fields.addWidget(box)
        form.addRow("Film fields", fields)
        form.addRow("Revision", self.revision)
        spacing = QHBoxLayout()
        spacing.addWidget(self.margin)
        spacing.addWidget(self.gutter)
        form.addRow("Margin, gutter", spacing)
        print_row = QHBoxLayout()
        print_row.addWidget(self.bleed)
        print_row.addWidget(self.crop_marks)
        form.addRow("Bleed", print_row)
        form.addRow("Safe-area guide", self.safe_area)
        form.addRow("Resolution", self.dpi)
        return group

    def _video_group(self) -> QGroupBox:
        group = QGroupBox("Animatic")
        self.video_width = QSpinBox(minimum=64, maximum=3840, value=640, suffix=" px wide")
        self.subtitles = QCheckBox("Captions as subtitles", checked=True)
        self.burn_shot = QCheckBox("Shot", checked=True)
        self.burn_scene = QCheckBox("Scene")
        self.burn_timecode = QCheckBox("Timecode")
        self.audio = QLineEdit(placeholderText="optional sound file")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_audio)
        form = QFormLayout(group)
        form.addRow("Size", self.video_width)
        form.addRow("", self.subtitles)
        burn = QHBoxLayout()
        for box in (self.burn_shot, self.burn_scene, self.burn_timecode):
            burn.addWidget(box)
        form.addRow("Burn in", burn)
        sound = QHBoxLayout()
        sound.addWidget(self.audio, 1)
        sound.addWidget(browse)
        form.addRow("Sound", sound)
        return group

    def _mm(self, value: float, top: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox(minimum=0.0, maximum=top, value=value, suffix=" mm")
        box.setDecimals(3 if top <= 20 else 1)
        return box

    def _choose_audio(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Sound for the animatic")
        if name:
            self.audio.setText(name)

    def _show_groups(self) -> None:
        key = self.format_key()
        self.pdf.setVisible(key == "pdf")
        self.video.setVisible(key in ("gif", "video"))
        for widget in (self.burn_shot, self.burn_scene, self.burn_timecode, self.audio):
            widget.setEnabled(key == "video")
        self.fps.setEnabled(key in ("video", "timeline", "csv"))  # timecodes and clip lengths
        self.timeline.setVisible(key == "timeline")

    # ------------------------------------------------------------------ values

    def format_key(self) -> str:
        return self.format.currentData()

    def chosen_format(self) -> Format:
        key = self.format_key()
        chosen = next(f for f in FORMATS if f.key == key)
        if key == "timeline":
            suffix = self.timeline_kind.currentData()
            name = self.timeline_kind.currentText()
            return Format(key, chosen.title, suffix, f"{name} (*{suffix})")
        return chosen

    def image_choice(self) -> str:
        choice = self.images.currentData()
        return f"round:{self.round.value()}" if choice == "round" else choice

    def options(self) -> ExportOptions:
        """The page options (ExportError for an impossible combination)."""
        return ExportOptions(
            layout=self.layout_box.currentData(),
            page_size=self.page_size.currentData(),
            orientation="landscape" if self.landscape.isChecked() else "portrait",
            rtl=self.rtl.isChecked(),
            title_page=self.title_page.isChecked(),
            rows=self.rows.value(),
            columns=self.columns.value(),
            panels_per_page=self.per_page.value(),
            shot_numbering=self.numbering.currentData(),
            caption_placement=self.captions.currentData(),
            image_fit=self.fit.currentData(),
            frame_aspect=self.aspect.currentData(),
            film_fields=tuple(name for name, box in self.fields.items() if box.isChecked()),
            revision=self.revision.text(),
            margin_mm=self.margin.value(),
            gutter_mm=self.gutter.value(),
            bleed_mm=self.bleed.value(),
            crop_marks=self.crop_marks.isChecked(),
            safe_area_mm=self.safe_area.value(),
            dpi=self.dpi.currentData(),
        )
