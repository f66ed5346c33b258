"""OpenPose JSON in and out, bad input, the control image, skeleton edits and the presets."""

from __future__ import annotations

import io
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from engine.errors import PoseError
from engine.pose import (
    COLOURS,
    JOINT_NAMES,
    LIMBS,
    MIRROR_PARTNER,
    Figure,
    Pose,
    load_pose_presets,
    parse_openpose,
    pose_fingerprint,
    render_control_image,
    to_openpose,
)
from engine.pose_edit import (
    figure_bounds,
    mirror_figure,
    rotate_figure,
    scale_figure,
    set_joint,
    set_joint_visible,
    translate_figure,
)

STANDING_PX = [
    (256, 92), (256, 135), (210, 138), (198, 212), (194, 280), (302, 138), (314, 212), (318, 280),
    (230, 272), (226, 365), (224, 455), (282, 272), (286, 365), (288, 455), (246, 82), (266, 82),
    (234, 88), (278, 88),
]  # fmt: skip


def standing(label: str = "") -> Figure:
    return Figure(tuple((x / 512, y / 512, 1.0) for x, y in STANDING_PX), label)


def standing_doc(**top: Any) -> dict[str, Any]:
    body = [v for x, y in STANDING_PX for v in (x, y, 1)]
    return {
        "canvas_width": 512,
        "canvas_height": 512,
        "people": [{"pose_keypoints_2d": body}],
        **top,
    }


def random_figure(rng: random.Random) -> Figure:
    def points(n: int) -> tuple[tuple[float, float, float], ...]:
        return tuple(
            (rng.uniform(-1, 2), rng.uniform(-1, 2), rng.choice([0.0, 1.0, rng.random()]))
            for _ in range(n)
        )

    extras: list[tuple[str, tuple[float, ...]]] = []
    if rng.random() < 0.5:
        extras.append(("hand_left_keypoints_2d", tuple(v for p in points(21) for v in p)))
    if rng.random() < 0.5:
        extras.append(("hand_right_keypoints_2d", tuple(v for p in points(21) for v in p)))
    if rng.random() < 0.5:
        extras.append(("person_id", (-1.0,)))
        extras.append(("pose_keypoints_3d", tuple(rng.uniform(-1e6, 1e6) for _ in range(8))))
    label = rng.choice(["", "Ava", "Old Tom", "Zoë 🐉"])
    return Figure(points(18), label, tuple(extras))


def random_pose(rng: random.Random) -> Pose:
    size = [1, 7, 512, 777, 1000, 1024, 16384]
    figures = tuple(random_figure(rng) for _ in range(rng.randint(0, 4)))
    return Pose(figures, rng.choice(size), rng.choice(size))


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("pixels", [True, False])
def test_round_trip_is_exact_for_random_poses(pixels: bool) -> None:
    rng = random.Random(20260514 + pixels)
    for _ in range(300):
        pose = random_pose(rng)
        doc = to_openpose(pose, pixels=pixels)
        assert parse_openpose(doc) == pose
        text = json.dumps(doc, allow_nan=False)
        assert parse_openpose(text) == pose
        assert parse_openpose(text.encode("utf-8")) == pose


def test_pixel_input_is_normalised_to_the_canvas() -> None:
    pose = parse_openpose(standing_doc())
    assert (pose.canvas_width, pose.canvas_height) == (512, 512)
    assert pose.figures == (standing(),)
    out = to_openpose(pose)
    assert out["coordinates"] == "pixels"
    assert out["people"][0]["pose_keypoints_2d"][:3] == [256.0, 92.0, 1.0]
    normalised = to_openpose(pose, pixels=False)
    assert normalised["people"][0]["pose_keypoints_2d"][:3] == [0.5, 92 / 512, 1.0]


def test_normalised_input_with_and_without_canvas() -> None:
    body = [v for x, y in STANDING_PX for v in (x / 512, y / 512, 1)]
    without = parse_openpose({"people": [{"pose_keypoints_2d": body}]})
    assert (without.canvas_width, without.canvas_height) == (512, 512)
    assert without.figures == (standing(),)
    wide = parse_openpose(
        {"canvas_width": 1024, "canvas_height": 512, "people": [{"pose_keypoints_2d": body}]}
    )
    assert wide.figures == (standing(),)  # every visible value within -1..2: read as normalised
    assert wide.canvas_width == 1024


def test_coordinates_key_decides_when_given() -> None:
    tiny = [0.0] * 54
    tiny[3:6] = [1.0, 2.0, 1.0]  # a neck at pixel (1, 2): ambiguous without the key
    doc = {"canvas_width": 100, "canvas_height": 200, "people": [{"pose_keypoints_2d": tiny}]}
    assert parse_openpose(doc).figures[0].keypoints[1] == (1.0, 2.0, 1.0)
    as_pixels = parse_openpose({**doc, "coordinates": "pixels"})
    assert as_pixels.figures[0].keypoints[1] == pytest.approx((0.01, 0.01, 1.0), abs=1e-6)


def test_labels_and_extras_survive() -> None:
    doc = standing_doc()
    person = doc["people"][0]
    person["label"] = "Ava"
    person["hand_left_keypoints_2d"] = [128, 256, 0.5] + [0, 0, 0] * 20
    person["person_id"] = [-1]
    person["face_keypoints_2d"] = []
    person["note"] = "ignored: not a list of numbers"
    fig = parse_openpose(doc).figures[0]
    assert fig.label == "Ava"
    extras = dict(fig.extras)
    assert extras["hand_left_keypoints_2d"][:3] == (0.25, 0.5, 0.5)
    assert extras["person_id"] == (-1.0,)
    assert extras["face_keypoints_2d"] == ()
    assert "note" not in extras
    out = to_openpose(parse_openpose(doc))["people"][0]
    assert out["label"] == "Ava"
    assert out["hand_left_keypoints_2d"][:3] == [128.0, 256.0, 0.5]


def test_body_25_is_mapped_to_body_18() -> None:
    body25 = [float(j) for j in range(25) for _ in range(3)]
    body25 = [v if i % 3 != 2 else 1.0 for i, v in enumerate(body25)]
    pose = parse_openpose(
        {"canvas_width": 100, "canvas_height": 100, "people": [{"pose_keypoints_2d": body25}]}
    )
    xs = [round(x * 100) for x, _, _ in pose.figures[0].keypoints]
    assert xs == [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]


def test_hidden_joints_have_no_position() -> None:
    doc = standing_doc()
    doc["people"][0]["pose_keypoints_2d"][12:15] = [400, 300, 0]
    fig = parse_openpose(doc).figures[0]
    assert fig.keypoints[4] == (0.0, 0.0, 0.0)
    assert fig.visible[4] is False and fig.visible[3] is True


def test_path_source(tmp_path: Path) -> None:
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(standing_doc()), encoding="utf-8")
    assert parse_openpose(path).figures == (standing(),)


# --------------------------------------------------------------------------- bad input


def _person_doc(body: list[Any], **person: Any) -> dict[str, Any]:
    return {
        "canvas_width": 512,
        "canvas_height": 512,
        "people": [{"pose_keypoints_2d": body, **person}],
    }


def _body(**changes: Any) -> list[Any]:
    body: list[Any] = [v for x, y in STANDING_PX for v in (x, y, 1)]
    for index, value in changes.items():
        body[int(index[1:])] = value
    return body


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{nope", "not valid JSON"),
        ('{"people": [}', "not valid JSON (Expecting value at line 1 column 13)"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("[1, 2]", "the JSON is a list, not an object"),
        ('"people"', "the JSON is a str, not an object"),
        ({"canvas_width": 512, "canvas_height": 512}, "no 'people' list"),
        ({"people": {"a": 1}}, "no 'people' list"),
        (
            {"people": [{"pose_keypoints_2d": [0.5, 0.5, 1]} for _ in range(200)]},
            "200 people; at most 16",
        ),
        ({"people": ["x"]}, "person 1 is not an object"),
        ({"people": [{}]}, "person 1: no 'pose_keypoints_2d'"),
        (
            _person_doc(_body()[:51]),
            "person 1: pose_keypoints_2d has 51 values, expected 54 (18 joints × x,y,confidence)",
        ),
        (
            _person_doc(_body(v7="abc")),
            "point 'right_shoulder' has the value 'abc', which is not a number",
        ),
        (_person_doc(_body(v7=True)), "which is not a number"),
        (_person_doc(_body(), label=5), "'label' must be text"),
        (_person_doc(_body(v5=1.5)), "point 'neck' has confidence 1.5; it must be between 0 and 1"),
        (_person_doc(_body(v5=-0.1)), "confidence -0.1"),
        (
            _person_doc(_body(v12=1600)),
            "point 'right_wrist' lies at (1600, 280) px, more than one canvas outside the 512×512",
        ),
        (_person_doc(_body(v13=-600)), "lies at (194, -600) px"),
        (
            {"coordinates": "normalized", "people": [{"pose_keypoints_2d": [0.5, 2.5, 1] * 18}]},
            "point 'nose' lies at (0.5, 2.5) of the canvas, more than one canvas outside it.",
        ),
        (
            {**_person_doc(_body()), "canvas_width": 0},
            "canvas_width is 0; it must be between 1 and 16384",
        ),
        ({**_person_doc(_body()), "canvas_height": 20000}, "canvas_height is 20000"),
        ({**_person_doc(_body()), "canvas_width": "512"}, "whole number of pixels"),
        ({**_person_doc(_body()), "canvas_width": 512.5}, "whole number of pixels"),
        ({"canvas_width": 512, "people": []}, "must be given together"),
        ({"people": [{"pose_keypoints_2d": _body()}]}, "no canvas_width/canvas_height"),
        ({**_person_doc(_body()), "coordinates": "inches"}, "'coordinates' is 'inches'"),
        (
            _person_doc(_body(), hand_left_keypoints_2d=[1, 2]),
            "hand_left_keypoints_2d has 2 values, not a multiple of 3",
        ),
    ],
)
def test_bad_pose_json_is_refused_with_the_problem(source: Any, problem: str) -> None:
    with pytest.raises(PoseError) as err:
        parse_openpose(source)
    assert problem in str(err.value)
    assert str(err.value).startswith("Pose JSON: ")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused(literal: str) -> None:
    text = json.dumps(_person_doc(_body())).replace("138, 1", f"{literal}, 1", 1)
    with pytest.raises(
        PoseError, match=r"person 1: pose_keypoints_2d point 'right_shoulder' is -?(nan|inf)"
    ):
        parse_openpose(text)


def test_non_finite_extras_are_refused() -> None:
    with pytest.raises(PoseError, match="person_id value 1 is nan"):
        parse_openpose(_person_doc(_body(), person_id=[float("nan")]))


def test_absurdly_large_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b"[" * (6 * 1024 * 1024))  # would also be "nested too deeply" if parsed
    with pytest.raises(PoseError) as err:
        parse_openpose(path)
    assert str(err.value) == f"Pose file {path}: the file is 6.0 MB; pose files are at most 5 MB."
    with pytest.raises(PoseError, match="at most 5 MB"):
        parse_openpose(path.read_bytes())
    with pytest.raises(PoseError, match="at most 5 MB"):
        parse_openpose(" " * (6 * 1024 * 1024))


def test_missing_file_and_deep_nesting() -> None:
    with pytest.raises(PoseError, match="cannot be read"):
        parse_openpose(Path("/nonexistent/pose.json"))
    with pytest.raises(PoseError, match="nested deeper than 64 levels"):
        parse_openpose("[" * 100_000 + "]" * 100_000)
    # Under the interpreter's recursion limit, but still too deep for anything after it.
    deep = {"people": [{"pose_keypoints_2d": [0.5, 0.5, 1.0] * 18, "extra": [[[]]]}]}
    for _ in range(100):
        deep = {"people": [deep]}
    with pytest.raises(PoseError, match="nested deeper than 64 levels"):
        parse_openpose(json.dumps(deep))
    with pytest.raises(PoseError, match="nested deeper than 64 levels"):
        parse_openpose(deep)


def test_figures_and_poses_validate_themselves() -> None:
    with pytest.raises(PoseError, match="needs 18 joints, got 17"):
        Figure(standing().keypoints[:17])
    with pytest.raises(PoseError, match="17 people"):
        Pose((standing(),) * 17, 512, 512)
    with pytest.raises(PoseError, match="canvas_width is -5"):
        Pose((), -5, 512)
    with pytest.raises(PoseError, match="reserved"):
        Figure(standing().keypoints, extras=(("pose_keypoints_2d", ()),))


# --------------------------------------------------------------------------- fingerprint


def test_fingerprint_is_stable_and_tracks_the_drawing() -> None:
    pose = Pose((standing(),), 512, 512)
    assert pose_fingerprint(pose) == pose_fingerprint(parse_openpose(to_openpose(pose)))
    # pinned: a change of the canonical form would mark every posed frame of every project stale
    assert pose_fingerprint(pose) == (
        "3847a77d06151030c053dd20deedf273ba9a4169110907bcb99d84936649b8a4"
    )
    assert pose_fingerprint(None) == ""
    moved = Pose((set_joint(standing(), 4, 0.3, 0.6),), 512, 512)
    assert pose_fingerprint(moved) != pose_fingerprint(pose)
    assert pose_fingerprint(Pose((standing("Ava"),), 512, 512)) == pose_fingerprint(pose)
    assert pose_fingerprint(Pose((standing(),), 512, 768)) != pose_fingerprint(pose)


# --------------------------------------------------------------------------- rendering


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_render_is_deterministic_rgb_on_black() -> None:
    pose = Pose((standing(),), 512, 512)
    first, second = render_control_image(pose, 512, 512), render_control_image(pose, 512, 512)
    assert first.mode == "RGB" and first.size == (512, 512)
    assert _png(first) == _png(second)
    assert first.getpixel((5, 5)) == (0, 0, 0)


def test_joints_in_full_colour_and_limbs_at_sixty_percent() -> None:
    image = render_control_image(Pose((standing(),), 512, 512), 512, 512)
    for j in range(18):
        if j in (14, 15, 16, 17, 0):  # the face joints are close together: checked below
            continue
        assert image.getpixel(STANDING_PX[j]) == COLOURS[j], JOINT_NAMES[j]
    assert image.getpixel(STANDING_PX[17]) == COLOURS[17]  # drawn last, on top
    for limb, (a, b) in enumerate(LIMBS[:12]):  # the long body limbs
        mid = (
            (STANDING_PX[a][0] + STANDING_PX[b][0]) // 2,
            (STANDING_PX[a][1] + STANDING_PX[b][1]) // 2,
        )
        assert image.getpixel(mid) == tuple(int(c * 0.6) for c in COLOURS[limb]), limb


def test_stroke_scales_with_the_image() -> None:
    pose = Pose((standing(),), 512, 512)
    small = render_control_image(pose, 512, 512)
    large = render_control_image(pose, 1024, 1024)
    neck_large = (512, 270)
    assert large.getpixel((neck_large[0] + 7, neck_large[1])) == COLOURS[1]  # radius 8 at 1024
    assert small.getpixel((256 + 7, 135)) != COLOURS[1]  # radius 4 at 512
    tiny = render_control_image(pose, 64, 64)
    assert tiny.getpixel((32, 17)) == COLOURS[1]


def test_canvas_is_fitted_keeping_proportions() -> None:
    fig = Figure(tuple((0.5, 0.5, 1.0) if j == 1 else (0.0, 0.0, 0.0) for j in range(18)))
    image = render_control_image(Pose((fig,), 512, 512), 1024, 512)
    assert image.getpixel((512, 256)) == COLOURS[1]
    corner = Figure(tuple((0.0, 0.0, 1.0) if j == 1 else (0.0, 0.0, 0.0) for j in range(18)))
    image = render_control_image(Pose((corner,), 512, 512), 1024, 512)
    assert image.getpixel((256, 0)) == COLOURS[1]
    assert image.getpixel((0, 0)) == (0, 0, 0)


def test_hidden_joints_and_their_limbs_are_not_drawn() -> None:
    full = render_control_image(Pose((standing(),), 512, 512), 512, 512)
    hidden = render_control_image(
        Pose((set_joint_visible(standing(), 4, False),), 512, 512), 512, 512
    )
    forearm_mid = (196, 246)
    assert full.getpixel(forearm_mid) == tuple(int(c * 0.6) for c in COLOURS[3])
    assert hidden.getpixel(forearm_mid) == (0, 0, 0)
    assert hidden.getpixel(STANDING_PX[4]) == (0, 0, 0)
    assert COLOURS[4] not in {c for _, c in hidden.getcolors(512 * 512)}
    assert hidden.getpixel((0, 0)) == (0, 0, 0)  # nothing at the hidden joint's stored (0, 0)


def test_render_refuses_absurd_sizes() -> None:
    with pytest.raises(PoseError, match="width 0"):
        render_control_image(Pose(()), 0, 512)


# --------------------------------------------------------------------------- edits


def test_mirror_twice_is_identity() -> None:
    rng = random.Random(7)
    for _ in range(300):
        fig = random_figure(rng)
        assert mirror_figure(mirror_figure(fig)) == fig


def test_mirror_swaps_sides_so_a_raised_right_arm_becomes_a_raised_left_arm() -> None:
    raised = set_joint(set_joint(standing("Ava"), 3, 0.30, 0.20), 4, 0.32, 0.08)
    mirrored = mirror_figure(raised)
    left, top, right, bottom = figure_bounds(raised)  # type: ignore[misc]
    assert figure_bounds(mirrored) == (left, top, right, bottom)
    wrist_x, wrist_y, _ = raised.keypoints[4]
    assert mirrored.keypoints[7] == (left + right - wrist_x, wrist_y, 1.0)  # now the left wrist
    assert mirrored.keypoints[4][1] == raised.keypoints[7][1]  # the right wrist hangs low
    assert mirrored.label == "Ava"
    assert all(MIRROR_PARTNER[MIRROR_PARTNER[j]] == j for j in range(18))


def test_mirror_swaps_hand_arrays() -> None:
    hand = tuple(v for _ in range(21) for v in (0.4, 0.5, 1.0))
    fig = Figure(
        standing().keypoints, extras=(("hand_left_keypoints_2d", hand), ("person_id", (-1.0,)))
    )
    mirrored = mirror_figure(fig)
    assert [name for name, _ in mirrored.extras] == ["hand_right_keypoints_2d", "person_id"]
    assert mirror_figure(mirrored) == fig


def test_translate_moves_visible_points_and_stops_at_the_margin() -> None:
    fig = set_joint_visible(standing(), 0, False)
    moved = translate_figure(fig, 0.25, -0.125)
    assert moved.keypoints[1] == (0.5 + 0.25, 135 / 512 - 0.125, 1.0)
    assert moved.keypoints[0] == (0.0, 0.0, 0.0)
    far = translate_figure(fig, 50.0, 0.0)
    assert figure_bounds(far)[2] == 2.0  # type: ignore[index]


def test_scale_and_rotate() -> None:
    fig = standing()
    left, top, right, bottom = figure_bounds(fig)  # type: ignore[misc]
    half = scale_figure(fig, 0.5)
    assert figure_bounds(half) == pytest.approx(
        (
            (3 * left + right) / 4,
            (3 * top + bottom) / 4,
            (left + 3 * right) / 4,
            (top + 3 * bottom) / 4,
        ),
        abs=1e-6,
    )
    with pytest.raises(PoseError, match="more than one canvas outside"):
        scale_figure(fig, 20.0)
    with pytest.raises(PoseError, match="positive"):
        scale_figure(fig, 0.0)
    turned = rotate_figure(fig, 90, centre=(0.5, 0.5))
    x, y, _ = turned.keypoints[1]  # the neck, above the centre, goes to its right (clockwise)
    assert (x, y) == pytest.approx((0.5 + (0.5 - 135 / 512), 0.5), abs=1e-6)
    wide = rotate_figure(fig, 90, centre=(0.5, 0.5), aspect=2.0)
    x, y, _ = wide.keypoints[1]  # rigid in pixels on a 2:1 canvas
    assert (x, y) == pytest.approx((0.5 + (0.5 - 135 / 512) / 2, 0.5), abs=1e-6)


def test_set_joint_and_visibility() -> None:
    fig = standing()
    assert set_joint(fig, 4, 5.0, -3.0).keypoints[4] == (2.0, -1.0, 1.0)
    hidden = set_joint_visible(fig, 4, False)
    assert hidden.keypoints[4] == (0.0, 0.0, 0.0)
    shown = set_joint_visible(hidden, 4, True)
    left, top, right, bottom = figure_bounds(hidden)  # type: ignore[misc]
    assert shown.keypoints[4] == ((left + right) / 2, (top + bottom) / 2, 1.0)
    assert set_joint_visible(hidden, 4, True, (0.25, 0.75)).keypoints[4] == (0.25, 0.75, 1.0)
    assert set_joint_visible(fig, 4, True) is fig
    with pytest.raises(PoseError, match="out of range"):
        set_joint(fig, 18, 0.5, 0.5)
    empty = Figure(((0.0, 0.0, 0.0),) * 18)
    assert figure_bounds(empty) is None
    assert set_joint_visible(empty, 1, True).keypoints[1] == (0.5, 0.5, 1.0)
    assert mirror_figure(empty) == empty and translate_figure(empty, 1, 1) == empty


# --------------------------------------------------------------------------- presets


def test_presets_load_and_render() -> None:
    presets = load_pose_presets()
    assert len(presets) >= 12
    assert {"Standing", "Walking", "Running", "Sitting", "Pointing", "Waving"} <= set(presets)
    assert any(len(p.figures) == 2 for p in presets.values())
    for name, pose in presets.items():
        assert (pose.canvas_width, pose.canvas_height) == (512, 512), name
        assert pose.figures and all(sum(f.visible) >= 14 for f in pose.figures), name
        image = render_control_image(pose, 512, 512)
        assert image.getbbox() is not None, name
        left, top, right, bottom = image.getbbox()
        assert right - left > 60 and bottom - top > 60, name  # a body, not a speck
        assert parse_openpose(to_openpose(pose)) == pose


def test_bad_preset_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({**standing_doc(), "name": "A"}), encoding="utf-8")
    (tmp_path / "b.json").write_text("{", encoding="utf-8")
    with pytest.raises(PoseError, match=r"Pose preset .*b\.json: not valid JSON"):
        load_pose_presets(tmp_path)
    (tmp_path / "b.json").write_text(json.dumps(standing_doc()), encoding="utf-8")
    assert list(load_pose_presets(tmp_path)) == ["A", "b"]
    (tmp_path / "c.json").write_text(json.dumps({**standing_doc(), "name": "A"}), encoding="utf-8")
    with pytest.raises(PoseError, match="used twice"):
        load_pose_presets(tmp_path)


def test_engine_api_uses_this_pose() -> None:
    from engine.api import FrameJob

    job = FrameJob("f1", "a cat", seed=1, pose=Pose((standing(),)))
    assert job.pose is not None and math.isclose(job.pose.figures[0].keypoints[1][0], 0.5)
