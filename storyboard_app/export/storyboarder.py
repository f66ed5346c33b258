"""The board as a Storyboarder project (``storyboard export --storyboarder DIR``), so a team
can go on in Wonderunit's Storyboarder.

What is written follows the files Storyboarder itself writes (its ``src/js/models/board.js``
and test fixtures): ``DIR/<title>.storyboarder``, a JSON object with ``version``,
``aspectRatio``, ``fps``, ``defaultBoardTiming`` (ms) and ``boards``; each board has a
5-character ``uid``, ``url`` ``board-<n>-<uid>.png``, ``number``, ``shot``, ``newShot``, ``time``
and ``duration`` (ms), ``dialogue``, ``action``, ``notes``, ``lastEdited`` and ``layers``. Its
images are in ``DIR/images/``: the board image, the same picture as the ``reference`` layer
(where Storyboarder puts an imported image) and a thumbnail, all at Storyboarder's board
size (900 px high at the story's aspect ratio). Each scene starts a new shot (``newShot``),
and its heading opens the notes of its first board.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import string
import time
import uuid
from pathlib import Path
from typing import Any

from PIL import Image

from storyboard_app.export.board import ExportError
from storyboard_app.export.fountain_out import frame_action
from storyboard_app.export.images import decode_pil
from storyboard_app.export.naming import safe_file_stem
from storyboard_app.project.numbering import ShotNumbering, ShotSlot, number_shots
from storyboard_app.project.safe_write import fsync_file, fsync_folder
from storyboard_app.project.storage import os_error_cause
from storyboard_app.project.store import ProjectStore

STORYBOARDER_VERSION = "1.9.2"  # the newest file layout described above
FPS = 24
BOARD_HEIGHT = 900
THUMBNAIL_HEIGHT = 90
_UID_ALPHABET = string.digits + string.ascii_uppercase


def board_uid(frame_id: int) -> str:
    """A frame's Storyboarder uid: 5 characters of 0-9A-Z, unique per frame id."""
    digits = ""
    n = frame_id
    while n:
        n, rest = divmod(n, 36)
        digits = _UID_ALPHABET[rest] + digits
    return digits.rjust(5, "0")[-5:]


def board_size(aspect: float) -> tuple[int, int]:
    """Storyboarder's board image size for an aspect ratio (900 px on the short side)."""
    if aspect >= 1:
        return round(BOARD_HEIGHT * aspect), BOARD_HEIGHT
    return BOARD_HEIGHT, round(BOARD_HEIGHT / aspect)


def export_storyboarder(store: ProjectStore, folder: Path | str) -> Path:
    """Write a Storyboarder project into the new folder ``folder`` and return its
    ``.storyboarder`` file. A folder that exists and is not empty is refused (nothing in it
    is replaced); the project is assembled beside it and renamed into place when complete."""
    folder = Path(folder).expanduser().absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExportError(
            f"{folder} already exists and is not an empty folder; choose a new folder for "
            "the Storyboarder project."
        )
    if not folder.parent.is_dir():
        raise ExportError(f"Cannot write to {folder}: {folder.parent} does not exist.")
    story = store.story()
    settings = story.settings
    aspect = settings.width / settings.height
    size = board_size(aspect)
    temp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        (temp / "images").mkdir(parents=True)
        data = _project_json(store, aspect, temp / "images", size)
        name = f"{safe_file_stem(story.title, 'storyboard')}.storyboarder"
        document = temp / name
        document.write_text(json.dumps(data, indent=2), encoding="utf-8")
        for written in (document, *sorted((temp / "images").iterdir())):
            fsync_file(written)
        with contextlib.suppress(FileNotFoundError):
            folder.rmdir()  # an empty folder the writer made for it
        os.replace(temp, folder)
        fsync_folder(folder.parent)
    except OSError as e:
        raise ExportError(
            f"Writing the Storyboarder project to {folder} failed: {os_error_cause(e)}; "
            "nothing was written."
        ) from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return folder / name


def _project_json(
    store: ProjectStore, aspect: float, images: Path, size: tuple[int, int]
) -> dict[str, Any]:
    cards = store.board()
    scenes = {scene.id: scene for scene in store.scenes()}
    slots = [
        ShotSlot(i + 1, c.frame.scene_id, str(scenes[c.frame.scene_id].position + 1), "")
        for i, c in enumerate(cards)
    ]
    shots = number_shots(slots, ShotNumbering.SCENE_LETTER)
    boards = []
    start_ms = 0
    previous_scene = None
    edited = int(time.time() * 1000)
    for index, (card, shot) in enumerate(zip(cards, shots, strict=True)):
        frame = card.frame
        uid = board_uid(frame.id)
        url = f"board-{index + 1}-{uid}.png"
        new_scene = frame.scene_id != previous_scene
        previous_scene = frame.scene_id
        heading = scenes[frame.scene_id].heading if new_scene else ""
        duration_ms = round(frame.duration * 1000)
        png = store.image_png(card.current_image_id) if card.current_image_id else None
        _write_images(png, images / url, size, f"frame {index + 1}")
        boards.append(
            {
                "uid": uid,
                "url": url,
                "newShot": new_scene,
                "lastEdited": edited,
                "layers": {
                    "reference": {"url": url.replace(".png", "-reference.png"), "opacity": 1.0}
                },
                "number": index + 1,
                "shot": shot,
                "time": start_ms,
                "duration": duration_ms,
                "dialogue": frame.caption,
                "action": frame_action(frame),
                "notes": "\n".join(part for part in (heading, frame.notes) if part),
            }
        )
        start_ms += duration_ms
    return {
        "version": STORYBOARDER_VERSION,
        "aspectRatio": aspect,
        "fps": FPS,
        "defaultBoardTiming": 2000,
        "boards": boards,
    }


def _write_images(png: bytes | None, path: Path, size: tuple[int, int], frame: str) -> None:
    """The board image, its reference layer and its thumbnail, at Storyboarder's sizes."""
    if png is None:
        picture = Image.new("RGB", size, "white")
    else:
        picture = decode_pil(png, frame)
        picture = _fit(picture, size)
    picture.save(path, "PNG")
    picture.save(path.with_name(path.stem + "-reference.png"), "PNG")
    width = round(THUMBNAIL_HEIGHT * size[0] / size[1])
    picture.resize((width, THUMBNAIL_HEIGHT), Image.Resampling.LANCZOS).save(
        path.with_name(path.stem + "-thumbnail.png"), "PNG"
    )


def _fit(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Scale to cover ``size`` and centre-crop (the story's images share its aspect)."""
    scale = max(size[0] / picture.width, size[1] / picture.height)
    scaled = picture.resize(
        (max(size[0], round(picture.width * scale)), max(size[1], round(picture.height * scale))),
        Image.Resampling.LANCZOS,
    )
    left = (scaled.width - size[0]) // 2
    top = (scaled.height - size[1]) // 2
    return scaled.crop((left, top, left + size[0], top + size[1]))
