"""Panels that scroll instead of imposing their height (or width) on the whole window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea, QWidget


def scrolled(widget: QWidget, *, sideways: bool = False) -> QScrollArea:
    """``widget`` in a frameless scroll area that follows its size; it scrolls up and down
    when the dock is shorter than the panel (and sideways only when ``sideways``)."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    if not sideways:
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    return area
