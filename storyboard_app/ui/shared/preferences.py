"""The app's own preferences (recent projects, window layout, card size), kept in QSettings.

Nothing about a story lives here: stories live in their project files. Tests and screenshot
runs point ``STORYITER_UI_SETTINGS`` (or the ``path`` argument) at an INI file of their own,
so they never touch the writer's preferences.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from engine.api import Devices
from engine.errors import EngineError

ORGANIZATION = "StoryIter"
APPLICATION = "StoryIter Studio"
MAX_RECENT = 10
DEFAULT_CARD_WIDTH = 200


def open_settings(path: Path | str | None = None) -> QSettings:
    """The preferences store: ``path`` (an INI file), else ``$STORYITER_UI_SETTINGS``, else
    the platform's place for ORGANIZATION/APPLICATION."""
    path = path or os.environ.get("STORYITER_UI_SETTINGS")
    if path:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


class Preferences:
    """Typed access to the few values the app remembers between runs."""

    def __init__(self, settings: QSettings) -> None:
        self.qsettings = settings

    # ------------------------------------------------------------------ projects

    def recent_projects(self) -> list[Path]:
        value = self.qsettings.value("projects/recent", [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [Path(p) for p in value or [] if isinstance(p, str) and p]

    def add_recent(self, path: Path) -> None:
        path = Path(path).resolve()
        recent = [p for p in self.recent_projects() if p != path]
        self.qsettings.setValue("projects/recent", [str(p) for p in [path, *recent][:MAX_RECENT]])
        self.qsettings.setValue("projects/last", str(path))

    def forget_recent(self, path: Path) -> None:
        path = Path(path).resolve()
        self.qsettings.setValue(
            "projects/recent", [str(p) for p in self.recent_projects() if p != path]
        )
        if self.last_project() == path:
            self.qsettings.remove("projects/last")

    def last_project(self) -> Path | None:
        value = self.qsettings.value("projects/last", "")
        return Path(value) if isinstance(value, str) and value else None

    def clear_last_project(self) -> None:
        self.qsettings.remove("projects/last")

    # ------------------------------------------------------------------ models

    def use_preview_models(self) -> bool:
        return _as_bool(self.qsettings.value("models/use_preview", False))

    def set_use_preview_models(self, value: bool) -> None:
        self.qsettings.setValue("models/use_preview", bool(value))

    def devices(self) -> Devices:
        """Run → Devices: this device, every GPU here (count 0), or a Ray cluster."""
        cluster = self.qsettings.value("run/cluster", "")
        try:
            count = int(self.qsettings.value("run/devices", 1))
            return Devices(count, cluster if isinstance(cluster, str) else "")
        except (TypeError, ValueError, EngineError):
            return Devices()

    def set_devices(self, devices: Devices) -> None:
        self.qsettings.setValue("run/devices", devices.count)
        self.qsettings.setValue("run/cluster", devices.cluster)
        if devices.cluster:
            self.qsettings.setValue("run/last_cluster", devices.cluster)

    def last_cluster(self) -> str:
        value = self.qsettings.value("run/last_cluster", "")
        return value if isinstance(value, str) else ""

    # ------------------------------------------------------------------ window

    def card_width(self) -> int:
        try:
            return int(self.qsettings.value("board/card_width", DEFAULT_CARD_WIDTH))
        except (TypeError, ValueError):
            return DEFAULT_CARD_WIDTH

    def set_card_width(self, width: int) -> None:
        self.qsettings.setValue("board/card_width", int(width))

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def sync(self) -> None:
        self.qsettings.sync()


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
