"""Export of a real project: the demo story after 2 rounds on preview models, read back with
poppler's tools."""

from __future__ import annotations

import json

import pytest

from engine.api import RuntimeSettings
from engine.story_iter import StoryIterEngine
from storyboard_app.demo import build_demo_project
from storyboard_app.export import ExportOptions, export_pdf, export_poses
from storyboard_app.export.board import ExportError
from storyboard_app.export.from_project import board_from_project
from storyboard_app.project import runner
from storyboard_app.project.store import ProjectStore
from tests.export import poppler as pdf


@pytest.fixture(scope="module")
def demo(preview_models, tmp_path_factory):
    path = build_demo_project(
        tmp_path_factory.mktemp("demo") / "demo.storyiter", width=64, height=64, steps=2
    )
    with ProjectStore.open(path) as store:
        engine = StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=9))
        outcomes = runner.render(store, engine, rounds=2)
        assert [o.status for o in outcomes] == ["complete"] * 3
    return path


@pytest.mark.parametrize("layout", ["comic", "film"])
def test_demo_project_exports_every_caption_label_and_image(demo, tmp_path, poppler, layout):
    with ProjectStore.open_reader(demo) as store:
        board = board_from_project(store, "round:1")
        frames = store.frames()
    options = ExportOptions(layout=layout, panels_per_page=3, columns=3, rows=3)
    out = tmp_path / f"demo-{layout}.pdf"
    report = export_pdf(board, options, out)
    assert pdf.page_count(out) == report.pages == (1 if layout == "comic" else 3)
    assert pdf.page_sizes(out)[0] == pytest.approx((595, 842), abs=1)
    words = pdf.words(out)
    for frame in frames:
        first_words = " ".join(frame.caption.split()[:3])
        assert first_words in words, first_words
    if layout == "film":
        for frame in frames:
            assert f" {frame.shot_label} " in f" {words} "
    assert len([i for i in pdf.images(out) if i.width > 8]) == len(frames)


def test_round_choice_selects_that_rounds_images(demo):
    with ProjectStore.open_reader(demo) as store:
        first = store.frames()[0]
        by_round = {i.round: i.id for i in store.images_of_frame(first.id)}
        for choice, rnd in (("round:0", 0), ("round:2", 2), ("latest", 2), ("chosen", 2)):
            panel = board_from_project(store, choice).panels[0]
            assert panel.image_png == store.image_png(by_round[rnd]), choice
        with pytest.raises(ExportError, match=r"no round 7.*round 0, round 1, round 2"):
            board_from_project(store, "round:7")
        with pytest.raises(ExportError, match="round:N"):
            board_from_project(store, "round:x")


def test_posed_frames_export_as_openpose_json(demo, tmp_path):
    with ProjectStore.open_reader(demo) as store:
        board = board_from_project(store)
        posed = [f for f in store.frames() if f.pose_json]
    written = export_poses(board, tmp_path / "poses")
    assert len(written) == len(posed) == 2
    for path in written:
        data = json.loads(path.read_text())
        assert data["people"] and len(data["people"][0]["pose_keypoints_2d"]) == 54


def test_action_prints_cast_names_without_mention_markup(tmp_path):
    with ProjectStore.create(tmp_path / "cast.storyiter", title="Cast") as store:
        store.add_cast_member("Mara", "a lighthouse keeper with copper hair")
        store.add_frame(character="@Mara and @mara's dog", interaction="waves", scene="@Nobody")
        panel = board_from_project(store).panels[0]
    assert panel.action == "Mara and Mara's dog, waves, @Nobody"
