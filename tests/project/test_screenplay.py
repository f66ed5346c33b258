"""Screenplays and prose into scenes, frames and cast: Fountain (the spec's features), Final
Draft XML (a hand-written file), prose; bad scripts refused with line numbers, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard_app.project.fdx_in import parse_fdx
from storyboard_app.project.fountain_in import decode_script, parse_fountain
from storyboard_app.project.prose import parse_prose
from storyboard_app.project.screenplay import ParsedScript, ScriptError
from storyboard_app.project.store import ProjectStore

SCRIPTS = Path(__file__).parent / "scripts"


def shape(script: ParsedScript) -> list[tuple[str, str, list[str]]]:
    return [(s.heading, s.number, [f["character"] for f in s.frames]) for s in script.scenes]


def test_fountain_spec_features_map_to_scenes_frames_and_cast() -> None:
    script = parse_fountain((SCRIPTS / "lamp-room.fountain").read_text("utf-8"))
    assert script.title == "The Lamp Room"
    # Scene headings (numbered #1#, forced .FLASHBACK, #2A#); the boneyard's scene is gone.
    assert shape(script) == [
        (
            "INT. LAMP ROOM - NIGHT",
            "1",
            [
                "@Mira climbs the last steps. The great lamp is dark.",
                "She kneels by the brass housing.",
            ],
        ),
        ("FLASHBACK - A SUMMER DAY", "", ["Young @Mira and @Tom run along the cliff."]),
        ("EXT. CLIFF - DAWN", "2A", ["THE END"]),  # centered text is a frame
    ]
    first, flashback, cliff = script.scenes
    # The transition before the first heading and the synopsis are the scene's notes.
    assert first.notes == ["FADE IN:", "Mira finds the lamp broken."]
    # Dialogue is the caption of the frame it follows, speaker first, with the extension
    # and the parenthetical; a note inside the action line is that frame's note, not text.
    assert first.frames[1]["caption"] == (
        "MIRA: (to herself) Not tonight.\nTOM (V.O.): Mira? Are you up there?"
    )
    assert first.frames[1]["character"] == "She kneels by the brass housing."
    assert first.frames[1]["notes"] == "Check the prop list."
    # Dual dialogue: both speakers on one caption line, side by side; the transition goes
    # to the frame's notes.
    assert flashback.frames[0]["caption"] == "MIRA: Race you! ‖ TOM: Race you!"
    assert flashback.frames[0]["notes"] == "CUT TO:"
    # Sections and page breaks are outline; a standalone note and a forced transition go to
    # the notes; a forced cue (@McCLANE) keeps its case; lyrics join the caption.
    assert cliff.frames[0]["notes"] == "A standalone note\nacross two lines\nSMASH TO BLACK."
    assert cliff.frames[0]["caption"] == "McCLANE: Yippie ki-yay.\n♪ The keeper's song ♪"
    assert "Act Two" not in str(script) and "Boats" not in str(script)
    assert script.cast == {"Mira": "Mira", "Tom": "Tom", "McCLANE": "McCLANE"}


def test_fountain_notes_in_a_line_are_kept_as_the_frames_notes() -> None:
    # After the spec's examples: a note in the middle or at the end of an action line and of
    # a dialogue line, a note on a line of its own, one across lines (a line of two spaces
    # keeps it going), and the boneyard's note, which is not story.
    script = parse_fountain(
        "INT. TRAILER HOME - DAY\n\n"
        "This is the home of THE BOY BAND, AKA DAN and JIM.[[Or did we think of actually "
        "hiring someone?]] They live here.\n\n"
        "DAN\n"
        "Then let's retire them.[[Sarcastic?]]\n"
        "_Real_ retirement.\n\n"
        "[[It was supposed to be Vietnamese, right?]]\n\n"
        "The General Lee flies through the air. [[Is the FREEZE FRAME\n  \nour plan?]]\n\n"
        "/* The car [[a boneyard note]] */\n"
    )
    (scene,) = script.scenes
    home, lee = scene.frames
    assert home["character"] == (
        "This is the home of THE BOY BAND, AKA @Dan and JIM. They live here."
    )
    assert home["caption"] == "DAN: Then let's retire them. Real retirement."
    assert home["notes"] == (
        "Or did we think of actually hiring someone?\nSarcastic?\n"
        "It was supposed to be Vietnamese, right?"
    )
    assert lee["character"] == "The General Lee flies through the air."
    assert lee["notes"] == "Is the FREEZE FRAME our plan?"
    assert "boneyard" not in str(script)


def test_a_note_running_over_lines_inside_a_paragraph_keeps_the_paragraph_whole() -> None:
    text = (
        "INT. HOUSE - DAY\n\n"
        "Action with a note [[spanning\ntwo lines]] here.\n\n"
        "BOB\nHi [[a note\n  \nwith a continuation]] there.\n\n"
        "[[A standalone note\nacross two lines]]\n\n"
        "Last action.\n\n"
    )
    (scene,) = parse_fountain(text).scenes
    assert scene.frames == [
        {
            "character": "Action with a note here.",
            "caption": "BOB: Hi there.",
            "notes": "spanning two lines\na note with a continuation\n"
            "A standalone note\nacross two lines",
        },
        {"character": "Last action."},
    ]
    # What follows keeps its line numbers.
    with pytest.raises(ScriptError) as caught:
        parse_fountain(text + "/* never closed\n\nmore")
    assert caught.value.problems[0][0] == 16


def test_fountain_dual_dialogue_keeps_both_speakers_side_by_side() -> None:
    # The spec's example: the caret after the second cue makes the two speak at once.
    script = parse_fountain(
        "EXT. STREET - DAY\n\nThey stand back to back.\n\n"
        "BRICK\nScrew retirement.\n\nSTEEL (V.O.) ^\n(grinning)\nScrew retirement.\n\n"
        "BRICK\nAgain.\n"
    )
    (frame,) = script.scenes[0].frames
    assert frame["caption"] == (
        "BRICK: Screw retirement. ‖ STEEL (V.O.): (grinning) Screw retirement.\nBRICK: Again."
    )
    assert script.cast == {"Brick": "Brick", "Steel": "Steel"}


def test_fountain_frames_per_sentence() -> None:
    script = parse_fountain((SCRIPTS / "lamp-room.fountain").read_text("utf-8"), per_sentence=True)
    assert [f["character"] for f in script.scenes[0].frames] == [
        "@Mira climbs the last steps.",
        "The great lamp is dark.",
        "She kneels by the brass housing.",
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("INT. HOUSE - DAY\n\nHi.\n\n/* never closed\n\nmore", 5, "Boneyard"),
        ("INT. HOUSE - DAY\n\n[[ a note that never ends\n\nmore", 3, "ote"),
        ("Title: Empty\n\n", 1, "no action or dialogue"),
    ],
)
def test_malformed_fountain_names_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ScriptError, match=message) as caught:
        parse_fountain(text)
    assert caught.value.problems[0][0] == line
    assert f"line {line}:" in str(caught.value)


def test_undecodable_script_names_the_line() -> None:
    with pytest.raises(ScriptError, match="line 3: the file is not UTF-8"):
        decode_script(b"INT. A - DAY\n\n\xff\xfe bad\n")
    with pytest.raises(ScriptError, match=r"line 2: .*NUL"):
        decode_script(b"INT. A - DAY\nx\x00y")


def test_final_draft_file_maps_like_fountain() -> None:
    script = parse_fdx((SCRIPTS / "lamp-room.fdx").read_bytes())
    assert shape(script) == [
        ("INT. LAMP ROOM - NIGHT", "1", ["@Mira climbs the last steps. The lamp is dark."]),
        ("EXT. CLIFF - DAWN", "2", ["@Mira", "They run along the cliff."]),
    ]
    lamp, cliff = script.scenes
    assert lamp.frames[0]["caption"] == (
        "MIRA: (to herself) Not tonight.\nTOM (O.S.): Mira? & the lamp?"
    )
    assert lamp.frames[0]["notes"] == "CUT TO:"
    # Dual dialogue opening a scene: a frame of the first speaker carries both lines.
    assert cliff.frames[0] == {
        "character": "@Mira",
        "interaction": "speaking",
        "caption": "MIRA: Race you! ‖ TOM: Race you!",
    }
    assert script.cast == {"Mira": "Mira", "Tom": "Tom"}


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<FinalDraft><Content><Paragraph Type="Action"><Text>&lol2;</Text></Paragraph></Content>
</FinalDraft>"""


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (BOMB, 2, "document type declaration"),
        (b'<?xml version="1.0"?>\n<FinalDraft>\n<Content>\n</FinalDraft>', 4, "not well-formed"),
        (b"<html><body/></html>", 1, "not <FinalDraft>"),
        (b"<FinalDraft><Content/></FinalDraft>", 1, "no action or dialogue"),
    ],
)
def test_bad_final_draft_files_are_refused_with_the_line(
    data: bytes, line: int, message: str
) -> None:
    with pytest.raises(ScriptError, match=message) as caught:
        parse_fdx(data)
    assert caught.value.problems[0][0] == line


def test_prose_paragraphs_dialogue_and_cast() -> None:
    text = (
        "# comment\n@Mira: a young inventor with goggles\n\nINT. WORKSHOP - NIGHT\n\n"
        "Mira bends over a brass robot.\nSparks fly.\n\nMira: Almost there.\n"
        "ROBOT: Beep.\n\nThe robot sits up.\n"
    )
    script = parse_prose(text)
    assert shape(script) == [
        (
            "INT. WORKSHOP - NIGHT",
            "",
            ["@Mira bends over a brass @Robot. Sparks fly.", "The @Robot sits up."],
        )
    ]
    assert script.scenes[0].frames[0]["caption"] == "Mira: Almost there.\nROBOT: Beep."
    assert script.cast == {"Mira": "a young inventor with goggles", "Robot": "Robot"}


def test_importing_a_script_stores_scenes_cast_and_frames(tmp_path: Path) -> None:
    script = parse_fountain((SCRIPTS / "lamp-room.fountain").read_text("utf-8"))
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        store.add_cast_member("Mira", "a keeper in a yellow raincoat")
        made = store.import_script(script)
        scenes = store.scenes()
        assert made == scenes  # the empty opening scene took the first heading
        assert [(s.heading, s.number) for s in scenes] == [
            ("INT. LAMP ROOM - NIGHT", "1"),
            ("FLASHBACK - A SUMMER DAY", ""),
            ("EXT. CLIFF - DAWN", "2A"),
        ]
        assert scenes[0].notes == "FADE IN:\nMira finds the lamp broken."
        frames = store.frames()
        assert [len(store.scene_frame_ids(s.id)) for s in scenes] == [2, 1, 1]
        assert frames[1].caption.startswith("MIRA: (to herself)")
        # An existing cast member keeps the writer's description; the prompt uses it.
        assert store.cast_descriptions()["Mira"] == "a keeper in a yellow raincoat"
        assert store.compiled_prompt(frames[0].id).startswith("a keeper in a yellow raincoat")
        assert store.cast_descriptions()["Tom"] == "Tom"


def test_a_failed_import_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = parse_fountain((SCRIPTS / "lamp-room.fountain").read_text("utf-8"))
    with ProjectStore.create(tmp_path / "s.storyiter") as store:
        calls = []
        original = ProjectStore._insert_frames

        def failing(self, conn, cards, position, scene_id=None):
            calls.append(scene_id)
            if len(calls) == 3:
                raise OSError("disk gone")
            return original(self, conn, cards, position, scene_id)

        monkeypatch.setattr(ProjectStore, "_insert_frames", failing)
        with pytest.raises(OSError, match="disk gone"):
            store.import_script(script)
        assert len(calls) == 3
        assert store.frames() == [] and store.cast() == []
        assert [(s.heading, s.notes) for s in store.scenes()] == [("", "")]
