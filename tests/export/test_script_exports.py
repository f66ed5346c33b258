"""The story back to a Fountain script (round trip through the importer) and the board to a
Storyboarder project (its JSON checked against the fields Storyboarder's own files have)."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyboard_app.export.board import ExportError
from storyboard_app.export.fountain_out import export_fountain
from storyboard_app.export.storyboarder import export_storyboarder
from storyboard_app.project.fountain_in import parse_fountain
from storyboard_app.project.store import ProjectStore

TESTS = Path(__file__).parent.parent
SCRIPT = TESTS / "project" / "scripts" / "lamp-room.fountain"
RELEASE = TESTS / "fixtures" / "release-0.1.0.storyiter"


def _story(script):
    return [
        (s.heading, s.number, s.notes, [(f["character"], f.get("caption", "")) for f in s.frames])
        for s in script.scenes
    ]


def test_fountain_round_trip_keeps_scenes_action_and_dialogue(tmp_path: Path) -> None:
    original = parse_fountain(SCRIPT.read_text("utf-8"))
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        store.import_script(original)
        store.update_story(title="The Lamp Room")
        out = export_fountain(store, tmp_path / "back.fountain")
    again = parse_fountain(out.read_text("utf-8"))
    assert _story(again) == _story(original)
    assert again.cast == original.cast
    assert again.title == "The Lamp Room"
    # Frame notes come back as notes (transitions as transitions), the note written inside
    # an action line too; dual dialogue is written with the second cue's caret.
    assert again.scenes[1].frames[0]["notes"] == "CUT TO:"
    assert again.scenes[0].frames[1]["notes"] == "Check the prop list."
    assert "MIRA\nRace you!\n\nTOM ^\nRace you!" in out.read_text("utf-8")


def test_fountain_export_of_plain_cards(tmp_path: Path) -> None:
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        store.add_cast_member("Ada", "a tall woman in a blue raincoat")
        store.add_frame(character="@Ada", interaction="opens an umbrella", caption="It rains.")
        store.add_frame(character="A LIGHTHOUSE AT NIGHT")
        text = export_fountain(store, tmp_path / "out.fountain").read_text("utf-8")
    assert "Ada, opens an umbrella\n\n[[It rains.]]" in text
    assert "!A LIGHTHOUSE AT NIGHT" in text  # capitals alone would read as a cue
    script = parse_fountain(text)
    assert [f["character"] for f in script.scenes[0].frames] == [
        "Ada, opens an umbrella",
        "A LIGHTHOUSE AT NIGHT",
    ]


@pytest.fixture
def release_project(tmp_path: Path) -> Path:
    path = tmp_path / "release.storyiter"
    shutil.copyfile(RELEASE, path)
    with ProjectStore.open(path) as store:  # upgraded to scenes on open
        frames = store.frames()
        store.update_scene(store.scenes()[0].id, heading="INT. KITCHEN - DAY")
        store.split_scene(frames[2].id, heading="EXT. SEA - NIGHT")
        store.update_frame(frames[1].id, duration=3.25, caption="MARA: Tea?", notes="warm")
    return path


def test_storyboarder_project_matches_storyboarders_format(release_project, tmp_path) -> None:
    folder = tmp_path / "board"
    with ProjectStore.open_reader(release_project) as store:
        written = export_storyboarder(store, folder)
        cards = store.board()
        first_png = store.image_png(cards[0].current_image_id)
    data = json.loads(written.read_text("utf-8"))
    assert written.suffix == ".storyboarder"
    assert set(data) == {"version", "aspectRatio", "fps", "defaultBoardTiming", "boards"}
    assert data["aspectRatio"] == 1.0 and data["fps"] == 24
    boards = data["boards"]
    assert len(boards) == 4
    start = 0
    for n, board in enumerate(boards, start=1):
        assert re.fullmatch(r"[0-9A-Z]{5}", board["uid"])
        assert board["url"] == f"board-{n}-{board['uid']}.png"
        assert board["number"] == n and board["time"] == start
        start += board["duration"]
        for name in (board["url"], board["layers"]["reference"]["url"]):
            with Image.open(folder / "images" / name) as image:
                assert image.size == (900, 900)
        with Image.open(folder / "images" / board["url"].replace(".png", "-thumbnail.png")) as t:
            assert t.size == (90, 90)
    assert len({b["uid"] for b in boards}) == 4
    assert [b["shot"] for b in boards] == ["1A", "1B", "2A", "2B"]
    assert [b["newShot"] for b in boards] == [True, False, True, False]
    assert boards[1]["duration"] == 3250 and boards[1]["dialogue"] == "MARA: Tea?"
    assert boards[0]["notes"] == "INT. KITCHEN - DAY" and boards[1]["notes"] == "warm"
    assert boards[2]["notes"] == "EXT. SEA - NIGHT"
    assert boards[0]["action"] == "Mara, climbs the stairs, in the lamp room"  # names, not @
    # The board image is the frame's current image, scaled up.
    with Image.open(folder / "images" / boards[0]["url"]) as image:
        small = image.convert("RGB").resize((64, 64), Image.Resampling.BOX)

    with Image.open(io.BytesIO(first_png)) as current:
        reference = current.convert("RGB")

    difference = np.abs(np.asarray(small, dtype=float) - np.asarray(reference, dtype=float))
    assert difference.mean() < 8


def test_storyboarder_refuses_a_folder_with_files(release_project, tmp_path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    with (
        ProjectStore.open_reader(release_project) as store,
        pytest.raises(ExportError, match="not an empty folder"),
    ):
        export_storyboarder(store, folder)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".taken")]
