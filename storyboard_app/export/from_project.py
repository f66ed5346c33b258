"""The adapter from a project file to export values: which image of each frame, and its text."""

from __future__ import annotations

from engine.prompts import resolve_mentions
from storyboard_app.export.board import ExportBoard, ExportError, ExportPanel
from storyboard_app.project.numbering import scene_numbers
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
    an empty panel for a frame that has none; a round no frame has is an ExportError.
    """
    kind, round_number = parse_image_choice(images)
    scenes = store.scenes()
    numbers = scene_numbers(scenes)
    headings = {scene.id: scene.heading for scene in scenes}
    panels = []
    rounds_seen: set[int] = set()
    names = {member.name: member.name for member in store.cast()}  # "@Ada" prints as "Ada"
    for card in store.board():
        frame = card.frame
        image_id: int | None
        if kind == "current":
            image_id = card.current_image_id
        else:
            history = store.images_of_frame(frame.id)
            rounds_seen.update(i.round for i in history)
            if kind == "round":
                history = [i for i in history if i.round == round_number]
            image_id = max(history, key=lambda i: (i.created, i.id)).id if history else None
        parts = (frame.character, frame.interaction, frame.scene)
        action = ", ".join(p for p in (resolve_mentions(p, names).strip() for p in parts) if p)
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
                scene=numbers.get(frame.scene_id or 0),
                scene_heading=headings.get(frame.scene_id or 0, ""),
            )
        )
    if kind == "round" and round_number not in rounds_seen:
        raise ExportError(_no_such_round(round_number, rounds_seen))
    return ExportBoard(title=store.story().title, panels=tuple(panels))


def _no_such_round(wanted: int | None, rounds: set[int]) -> str:
    if not rounds:
        return f"There is no round {wanted}: the story has no images yet."
    listed = ", ".join(f"round {r}" for r in sorted(rounds))
    return f"There is no round {wanted}: the story's images are from {listed}."
