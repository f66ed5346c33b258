"""The pose sketch editor: mouse and keyboard edits, exact undo, JSON in and out, bad input.

Run as a module (``python -m tests.ui.test_pose_editor``) to redraw
docs/screenshots/pose-editor.png.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from engine.pose import (
    JOINT_COUNT,
    Pose,
    load_pose_presets,
    parse_openpose,
    render_control_image,
)
from engine.pose_edit import (
    figure_bounds,
    mirror_figure,
    refit_figure,
    translate_figure,
)
from storyboard_app.ui.pose.document import add_figures, pose_to_text
from storyboard_app.ui.pose.editor import PoseEditor

CAST = {"Mira": "#e8a33d", "Old Tom": "#4a8fe7", "The Stranger": "#c2185b"}
W, H = 768, 512
RIGHT_WRIST, LEFT_ELBOW = 4, 6
PRESETS = load_pose_presets()


def pose_of(*names: str, frame: tuple[int, int] = (W, H), cast=CAST) -> Pose:
    pose = None
    for name in names:
        pose = add_figures(pose, PRESETS[name], frame, list(cast))
    assert pose is not None
    return pose


def frame_png(width: int = W, height: int = H) -> bytes:
    """A soft painted-looking frame: dusk sky, a far hill, a doorway, a lantern's glow."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        sky = (int(46 + 160 * t), int(58 + 84 * t), int(104 - 10 * t))
        draw.line([(0, y), (width, y)], fill=sky)
    draw.ellipse((-0.3 * width, 0.7 * height, 0.7 * width, 1.5 * height), fill=(52, 58, 66))
    draw.ellipse((0.3 * width, 0.76 * height, 1.4 * width, 1.6 * height), fill=(34, 38, 40))
    draw.rectangle((0.06 * width, 0.3 * height, 0.2 * width, 0.86 * height), fill=(58, 50, 56))
    draw.rectangle((0.1 * width, 0.52 * height, 0.16 * width, 0.86 * height), fill=(200, 150, 80))
    image = image.filter(ImageFilter.GaussianBlur(5))
    glow = Image.new("L", (width, height))
    cx, cy, r = 0.86 * width, 0.3 * height, 0.09 * height
    ImageDraw.Draw(glow).ellipse((cx - r, cy - r, cx + r, cy + r), fill=255)
    glow = glow.filter(ImageFilter.GaussianBlur(r * 0.8))
    image = Image.composite(Image.new("RGB", (width, height), (255, 214, 140)), image, glow)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def qimage_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


@pytest.fixture
def editor(qtbot):
    widget = PoseEditor()
    qtbot.addWidget(widget)
    widget.resize(900, 640)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def emitted(editor):
    seen: list[str | None] = []
    editor.poseEdited.connect(seen.append)
    return seen


def load(editor, pose: Pose | None, **kwargs):
    text = pose_to_text(pose)
    editor.set_frame(text, W, H, CAST, kwargs.pop("onion", None), **kwargs)
    return text


def device_point(editor, figure: int, joint: int) -> QPoint:
    canvas = editor.canvas
    x, y, _ = canvas.shown_pose.figures[figure].keypoints[joint]
    return canvas.viewportTransform().map(QPointF(*canvas.fit.to_frame(x, y))).toPoint()


def drag(qtbot, editor, start: QPoint, end: QPoint, steps: int = 6, modifier=None) -> None:
    viewport = editor.canvas.viewport()
    mods = modifier or Qt.KeyboardModifier.NoModifier
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, mods, start)
    for i in range(1, steps + 1):
        t = i / steps
        at = QPoint(
            round(start.x() + (end.x() - start.x()) * t),
            round(start.y() + (end.y() - start.y()) * t),
        )
        qtbot.mouseMove(viewport, at)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, mods, end)


def frame_point(editor, device: QPoint) -> tuple[float, float]:
    p = editor.canvas.mapToScene(device)
    return p.x(), p.y()


# --------------------------------------------------------------------------- mouse edits


def test_dragging_a_joint_puts_it_at_the_drop_point_as_one_undo_step(qtbot, editor, emitted):
    load(editor, pose_of("Standing"))
    start = device_point(editor, 0, RIGHT_WRIST)
    end = start + QPoint(-90, 40)
    drag(qtbot, editor, start, end)
    assert len(emitted) == 1
    x, y, c = parse_openpose(emitted[0]).figures[0].keypoints[RIGHT_WRIST]
    dx, dy = frame_point(editor, end)
    assert abs(x * W - dx) <= 1 and abs(y * H - dy) <= 1 and c > 0
    assert editor.pose_json() == emitted[0]
    assert editor.undo_stack().count() == 1
    assert editor.undo_stack().undoText() == "Move right wrist of Mira"


def test_dragging_the_body_moves_the_whole_figure_and_handles_scale_and_rotate(qtbot, editor):
    before = pose_of("Standing")
    load(editor, before)
    neck, hip = device_point(editor, 0, 1), device_point(editor, 0, 8)
    on_body = (neck + hip) / 2
    drag(qtbot, editor, on_body, on_body + QPoint(60, 0))
    moved = editor.pose().figures[0]
    shift = editor.canvas.mapToScene(QPoint(60, 0)).x() - editor.canvas.mapToScene(QPoint()).x()
    for (x0, y0, _), (x1, y1, _) in zip(before.figures[0].keypoints, moved.keypoints):
        assert abs((x1 - x0) * W - shift) <= 1 and y1 == y0
    box = editor.canvas.layout().box(moved)
    drag(qtbot, editor, box.bottomRight().toPoint(), box.bottomRight().toPoint() + QPoint(40, 40))
    scaled = editor.pose().figures[0]
    assert _height(scaled) > _height(moved) * 1.05
    box = editor.canvas.layout().box(scaled)
    handle = editor.canvas.layout().rotate_handle(box).toPoint()
    centre = box.center().toPoint()
    drag(qtbot, editor, handle, centre + QPoint(0, handle.x() - centre.x()))  # 90° clockwise
    turned = editor.pose().figures[0]
    assert _height(turned) < _height(scaled) * 0.8  # lying on its side now
    assert _lengths(turned) == pytest.approx(_lengths(scaled), abs=1e-3)  # rigid on 3:2 too
    assert editor.undo_stack().count() == 3
    for _ in range(3):
        editor.undo_stack().undo()
    assert editor.pose_json() == pose_to_text(before)


def _height(fig) -> float:
    _, top, _, bottom = figure_bounds(fig)
    return (bottom - top) * H


def _lengths(fig) -> list[float]:
    pts = [(x * W, y * H) for x, y, c in fig.keypoints if c > 0]
    return [math.dist(pts[0], p) for p in pts[1:]]


def test_clicking_selects_and_keys_hide_nudge_and_delete(qtbot, editor, emitted):
    load(editor, pose_of("Standing", "Walking"))
    qtbot.mouseClick(
        editor.canvas.viewport(), Qt.MouseButton.LeftButton, pos=device_point(editor, 1, 6)
    )
    assert (editor.canvas.selected_figure, editor.canvas.selected_joint) == (1, LEFT_ELBOW)
    editor.controls.actions["hide_joint"].trigger()
    assert editor.pose().figures[1].keypoints[LEFT_ELBOW] == (0.0, 0.0, 0.0)
    assert parse_openpose(emitted[-1]).figures[1].keypoints[LEFT_ELBOW][2] == 0
    editor.canvas.select(1, 1)
    x0 = editor.pose().figures[1].keypoints[1][0]
    for _ in range(3):
        qtbot.keyClick(editor.canvas, Qt.Key.Key_Right)
    assert editor.pose().figures[1].keypoints[1][0] * W == pytest.approx(x0 * W + 3, abs=0.01)
    assert editor.undo_stack().count() == 2  # the three nudges merged into one step
    editor.controls.actions["delete"].trigger()
    assert len(editor.pose().figures) == 1 and editor.pose().figures[0].label == "Mira"
    assert len(emitted) == 5  # hide, three nudges, delete
    editor.undo_stack().undo()
    assert len(editor.pose().figures) == 2


# --------------------------------------------------------------------------- exact undo


def test_mirror_and_undo_are_exact_byte_for_byte(editor, emitted):
    stored = load(editor, pose_of("Pointing", "Waving"))
    editor.canvas.select(0)
    assert editor.mirror_selected()
    mirrored = editor.pose_json()
    assert mirrored != stored
    editor.undo_stack().undo()
    assert editor.pose_json() == stored and emitted[-1] == stored
    editor.undo_stack().redo()
    assert editor.pose_json() == mirrored
    editor.canvas.select(1)
    editor.rotate_selected(5)
    before = editor.pose_json()
    editor.canvas.select(1)
    editor.mirror_selected()
    editor.mirror_selected()
    assert editor.pose_json() == before  # mirroring twice is the identity, too
    editor.undo_stack().undo()
    editor.undo_stack().undo()
    assert editor.pose_json() == before


def test_stored_text_is_returned_untouched_until_edited(editor, emitted):
    text = json.dumps(json.loads(pose_to_text(pose_of("Running"))), indent=3)
    editor.set_frame(text, W, H, CAST, None)
    assert editor.pose_json() == text and not emitted
    editor.canvas.select(0)
    editor.scale_selected(1.05)
    editor.undo_stack().undo()
    assert editor.pose_json() == text == emitted[-1]


# --------------------------------------------------------------------------- JSON in and out


def _person(body_offset: float) -> dict:
    body = []
    for j in range(JOINT_COUNT):
        body += [100.5 + 10 * j + body_offset, 80.25 + 15 * j, 0.75 if j % 5 else 1]
    body[3 * 17 : 3 * 17 + 3] = [0, 0, 0]
    return {
        "pose_keypoints_2d": body,
        "hand_left_keypoints_2d": [v for k in range(21) for v in (300.5 + k, 200.25 + k, 0.5)],
        "hand_right_keypoints_2d": [0.0] * 63,
        "face_keypoints_2d": [v for k in range(70) for v in (250 + k / 4, 90 + k / 8, 0.9)],
        "person_id": [-1],
        "label": "Mira",
    }


@pytest.mark.parametrize("canvas", [(512, 512), (W, H)])
def test_json_round_trip_keeps_every_value_including_hands_and_face(editor, tmp_path, canvas):
    doc = {"canvas_width": canvas[0], "canvas_height": canvas[1]}
    doc["people"] = [_person(0), _person(240)]
    source = tmp_path / "in.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    editor.set_frame(None, W, H, CAST, None)
    assert editor.import_file(source)
    assert editor.export_file(tmp_path / "out.json")
    out = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert (out["canvas_width"], out["canvas_height"]) == canvas
    # positions are kept to 1/1,048,576 of the canvas: exact where that grid holds the value
    tolerance = 0 if canvas == (512, 512) else 1e-3
    for person_in, person_out in zip(doc["people"], out["people"], strict=True):
        assert person_out.keys() == person_in.keys()
        for key, values in person_in.items():
            if key.endswith("_keypoints_2d"):
                assert person_out[key][2::3] == values[2::3], key  # confidences exactly
                assert person_out[key] == pytest.approx(values, abs=tolerance, rel=0), key
            else:
                assert person_out[key] == values, key
    assert parse_openpose(editor.pose_json()) == parse_openpose(source)
    # moving the figure moves its hands and face with it, and undo brings every value back
    editor.canvas.select(0)
    editor.canvas.nudge(10, 0)
    moved = json.loads(editor.pose_json())["people"][0]
    assert moved["hand_left_keypoints_2d"][0] == pytest.approx(310.5, abs=1e-2)
    assert moved["face_keypoints_2d"][0] == pytest.approx(260, abs=1e-2)
    editor.undo_stack().undo()
    assert parse_openpose(editor.pose_json()) == parse_openpose(source)


def test_pose_on_another_canvas_is_shown_and_edited_where_the_controlnet_sees_it(qtbot, editor):
    square = add_figures(None, PRESETS["Standing"], (512, 512), [])
    editor.set_frame(pose_to_text(square), W, H, CAST, None)
    fit = editor.canvas.fit
    assert fit.to_frame(0, 0) == (128, 0) and fit.to_frame(1, 1) == (640, 512)
    start = device_point(editor, 0, RIGHT_WRIST)
    drag(qtbot, editor, start, start + QPoint(30, 30))
    pose = editor.pose()
    assert (pose.canvas_width, pose.canvas_height) == (512, 512)
    x, y, _ = pose.figures[0].keypoints[RIGHT_WRIST]
    px, py = frame_point(editor, start + QPoint(30, 30))
    assert abs(128 + x * 512 - px) <= 1 and abs(y * 512 - py) <= 1


def test_refit_places_a_preset_canvas_like_the_control_image_does():
    preset = PRESETS["Waving"]
    fig = preset.figures[0]
    assert refit_figure(fig, (512, 512), (512, 512)) is fig
    wide = refit_figure(fig, (512, 512), (W, H))  # 512 x 512 centred in 768 x 512
    for (x0, y0, c0), (x1, y1, c1) in zip(fig.keypoints, wide.keypoints):
        assert (x1 * W, y1 * H, c1) == pytest.approx((128 + x0 * 512, y0 * 512, c0), abs=1e-3)
    image = np.asarray(render_control_image(Pose((wide,), W, H), W, H))
    assert np.array_equal(image, np.asarray(render_control_image(preset, W, H)))


# --------------------------------------------------------------------------- control image


@pytest.mark.parametrize("canvas", [(W, H), (512, 512)])
def test_control_image_preview_is_the_engine_rendering_pixel_for_pixel(editor, canvas):
    pose = pose_of("Two people talking", "Fighting stance", frame=canvas)
    editor.set_frame(pose_to_text(pose), W, H, CAST, frame_png())
    editor.controls.actions["preview"].trigger()
    shown = qimage_array(editor.canvas.control_image())
    assert np.array_equal(shown, np.asarray(render_control_image(pose, W, H)))
    editor.canvas.select(2)
    editor.mirror_selected()
    shown = qimage_array(editor.canvas.control_image())
    assert np.array_equal(shown, np.asarray(render_control_image(editor.pose(), W, H)))
    editor.clear_pose()
    assert not qimage_array(editor.canvas.control_image()).any()  # no pose: black
    editor.controls.actions["preview"].trigger()
    assert editor.canvas.control_image() is None


# --------------------------------------------------------------------------- bad input

BAD_FILES = {
    "malformed JSON": b'{"people": [{"pose_keypoints_2d": [1, 2,',
    "wrong array length": json.dumps({"people": [{"pose_keypoints_2d": [0.5] * 53}]}).encode(),
    "NaN": b'{"people": [{"pose_keypoints_2d": [NaN' + b", 0.5" * 53 + b"]}]}",
    "infinity": b'{"people": [{"pose_keypoints_2d": [Infinity' + b", 0.5" * 53 + b"]}]}",
    "far outside": json.dumps(
        {
            "canvas_width": 512,
            "canvas_height": 512,
            "people": [{"pose_keypoints_2d": [5000, 5000, 1] + [0] * 51}],
        }
    ).encode(),
    "hundreds of people": json.dumps(
        {"people": [{"pose_keypoints_2d": [0.5, 0.5, 1] * 18}] * 300}
    ).encode(),
    "not UTF-8": b"\xff\xfe\x00{",
    "not OpenPose": b'{"frames": []}',
}
MESSAGES = {
    "malformed JSON": "not valid JSON",
    "wrong array length": "53 values",
    "NaN": "NaN",
    "infinity": "inf",
    "far outside": "outside",
    "hundreds of people": "300 people",
    "not UTF-8": "UTF-8",
    "not OpenPose": "people",
}


def _refused(editor, emitted, before, count, message):
    assert editor.pose_json() == before
    assert not emitted
    assert editor.undo_stack().count() == count
    assert message in editor.error_text()


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_pose_files_are_refused_and_change_nothing(editor, emitted, tmp_path, case):
    before = load(editor, pose_of("Standing"))
    path = tmp_path / "bad.json"
    path.write_bytes(BAD_FILES[case])
    assert not editor.import_file(path)
    _refused(editor, emitted, before, 0, MESSAGES[case])
    # the same text as a neighbour's pose cannot be copied either
    editor.set_frame(before, W, H, CAST, None, neighbours=(BAD_FILES[case].decode("latin-1"), None))
    assert not editor.copy_neighbour("previous")
    _refused(editor, emitted, before, 0, "previous frame")


def test_a_200_mb_file_is_refused_by_its_size_without_reading_it(
    editor, emitted, tmp_path, monkeypatch
):
    before = load(editor, pose_of("Standing"))
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(200 * 2**20)  # sparse: no disk space, no time
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a huge file"))
    assert not editor.import_file(huge)
    _refused(editor, emitted, before, 0, "200.0 MB")


def test_missing_files_folders_and_unwritable_exports_are_reported(editor, emitted, tmp_path):
    before = load(editor, pose_of("Standing"))
    assert not editor.import_file(tmp_path / "nope.json")
    _refused(editor, emitted, before, 0, "cannot be read")
    assert not editor.import_file(tmp_path)
    _refused(editor, emitted, before, 0, "not a regular file")
    assert not editor.export_file(tmp_path / "no-such-folder" / "out.json")
    _refused(editor, emitted, before, 0, "Cannot write")


def test_an_unreadable_stored_pose_is_kept_until_the_writer_edits(editor, emitted):
    editor.set_frame('{"people": [{"pose_keypoints_2d": [1]}]}', W, H, CAST, None)
    assert "stored pose" in editor.error_text() and not emitted
    assert editor.pose_json() == '{"people": [{"pose_keypoints_2d": [1]}]}'
    editor.add_preset("Standing")
    assert len(parse_openpose(editor.pose_json()).figures) == 1 and editor.error_text() == ""


def test_refusals_of_presets_names_and_limits(editor, emitted):
    before = load(editor, pose_of(*["Two people talking"] * 8))  # 16 figures: the limit
    assert not editor.add_preset("Standing")
    _refused(editor, emitted, before, 0, "at most 16")
    assert not editor.add_preset("Moonwalk")
    assert not editor.save_as_preset("Standing")  # a built-in name
    assert not editor.save_as_preset("   ")
    assert not emitted


# --------------------------------------------------------------------------- whole-pose edits


def test_presets_add_figures_for_the_cast_in_order(editor, emitted):
    editor.set_frame(None, W, H, CAST, None)
    items = editor.controls.preset_list
    assert items.count() == len(PRESETS) >= 12
    assert all(not items.item(i).icon().isNull() for i in range(items.count()))
    editor.controls._preset_chosen(items.findItems("Standing", Qt.MatchFlag.MatchExactly)[0])
    assert editor.add_preset("Two people talking")
    pose = parse_openpose(emitted[-1])
    assert [f.label for f in pose.figures] == ["Mira", "Old Tom", "The Stranger"]
    assert (pose.canvas_width, pose.canvas_height) == (W, H)
    assert editor.canvas.selected_figure == 1  # the first new figure
    left, _, right, _ = figure_bounds(pose.figures[0])
    assert 0.3 < (left + right) / 2 < 0.7  # a 1:1 preset is centred in a 3:2 frame
    assert len(emitted) == 2 and editor.undo_stack().count() == 2


def test_assign_cast_member_from_combo_and_menu(editor):
    load(editor, pose_of("Standing", cast={}))
    editor.canvas.select(0)
    box = editor.controls.cast_box
    box.activated.emit(box.findData("Old Tom"))
    assert editor.pose().figures[0].label == "Old Tom"
    menu = editor.controls.context_menu(0, None, (0.5, 0.5))
    stands = next(a.menu() for a in menu.actions() if a.text() == "Stands for")
    next(a for a in stands.actions() if a.text() == "The Stranger").trigger()
    assert editor.pose().figures[0].label == "The Stranger"


def test_hide_and_show_joints_from_the_context_menu(editor):
    load(editor, pose_of("Standing"))
    editor.canvas.select(0, RIGHT_WRIST)
    menu = editor.controls.context_menu(0, RIGHT_WRIST, (0.2, 0.3))
    next(a for a in menu.actions() if a.text() == "Hide right wrist").trigger()
    assert editor.pose().figures[0].keypoints[RIGHT_WRIST][2] == 0
    menu = editor.controls.context_menu(0, None, (0.25, 0.5))
    show = next(a.menu() for a in menu.actions() if a.text() == "Show joint here")
    next(a for a in show.actions() if a.text() == "right wrist").trigger()
    assert editor.pose().figures[0].keypoints[RIGHT_WRIST] == (0.25, 0.5, 1.0)
    editor.set_joint_visible(RIGHT_WRIST, False)
    editor.set_joint_visible(LEFT_ELBOW, False)
    assert editor.show_hidden_joints()
    assert all(c > 0 for _, _, c in editor.pose().figures[0].keypoints[:14])


def test_copy_from_neighbours_and_clear(editor, emitted):
    previous = pose_to_text(pose_of("Sitting"))
    stored = load(editor, pose_of("Standing"), neighbours=(previous, None))
    actions = editor.controls.actions
    assert actions["copy_previous"].isEnabled() and not actions["copy_next"].isEnabled()
    actions["copy_previous"].trigger()
    assert parse_openpose(editor.pose_json()) == parse_openpose(previous)
    assert not editor.copy_neighbour("next") and "no pose" in editor.error_text()
    actions["clear"].trigger()
    assert editor.pose_json() is None and emitted[-1] is None
    assert not actions["clear"].isEnabled()
    editor.undo_stack().undo()
    editor.undo_stack().undo()
    assert editor.pose_json() == stored == emitted[-1]
    assert len(emitted) == 4


def test_deleting_the_last_figure_leaves_no_pose(editor, emitted):
    load(editor, pose_of("Standing"))
    editor.canvas.select(0)
    editor.delete_selected()
    assert editor.pose_json() is None and emitted == [None]


def test_save_as_preset_emits_it_and_offers_it(editor):
    load(editor, pose_of("Kneeling on one knee", "Waving"))
    saved = []
    editor.presetSaved.connect(lambda name, text: saved.append((name, text)))
    assert editor.save_as_preset("  Proposal  ")
    ((name, text),) = saved
    assert name == "Proposal" and json.loads(text)["name"] == "Proposal"
    assert [f.label for f in parse_openpose(text).figures] == ["", ""]  # cast left out
    assert editor.controls.preset_list.findItems("Proposal", Qt.MatchFlag.MatchExactly)
    editor.set_frame(None, W, H, CAST, None, presets={name: text, "Broken": "{"})
    assert editor.add_preset("Proposal") and len(editor.pose().figures) == 2
    assert "Broken" in editor.controls.add_button.toolTip()


def test_set_frame_emits_nothing_resets_history_and_refresh_keeps_it(editor, emitted):
    load(editor, pose_of("Pointing"))
    editor.canvas.select(0)
    editor.mirror_selected()
    assert editor.undo_stack().count() == 1
    editor.set_frame(editor.pose_json(), W, H, CAST, frame_png(), keep_history=True)
    assert editor.undo_stack().count() == 1 and editor.canvas.selected_figure == 0
    editor.set_frame(editor.pose_json(), W, H, CAST, None)
    assert editor.undo_stack().count() == 0 and len(emitted) == 1
    assert not editor.controls.actions["undo"].isEnabled()


def test_onion_skin_shows_the_frame_image_faintly_and_toggles(qtbot, editor):
    load(editor, None, onion=frame_png())
    onion = editor.controls.actions["onion"]
    assert onion.isEnabled() and onion.isChecked()
    centre = editor.canvas.mapFromScene(QPointF(W * 0.86, H * 0.3))
    lit = editor.canvas.viewport().grab().toImage().pixelColor(centre)
    onion.trigger()
    dark = editor.canvas.viewport().grab().toImage().pixelColor(centre)
    assert lit.lightness() > dark.lightness() + 40
    assert lit.lightness() < 200  # faint, not full strength
    editor.set_frame(None, W, H, CAST, b"not a png")
    assert not onion.isEnabled()


def test_shortcuts_work_while_the_editor_has_focus(qtbot, editor):
    load(editor, pose_of("Pointing"))
    editor.activateWindow()
    editor.canvas.setFocus()
    editor.canvas.select(0)
    before = editor.pose_json()
    qtbot.keyClick(editor.canvas, Qt.Key.Key_M)
    assert editor.pose_json() != before
    qtbot.keyClick(editor.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.pose_json() == before


def test_keys_go_to_the_sketch_not_to_the_host_window(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    fired: list[str] = []
    for keys in ("Del", "Ctrl+Z", "Ctrl+S"):
        action = QAction(keys, host)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _c=False, k=keys: fired.append(k))
        host.addAction(action)
    editor = PoseEditor(host)
    QVBoxLayout(host).addWidget(editor)
    host.resize(800, 600)
    host.show()
    qtbot.waitExposed(host)
    load(editor, pose_of("Standing", "Walking"))
    host.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is host)
    editor.canvas.setFocus()
    editor.canvas.select(1)
    qtbot.keyClick(editor.canvas, Qt.Key.Key_Delete)
    assert len(editor.pose().figures) == 1
    qtbot.keyClick(editor.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(editor.pose().figures) == 2
    qtbot.keyClick(editor.canvas, Qt.Key.Key_Delete)  # nothing selected: taken, not passed on
    assert fired == []
    qtbot.keyClick(editor.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert fired == ["Ctrl+S"]  # keys the sketch does not use still reach the window


# --------------------------------------------------------------------------- screenshot


def make_screenshot(path: Path) -> None:
    """Redraw the documentation screenshot: two figures over the frame's onion skin."""
    from PySide6.QtWidgets import QApplication

    from storyboard_app.ui.shared.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)
    editor = PoseEditor()
    frame = (1024, 576)
    tom = translate_figure(pose_of("Arms crossed", frame=frame).figures[0], 0.2, 0.02)
    mira = mirror_figure(pose_of("Pointing", frame=frame).figures[0])
    mira = translate_figure(mira, -0.14 - figure_bounds(mira)[0] + 0.2, 0.0)
    pose = Pose((mira, replace(tom, label="Old Tom")), *frame)
    previous = pose_to_text(pose_of("Two people talking", frame=frame))
    editor.set_frame(
        pose_to_text(pose), *frame, CAST, frame_png(*frame), neighbours=(previous, None)
    )
    editor.resize(1100, 700)
    editor.show()
    editor.canvas.select(0, RIGHT_WRIST)
    app.processEvents()
    editor.grab().save(str(path))


if __name__ == "__main__":
    make_screenshot(
        Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "pose-editor.png"
    )
