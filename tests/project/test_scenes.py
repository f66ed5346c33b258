"""Scenes in a real project file: every frame in one scene, the verbs and their inverses,
numbering per scene, and the heading as the prompt's Scene part."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyboard_app.project.errors import InvalidValueError
from storyboard_app.project.headings import heading_prompt_text
from storyboard_app.project.numbering import frame_shot_labels
from storyboard_app.project.scenes import Arrangement
from storyboard_app.project.store import ProjectStore


@pytest.fixture
def store(tmp_path: Path):
    with ProjectStore.create(tmp_path / "s.storyiter") as s:
        yield s


def layout(store: ProjectStore) -> list[tuple[str, list[str]]]:
    """The story as (scene heading, [frame character texts]) in order."""
    frames = store.frames()
    assert [f.position for f in frames] == list(range(len(frames)))
    scenes = store.scenes()
    assert [s.position for s in scenes] == list(range(len(scenes)))
    return [(s.heading, [f.character for f in frames if f.scene_id == s.id]) for s in scenes]


def fill(store: ProjectStore) -> list[int]:
    """Scenes A (a1 a2 a3) and B (b1 b2); returns the frame ids in order."""
    first = store.scenes()[0]
    store.update_scene(first.id, heading="INT. A - DAY")
    ids = [f.id for f in store.add_frames([{"character": c} for c in ("a1", "a2", "a3")])]
    b = store.add_scene(heading="EXT. B - NIGHT")
    ids += [
        f.id for f in store.add_frames([{"character": "b1"}, {"character": "b2"}], scene_id=b.id)
    ]
    return ids


def test_a_new_story_has_one_scene_and_frames_join_it(store: ProjectStore) -> None:
    (scene,) = store.scenes()
    frame = store.add_frame(character="x")
    assert frame.scene_id == scene.id
    assert store.to_json()["scenes"] == [
        {
            "index": 1,
            "id": scene.id,
            "heading": "",
            "number": "",
            "color": "",
            "notes": "",
            "heading_in_prompt": False,
        }
    ]


def test_frames_added_into_a_named_scene_go_to_its_end(store: ProjectStore) -> None:
    fill(store)
    a = store.scenes()[0]
    store.add_frame(character="a4", scene_id=a.id)
    store.add_frame(0, character="a0")  # joins the scene of the frame after it
    store.add_frame(character="b3")  # appended: the scene of the last frame
    assert layout(store) == [
        ("INT. A - DAY", ["a0", "a1", "a2", "a3", "a4"]),
        ("EXT. B - NIGHT", ["b1", "b2", "b3"]),
    ]
    with pytest.raises(InvalidValueError, match="outside its scene"):
        store.add_frame(1, character="bad", scene_id=store.scenes()[1].id)
    assert len(store.frames()) == 8  # the refused insert left nothing behind


def test_split_and_merge_are_inverses(store: ProjectStore) -> None:
    ids = fill(store)
    before = layout(store)
    new = store.split_scene(ids[1], heading="INT. A - LATER")
    assert layout(store) == [
        ("INT. A - DAY", ["a1"]),
        ("INT. A - LATER", ["a2", "a3"]),
        ("EXT. B - NIGHT", ["b1", "b2"]),
    ]
    merge = store.merge_scene(new.id)
    assert layout(store) == before
    restored = store.restore_scene(merge.scene, merge.first_frame_id)
    assert restored == new
    assert layout(store)[1] == ("INT. A - LATER", ["a2", "a3"])
    with pytest.raises(InvalidValueError, match="first scene"):
        store.merge_scene(store.scenes()[0].id)


def test_move_a_whole_scene_and_back(store: ProjectStore) -> None:
    fill(store)
    b = store.scenes()[1]
    store.move_scene(b.id, 0)
    assert layout(store) == [
        ("EXT. B - NIGHT", ["b1", "b2"]),
        ("INT. A - DAY", ["a1", "a2", "a3"]),
    ]
    store.move_scene(b.id, 1)
    assert layout(store)[0] == ("INT. A - DAY", ["a1", "a2", "a3"])


def test_moving_a_frame_across_a_scene_boundary(store: ProjectStore) -> None:
    ids = fill(store)
    store.move_frame(ids[0], 2)  # a1 moved to the end of A: still in A
    assert layout(store)[0] == ("INT. A - DAY", ["a2", "a3", "a1"])
    store.move_frame(ids[0], 3)  # moved down past b1: joins B
    assert layout(store) == [("INT. A - DAY", ["a2", "a3"]), ("EXT. B - NIGHT", ["b1", "a1", "b2"])]
    store.move_frame(ids[0], 2)  # B's first place: it stays in B, its own scene
    assert layout(store)[1] == ("EXT. B - NIGHT", ["a1", "b1", "b2"])
    store.move_frame(ids[0], 2, scene_id=store.scenes()[0].id)  # the same place, told scene A
    assert layout(store)[0] == ("INT. A - DAY", ["a2", "a3", "a1"])
    store.move_frame(ids[4], 0)  # b2 moved up to the front: joins A
    assert layout(store)[0] == ("INT. A - DAY", ["b2", "a2", "a3", "a1"])
    with pytest.raises(InvalidValueError, match="outside its scene"):
        store.move_frame(ids[1], 0, scene_id=store.scenes()[1].id)


def test_add_and_delete_an_empty_scene(store: ProjectStore) -> None:
    fill(store)
    middle = store.add_scene(1, heading="EXT. ROAD - DAY", color="#AA0000", number="2A")
    assert (middle.position, middle.color, middle.number) == (1, "#aa0000", "2A")
    frame = store.add_frame(character="road", scene_id=middle.id)
    assert frame.position == 3
    with pytest.raises(InvalidValueError, match="still has frames"):
        store.delete_scene(middle.id)
    store.delete_frame(frame.id)
    store.delete_scene(middle.id)
    assert [s.heading for s in store.scenes()] == ["INT. A - DAY", "EXT. B - NIGHT"]
    with pytest.raises(InvalidValueError, match="colour"):
        store.update_scene(store.scenes()[0].id, color="red")


def test_shot_numbers_run_per_scene_and_respect_own_labels(store: ProjectStore) -> None:
    ids = fill(store)
    store.update_frame(ids[1], shot_label="INSERT")
    store.update_scene(store.scenes()[1].id, number="7")
    labels = frame_shot_labels(store.frames(), store.scenes(), "1A")
    assert [labels[i] for i in ids] == ["1A", "INSERT", "1C", "7A", "7B"]
    labels = frame_shot_labels(store.frames(), store.scenes(), "1-1")
    assert [labels[i] for i in ids] == ["1-1", "INSERT", "1-3", "7-1", "7-2"]
    store.update_scene(store.scenes()[1].id, number="7A")
    labels = frame_shot_labels(store.frames(), store.scenes(), "1A")
    assert [labels[i] for i in ids[3:]] == ["7A-A", "7A-B"]
    labels = frame_shot_labels(store.frames(), store.scenes(), "1")
    assert [labels[i] for i in ids] == ["1", "INSERT", "3", "4", "5"]


def test_heading_feeds_the_scene_part_when_the_scene_opts_in(store: ProjectStore) -> None:
    ids = fill(store)
    store.update_frame(ids[2], scene="on the stairs")
    assert store.compiled_prompt(ids[0]) == "a1"
    scene = store.update_scene(store.scenes()[0].id, heading_in_prompt=True)
    assert heading_prompt_text(scene.heading) == "interior, a, day"
    cards = {c.frame.id: c.compiled_prompt for c in store.board()}
    assert cards[ids[0]] == store.compiled_prompt(ids[0])
    assert "interior, a, day" in cards[ids[0]]
    assert "on the stairs" in cards[ids[2]] and "interior" not in cards[ids[2]]
    assert "interior" not in cards[ids[3]]  # scene B did not opt in


def test_heading_prompt_text() -> None:
    assert heading_prompt_text("INT. LAMP ROOM - NIGHT") == "interior, lamp room, night"
    assert heading_prompt_text("int/ext car - moving - day") == (
        "interior and exterior, car, moving, day"
    )
    assert heading_prompt_text("EXT BEACH") == "exterior, beach"
    assert heading_prompt_text("A DREAM") == "a dream"


def test_an_arrangement_restores_order_and_scenes_exactly(store: ProjectStore) -> None:
    ids = fill(store)
    before = store.arrangement()
    store.move_frame(ids[0], 3)
    store.move_scene(store.scenes()[1].id, 0)
    assert store.arrangement() != before
    store.arrange(before)
    assert store.arrangement() == before
    with pytest.raises(InvalidValueError, match="every scene and frame"):
        store.arrange(Arrangement(before.scene_ids, before.frames[:-1]))
    a, b = before.scene_ids
    with pytest.raises(InvalidValueError, match="outside its scene"):
        store.arrange(Arrangement((a, b), ((ids[0], b), (ids[1], a), *before.frames[2:])))
    assert store.arrangement() == before


def test_timeline_running_times_and_the_frame_at_a_moment(store: ProjectStore) -> None:
    from storyboard_app.project.timing import build_timeline, running_time, scene_durations

    ids = fill(store)
    for frame_id, seconds in zip(ids, (1.0, 0.0, 2.5, 3.0, 0.5), strict=True):
        store.update_frame(frame_id, duration=seconds)
    timeline = build_timeline(store.board(), store.scenes())
    assert timeline.duration == 7.0
    assert [f.start for f in timeline.frames] == [0.0, 1.0, 1.0, 3.5, 6.5]
    assert [f.shot for f in timeline.frames] == ["1A", "1B", "1C", "2A", "2B"]
    assert timeline.frames[3].scene_label == "Scene 2: EXT. B - NIGHT"
    # A frame of no duration never shows; past the end the last frame stays.
    assert [timeline.index_at(t) for t in (0.0, 0.99, 1.0, 3.49, 3.5, 6.9, 99)] == [
        0,
        0,
        2,
        2,
        3,
        4,
        4,
    ]
    a, b = (s.id for s in store.scenes())
    assert scene_durations(timeline) == {a: 3.5, b: 3.5}
    assert timeline.start_of(ids[3]) == 3.5
    assert [running_time(s) for s in (0, 3.5, 65.0, 3723.0)] == [
        "0:00",
        "0:03.5",
        "1:05",
        "1:02:03",
    ]
