"""What an export receives: a board of frozen panel values and the writer's options.

These values are the whole contract between the project (or any other source) and the
export package: the adapter from the project store fills them in, chooses which image of
each frame to use (current, latest, or a given round), and hands them over.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Literal

Layout = Literal["comic", "film"]
PageSizeName = Literal["A4", "Letter", "comic"]
Orientation = Literal["portrait", "landscape"]
ShotNumbering = Literal["1", "1A", "1-1"]
CaptionPlacement = Literal["inside", "below"]
ImageFit = Literal["fill", "fit"]
FrameAspect = Literal["image", "2.39", "1.85", "16:9", "4:3", "1:1"]
FilmField = Literal["action", "dialogue", "notes", "duration"]

LAYOUTS = ("comic", "film")
PAGE_SIZES = ("A4", "Letter", "comic")
ORIENTATIONS = ("portrait", "landscape")
SHOT_NUMBERINGS = ("1", "1A", "1-1")
CAPTION_PLACEMENTS = ("inside", "below")
IMAGE_FITS = ("fill", "fit")
FRAME_ASPECTS = {"image": 0.0, "2.39": 2.39, "1.85": 1.85, "16:9": 16 / 9, "4:3": 4 / 3, "1:1": 1.0}
FILM_FIELDS = ("action", "dialogue", "notes", "duration")
PRINT_DPIS = (300, 600)


class ExportError(Exception):
    """An export could not be made; the message says why in the writer's terms."""


@dataclass(frozen=True)
class ExportPanel:
    """One frame of the board as it should be printed.

    ``index`` is the 1-based frame number. An empty ``shot_label`` is numbered by the
    options' scheme. ``image_png`` is None for a frame without an image (a placeholder
    is printed). ``action`` is the frame's character / interaction / scene summary and
    ``caption`` its dialogue or caption. ``duration`` is in seconds. ``scene`` is the
    printed number of the frame's scene, used by the "1A" and "1-1" numbering schemes
    (None: same scene as the previous frame, the first frame being scene 1); ``scene_heading``
    its heading (``INT. LAMP ROOM - NIGHT``), printed on film sheets where a scene starts.
    ``image_fit`` overrides the options' fill / fit for this panel (None: follow them).
    """

    index: int
    shot_label: str = ""
    image_png: bytes | None = None
    caption: str = ""
    action: str = ""
    notes: str = ""
    duration: float = 2.0
    pose_json: str | None = None
    scene: int | str | None = None
    scene_heading: str = ""
    image_fit: ImageFit | None = None

    def __post_init__(self) -> None:
        if self.image_fit is not None:
            _one_of("image fit", self.image_fit, IMAGE_FITS)
        if self.index < 1:
            raise ExportError(f"Frame numbers start at 1 (got {self.index}).")
        if not self.duration >= 0:
            raise ExportError(f"Frame {self.index} has a negative duration ({self.duration}).")


def _today() -> str:
    return datetime.date.today().isoformat()


@dataclass(frozen=True)
class ExportBoard:
    """The board to export: its title, panels in reading order, and a date to print."""

    title: str
    panels: tuple[ExportPanel, ...]
    created: str = field(default_factory=_today)

    def __post_init__(self) -> None:
        object.__setattr__(self, "panels", tuple(self.panels))


@dataclass(frozen=True)
class ExportOptions:
    """How the board is laid out. Lengths are in millimetres.

    ``rows``/``columns`` set the comic grid (0 = automatic); ``panels_per_page`` is for
    the film layout. ``bleed_mm`` and ``caption_placement`` apply to the comic layout.
    ``dpi`` is the PDF's resolution and the highest resolution images are embedded at.
    Comic captions go in lettered boxes inside the panels ("inside") or under them.
    ``image_fit``: "fill" covers each panel, cropping the image's edges; "fit" shows the
    whole image inside it. Film sheets: ``frame_aspect`` is the aspect mask of every frame
    ("image": each image's own shape), ``film_fields`` the texts printed beside a frame,
    ``revision`` a version / revision note for the header. Print: ``crop_marks`` adds a slug
    around the bleed with trim marks in it, ``safe_area_mm`` a guide that far inside the
    trim (0: none).
    """

    layout: Layout = "comic"
    page_size: PageSizeName = "A4"
    orientation: Orientation = "portrait"
    bleed_mm: float = 0.0
    rows: int = 0
    columns: int = 0
    gutter_mm: float = 4.0
    margin_mm: float = 12.0
    rtl: bool = False
    title_page: bool = False
    panels_per_page: int = 3
    shot_numbering: ShotNumbering = "1"
    caption_placement: CaptionPlacement = "inside"
    dpi: int = 300
    image_fit: ImageFit = "fill"
    frame_aspect: FrameAspect = "image"
    film_fields: tuple[FilmField, ...] = FILM_FIELDS
    revision: str = ""
    crop_marks: bool = False
    safe_area_mm: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "film_fields", tuple(self.film_fields))
        _one_of("image fit", self.image_fit, IMAGE_FITS)
        _one_of("frame aspect", self.frame_aspect, tuple(FRAME_ASPECTS))
        for name in self.film_fields:
            _one_of("film field", name, FILM_FIELDS)
        _within("safe area", self.safe_area_mm, 0, 30, "mm")
        _one_of("layout", self.layout, LAYOUTS)
        _one_of("page size", self.page_size, PAGE_SIZES)
        _one_of("orientation", self.orientation, ORIENTATIONS)
        _one_of("shot numbering", self.shot_numbering, SHOT_NUMBERINGS)
        _one_of("caption placement", self.caption_placement, CAPTION_PLACEMENTS)
        _within("bleed", self.bleed_mm, 0, 20, "mm")
        _within("gutter", self.gutter_mm, 0, 50, "mm")
        _within("margin", self.margin_mm, 0, 60, "mm")
        _within("rows", self.rows, 0, 12, "")
        _within("columns", self.columns, 0, 12, "")
        _within("panels per page", self.panels_per_page, 1, 12, "")
        _within("dpi", self.dpi, 72, 1200, "")


def _one_of(what: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ExportError(f"Unknown {what} {value!r}; choose one of {choices}.")


def _within(what: str, value: float, low: float, high: float, unit: str) -> None:
    if not low <= value <= high:
        raise ExportError(f"The {what} must be between {low} and {high}{unit} (got {value}).")
