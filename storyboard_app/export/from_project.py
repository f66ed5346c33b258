"""The adapter from a project file to export values: which image of each frame, and its text."""

from __future__ import annotations

from storyboard_app.export.board import ExportBoard, ExportError, ExportPanel
from storyboard_app.project.store import ProjectStore


def parse_image_choice(text: str) -> tuple[str, int | None]:
    """``chosen`` (= current), ``current``, ``latest`` or ``round:N`` -> (kind, N)."""
    if text in ("chosen", "current", "latest"):
        return ("current" if text == "chosen" else text), None
    if text.startswith("round:"):
        try:
            n = int(text.split(":", 1)[1])
        except ValueError:
            n = -1
        if n >= 0:
            return "round", n
    raise ExportError(f"Unknown image choice {text!r}: use chosen, latest or round:N.")


def board_from_project(store: ProjectStore, images: str = "chosen") -> ExportBoard:
    """Every frame of the project as an export panel, with the chosen image per frame.

    ``chosen`` takes each frame's current image (its chosen one, else its latest);
    ``latest`` the newest; ``round:N`` the frame's image of round N (the newest such), and
    an empty panel for a frame that has none.
    """
    kind, round_number = parse_image_choice(images)
    panels = []
    for card in store.board():
        frame = card.frame
        image_id: int | None
        if kind == "current":
            image_id = card.current_image_id
        else:
            history = store.images_of_frame(frame.id)
            if kind == "round":
                history = [i for i in history if i.round == round_number]
            image_id = max(history, key=lambda i: (i.created, i.id)).id if history else None
        action = ", ".join(p for p in (frame.character, frame.interaction, frame.scene) if p)
        panels.append(
            ExportPanel(
                index=frame.position + 1,
                shot_label=frame.shot_label,
                image_png=store.image_png(image_id) if image_id is not None else None,
                caption=frame.caption,
                action=action,
                notes=frame.notes,
                duration=frame.duration,
                pose_json=frame.pose_json,
            )
        )
    return ExportBoard(title=store.story().title, panels=tuple(panels))
