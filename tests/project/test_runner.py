"""The runner: passes planned from project state, committed frame by frame, resumed exactly."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from engine.api import CancelToken, EventKind, RuntimeSettings, scale_for_round
from engine.story_iter import StoryIterEngine
from storyboard_app.project import runner
from storyboard_app.project.store import ProjectStore

STORY = """
@Ada: a tall woman in a blue raincoat
@Ada | opening an umbrella | on a rainy street | It started to rain.
@Ada | running | across a square | She ran.
@Ada | laughing | under an awning | And laughed.
@Ada | waving goodbye | at a tram stop | Goodbye!
"""


@pytest.fixture(scope="module")
def engine(preview_models) -> StoryIterEngine:
    return StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=2))


@pytest.fixture
def project(tmp_path) -> ProjectStore:
    store = ProjectStore.create(tmp_path / "story.storyiter", title="Rain")
    store.import_story_text(STORY)
    store.update_story(
        settings=replace(store.settings(), width=64, height=64, steps=3, rounds=4, seed=99)
    )
    yield store
    store.close()


def _pixels(store: ProjectStore, image_id: int) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(store.image_png(image_id))), np.int16)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return int(np.abs(a - b).max()) <= 1


def test_render_runs_round0_then_iterations_with_every_frame_as_reference(project, engine):
    outcomes = runner.render(project, engine, rounds=2)
    assert [o.kind for o in outcomes] == ["round0", "iterate", "iterate"]
    assert all(o.status == "complete" for o in outcomes)
    frames = project.frames()
    for frame in frames:
        history = project.images_of_frame(frame.id)
        assert [i.round for i in history] == [0, 1, 2]
        assert [i.ip_scale for i in history] == pytest.approx(
            [0.0, scale_for_round(1, 4), scale_for_round(2, 4)]
        )
    second = project.pass_info(outcomes[2].pass_id)
    round1 = {i.frame_id: i.id for i in project.images_of_pass(outcomes[1].pass_id)}
    assert second.reference_image_ids == tuple(round1[f.id] for f in frames)
    record = project.image_info(project.current_image_id(frames[0].id)).record
    assert record["reference_ids"] == [str(i) for i in second.reference_image_ids]
    assert record["prompt"] == project.compiled_prompt(frames[0])


def test_selective_reiteration_equals_the_same_frames_of_a_full_pass(project, engine, tmp_path):
    runner.render(project, engine, rounds=0)
    copy = ProjectStore.open(project.save_as(tmp_path / "copy.storyiter"))
    try:
        full = runner.run_pass(project, engine, runner.plan_iterate(project))
        frames = copy.frames()
        chosen = [frames[1].id, frames[3].id]
        subset = runner.run_pass(copy, engine, runner.plan_iterate(copy, chosen))
        assert full.status == subset.status == "complete"
        assert len(subset.image_ids) == 2
        full_by_frame = {project.image_info(i).frame_id: i for i in full.image_ids}
        for image_id in subset.image_ids:
            frame_id = copy.image_info(image_id).frame_id
            assert frame_id in chosen
            assert _same(_pixels(copy, image_id), _pixels(project, full_by_frame[frame_id]))
    finally:
        copy.close()


def test_cancel_keeps_committed_frames_and_resume_equals_uninterrupted(project, engine, tmp_path):
    runner.render(project, engine, rounds=0)
    copy = ProjectStore.open(project.save_as(tmp_path / "copy.storyiter"))
    try:
        cancel = CancelToken()
        frames = project.frames()
        second_batch = (str(frames[2].id), str(frames[3].id))

        def stop_in_second_batch(event):
            if event.kind == EventKind.STEP and event.frame_ids == second_batch:
                cancel.cancel()

        plan = runner.plan_iterate(project)
        cancelled = runner.run_pass(
            project, engine, plan, cancel=cancel, on_progress=stop_in_second_batch
        )
        assert cancelled.status == "cancelled"
        assert len(cancelled.image_ids) == 2
        assert project.pass_info(cancelled.pass_id).status == "cancelled"

        # the writer edits a card meanwhile: resume still draws what the pass recorded
        project.update_frame(project.frames()[3].id, scene="on the moon")
        resumed = runner.render(project, engine, resume=True)
        assert [o.status for o in resumed] == ["complete"]
        assert resumed[0].pass_id == cancelled.pass_id
        assert len(project.images_of_pass(cancelled.pass_id)) == 4

        uninterrupted = runner.run_pass(copy, engine, runner.plan_iterate(copy))
        ours = {i.frame_id: i for i in project.images_of_pass(cancelled.pass_id)}
        for image_id in (i.id for i in copy.images_of_pass(uninterrupted.pass_id)):
            frame_id = copy.image_info(image_id).frame_id
            assert _same(_pixels(copy, image_id), _pixels(project, ours[frame_id].id))
    finally:
        copy.close()


def test_a_pass_interrupted_by_a_crash_is_resumable(project, engine, tmp_path):
    runner.render(project, engine, rounds=0)
    plan = runner.plan_iterate(project)
    pass_id = project.begin_pass(
        plan.kind, plan.frame_ids, plan.reference_image_ids, plan.settings_record()
    )
    path = project.path
    project.close()  # the process "dies" with the pass still running
    with ProjectStore.open(path) as reopened:
        assert reopened.pass_info(pass_id).status == "interrupted"
        outcomes = runner.render(reopened, engine, resume=True)
        assert outcomes[0].pass_id == pass_id and outcomes[0].status == "complete"
        assert len(reopened.images_of_pass(pass_id)) == 4


def test_stale_frames_alone_are_redrawn(project, engine):
    runner.render(project, engine, rounds=1)
    frames = project.frames()
    assert not project.stale_frame_ids()
    project.update_frame(frames[2].id, interaction="crying")
    assert project.stale_frame_ids() == [frames[2].id]
    outcomes = runner.render(project, engine, stale=True)
    assert len(outcomes) == 1 and outcomes[0].kind == "stale"
    assert [project.image_info(i).frame_id for i in outcomes[0].image_ids] == [frames[2].id]
    assert not project.stale_frame_ids()
    with pytest.raises(runner.NothingToDoError):
        runner.render(project, engine, stale=True)


def test_locked_frames_are_references_but_not_redrawn(project, engine):
    runner.render(project, engine, rounds=0)
    frames = project.frames()
    project.update_frame(frames[0].id, locked=True)
    outcome = runner.run_pass(project, engine, runner.plan_iterate(project))
    drawn = {project.image_info(i).frame_id for i in outcome.image_ids}
    assert drawn == {f.id for f in frames[1:]}
    refs = project.pass_info(outcome.pass_id).reference_image_ids
    assert project.images_of_frame(frames[0].id)[0].id in refs


def test_choosing_an_image_changes_the_next_reference_set(project, engine):
    runner.render(project, engine, rounds=1)
    frame = project.frames()[0]
    first = project.images_of_frame(frame.id)[0]
    project.choose_image(frame.id, first.id)
    plan = runner.plan_iterate(project)
    assert plan.reference_image_ids[0] == first.id
    assert next(j for j in plan.jobs if j.frame_id == frame.id).round == 2


def test_engine_failure_marks_the_pass_failed_and_keeps_the_project(
    project, preview_models, tmp_path
):
    import shutil

    broken = tmp_path / "models"
    shutil.copytree(preview_models.base.parent, broken)
    from engine.api import ModelPaths

    paths = ModelPaths.from_models_dir(broken)
    shutil.rmtree(paths.image_encoder)
    engine = StoryIterEngine(paths, RuntimeSettings(device="cpu"))
    outcomes = runner.render(project, engine, rounds=1)
    assert outcomes[0].status == "failed"
    assert "image encoder" in outcomes[0].error
    assert project.pass_info(outcomes[0].pass_id).status == "failed"
    assert len(project.frames()) == 4
    # once the models are back, the failed pass resumes
    good = StoryIterEngine(preview_models, RuntimeSettings(device="cpu"))
    resumed = runner.render(project, good, resume=True)
    assert resumed[0].pass_id == outcomes[0].pass_id and resumed[0].status == "complete"
    assert len(project.images_of_pass(outcomes[0].pass_id)) == 4
