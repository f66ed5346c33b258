"""Run → Devices: where passes are drawn (this GPU, every GPU here, or a Ray cluster)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from engine.api import Devices
from storyboard_app.ui.shared.preferences import Preferences

CHOICES = (
    ("this", "This &GPU", "Draw in the engine process on one device"),
    ("all", "All GPUs &Here", "One engine per GPU of this machine (a local Ray instance)"),
    ("cluster", "A Ray &Cluster at…", "One engine per GPU of an existing Ray cluster"),
)


def kind_of(devices: Devices) -> str:
    if devices.cluster:
        return "cluster"
    return "this" if devices.in_process else "all"


class DevicesMenu(QMenu):
    """Three exclusive choices, kept in the preferences; ``changed`` is told the new one."""

    def __init__(
        self, prefs: Preferences, parent: QWidget, changed: Callable[[Devices], None]
    ) -> None:
        super().__init__("De&vices", parent)  # D is Iterate Drifting's
        self.setObjectName("devices_menu")
        self._prefs = prefs
        self._changed = changed
        self._group = QActionGroup(self)
        self.choices: dict[str, QAction] = {}
        for kind, text, tip in CHOICES:
            action = QAction(text, self, checkable=True)
            action.setObjectName(f"devices_{kind}")
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, k=kind: self.choose(k))
            self._group.addAction(action)
            self.addAction(action)
            self.choices[kind] = action
        self.ask_address = self._ask_address  # tests replace it
        self._show(prefs.devices())

    def choose(self, kind: str) -> None:
        """Make ``kind`` the choice ("this", "all" or "cluster", which asks the address)."""
        current = self._prefs.devices()
        if kind == "cluster":
            address = self.ask_address(current.cluster or self._prefs.last_cluster())
            if not address:
                self._show(current)  # cancelled: the previous choice stays
                return
            devices = Devices(0, address.strip())
        else:
            devices = Devices(1 if kind == "this" else 0)
        self._prefs.set_devices(devices)
        self._show(devices)
        self._changed(devices)

    def _show(self, devices: Devices) -> None:
        self.choices[kind_of(devices)].setChecked(True)
        label = f"A Ray &Cluster at {devices.cluster}…" if devices.cluster else CHOICES[2][1]
        self.choices["cluster"].setText(label)

    def _ask_address(self, current: str) -> str:
        text, ok = QInputDialog.getText(
            self.parentWidget(),
            "Ray cluster",
            "Address of the cluster's head (host:port). Its token is read as Ray documents:\n"
            "RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token.",
            text=current,
        )
        return text if ok else ""
