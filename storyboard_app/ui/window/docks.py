"""The window's docks: which panel sits where, how small each may get, what a dock shows with
no story open, and the sizes they start with (first start, View → Reset Layout)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QScrollArea, QStyle, QWidget

# name, title, area, floor (width, height): enough to use the panel, little enough that every
# dock fits a 1280×720 window at once (panels scroll inside when shorter). A dock is never
# narrower than its panel needs either, so nothing in it is cut off at the right.
DOCKS = (
    ("run", "Iterate", Qt.DockWidgetArea.LeftDockWidgetArea, (220, 150)),
    ("cast", "Cast", Qt.DockWidgetArea.LeftDockWidgetArea, (200, 150)),
    ("scenes", "Scenes", Qt.DockWidgetArea.LeftDockWidgetArea, (200, 150)),
    ("editor", "Frame", Qt.DockWidgetArea.RightDockWidgetArea, (300, 200)),
    ("history", "History", Qt.DockWidgetArea.BottomDockWidgetArea, (300, 140)),
)
FLOORS = {name: QSize(*floor) for name, _title, _area, floor in DOCKS}

PLACEHOLDERS = {
    "run": "settings and runs",
    "cast": "cast",
    "scenes": "scenes",
    "editor": "frames",
    "history": "history",
}

# How each panel fits its dock: "scrolls" up and down when the dock is shorter, "sideways"
# too, or "inside" (the panel scrolls its own parts).
FIT = {"run": "scrolls", "cast": "scrolls", "history": "sideways", "scenes": "inside",
       "editor": "inside"}  # fmt: skip

# Starting sizes: the left column's width, the Frame dock's (pixels, and at most this share
# of the window's width) and the History dock's height.
LEFT_WIDTH = 260
EDITOR_WIDTH = (400, 0.3)
HISTORY_HEIGHT = (200, 0.22)  # at least, and at most this share of the window


class DockArea(QScrollArea):
    """A panel in a frameless scroll area that follows its size. Its smallest size is the
    dock's floor, and never narrower than the panel's own minimum (plus the scroll bar when
    it scrolls up and down); only a ``sideways`` panel may get narrower, and then scrolls."""

    def __init__(self, widget: QWidget, floor: QSize, fit: str = "scrolls") -> None:
        super().__init__()
        self.floor = floor
        self.fit = fit
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        if fit != "sideways":
            self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if fit == "inside":
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(widget)
        self._watcher = _LayoutWatcher(self)
        widget.installEventFilter(self._watcher)

    def minimumSizeHint(self) -> QSize:
        panel = self.widget().minimumSizeHint() if self.widget() is not None else QSize()
        if self.fit == "sideways":
            return QSize(self.floor)
        width = panel.width()
        height = self.floor.height()
        if self.fit == "scrolls":
            width += self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        else:
            height = max(height, panel.height())
        return QSize(max(self.floor.width(), width), height)

    def sizeHint(self) -> QSize:
        hint = self.widget().sizeHint() if self.widget() is not None else QSize()
        return hint.expandedTo(self.minimumSizeHint())


class _LayoutWatcher(QObject):
    """Tells the dock when the panel's own minimum changes (a row shown, a longer label)."""

    def __init__(self, area: DockArea) -> None:
        super().__init__(area)
        self.area = area

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.area.updateGeometry()
        return False


def build_docks(window: QMainWindow) -> dict[str, QDockWidget]:
    """The empty docks in their places (Cast and Scenes share one place, Cast in front)."""
    docks: dict[str, QDockWidget] = {}
    for name, title, area, _floor in DOCKS:
        dock = QDockWidget(title, window)
        dock.setObjectName(f"{name}Dock")
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        window.addDockWidget(area, dock)
        docks[name] = dock
    window.tabifyDockWidget(docks["cast"], docks["scenes"])
    docks["cast"].raise_()
    show_placeholders(docks)
    return docks


def set_panel(dock: QDockWidget, name: str, panel: QWidget) -> None:
    old = dock.widget()
    dock.setWidget(DockArea(panel, FLOORS[name], FIT[name]))
    if old is not None:
        old.deleteLater()


def show_placeholders(docks: dict[str, QDockWidget]) -> None:
    for name, dock in docks.items():
        placeholder = QLabel(f"Open a story to see its {PLACEHOLDERS[name]}.")
        placeholder.setObjectName("Hint")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        placeholder.setWordWrap(True)
        old = dock.widget()
        dock.setWidget(DockArea(placeholder, FLOORS[name], "inside"))
        if old is not None:
            old.deleteLater()


def default_layout(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """Every dock shown, the board given the room: the left column as narrow as its panels
    allow, the Iterate panel as tall as it wants (the Cast list scrolls first), and the
    History dock tall enough for its strip and buttons, within a share of the window."""
    for dock in docks.values():
        dock.show()
    run, cast, editor, history = docks["run"], docks["cast"], docks["editor"], docks["history"]
    left = max(LEFT_WIDTH, run.minimumSizeHint().width(), cast.minimumSizeHint().width())
    most, share = EDITOR_WIDTH
    right = min(most, int(window.width() * share))
    window.resizeDocks([run, editor], [left, right], Qt.Orientation.Horizontal)
    least, share = HISTORY_HEIGHT
    wanted = history.sizeHint().height()
    window.resizeDocks(
        [history], [max(least, min(wanted, int(window.height() * share)))], Qt.Orientation.Vertical
    )
    column = run.height() + cast.height()
    wanted = run.sizeHint().height()
    room = column - cast.minimumSizeHint().height()
    height = max(run.minimumSizeHint().height(), min(wanted, room))
    window.resizeDocks([run, cast], [height, column - height], Qt.Orientation.Vertical)
