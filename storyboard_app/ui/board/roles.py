"""The board model's item roles and drag-and-drop format, shared by the model, the view and
the card painter."""

from PySide6.QtCore import Qt

MIME_FRAMES = "application/x-storyiter-frame-ids"

CardRole = Qt.ItemDataRole.UserRole + 1
FrameIdRole = Qt.ItemDataRole.UserRole + 2
ThumbnailRole = Qt.ItemDataRole.UserRole + 3
RunStateRole = Qt.ItemDataRole.UserRole + 4
PreviewRole = Qt.ItemDataRole.UserRole + 5
ReadoutRole = Qt.ItemDataRole.UserRole + 6  # the frame's FrameReport (consistency read-out)
SceneRole = Qt.ItemDataRole.UserRole + 7
