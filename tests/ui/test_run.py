"""Iterating from the window through the real engine thread on preview models."""

from __future__ import annotations

import re
import shutil
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from storyboard_app.ui.board.roles import RunStateRole, ThumbnailRole
from tests.ui.conftest import RUN_TIMEOUT_MS, make_project, run_and_wait


def history_rounds(window, frame_id):
    window.history.set_frame(frame_id)
    return [info.round for info in window.history.images]


def test_iterate_all_two_rounds_then_use_an_older_image_as_reference(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=3))
    result = run_and_wait(qtbot, window)
    assert result.status == "complete", result
    assert [p.kind for p in result.passes] == ["round0", "iterate", "iterate"]
    assert not window.controller.busy

    model = window.board.board_model
    model.refresh()
    store = window.session.store
    for row, card in enumerate(model.cards):
        thumbnail = model.index(row).data(ThumbnailRole)
        assert thumbnail is not None and not thumbnail.isNull()
        assert card.latest_round == 2
        assert history_rounds(window, card.frame.id) == [0, 1, 2]
        assert window.history.strip.count() == 3

    # Choose round 1 for the second frame through the history strip.
    frame_id = model.cards[1].frame.id
    window.board.select_frames([frame_id])
    history = window.history
    assert history.frame_id == frame_id
    round1 = next(i.id for i in history.images if i.round == 1)
    latest = store.current_image_id(frame_id)
    history.select_image(round1)
    assert history.use_button.isEnabled()
    qtbot.mouseClick(history.use_button, Qt.MouseButton.LeftButton)
    assert store.current_image_id(frame_id) == round1
    model.refresh()
    assert model.card(frame_id).current_image_id == round1
    assert model.card(frame_id).current_round == 1  # the card says the round it shows
    assert model.card(frame_id).latest_round == 2
    assert window.run_panel.summary.text() == "3 frames · all 2 rounds drawn"

    # The next pass attends to the chosen image, not the frame's latest one.
    window.board.select_frames([model.cards[0].frame.id])
    result = run_and_wait(qtbot, window, "selected")
    assert result.status == "complete"
    info = store.pass_info(result.passes[-1].pass_id)
    assert info.frame_ids == (model.cards[0].frame.id,)
    assert round1 in info.reference_image_ids and latest not in info.reference_image_ids

    # "Use this image" is undoable like any edit.
    window.session.undo()
    assert store.current_image_id(frame_id) == latest


def test_cancel_mid_pass_keeps_committed_images_and_resume_finishes(make_window, qtbot, tmp_path):
    window = make_window()
    path = make_project(tmp_path / "s.storyiter", frames=5)
    assert window.open_project(path)
    store = window.session.store
    store.update_story(settings=store.settings().__class__(
        **{**store.settings().to_dict(), "batch_size": 1, "steps": 3}
    ))  # fmt: skip
    controller = window.controller
    assert not window.actions["resume"].isEnabled()  # nothing to resume yet
    labels = []
    saved = []
    controller.progressChanged.connect(lambda p: labels.append((p.label, len(saved))))
    window.session.imagesChanged.connect(saved.append)  # each commit, as the UI learns it
    # Cancel from the engine thread at the first commit (no race with the UI thread); the UI
    # learns of it like of any cancel.
    controller.worker.frameCommitted.connect(
        lambda *_: controller._cancel and controller._cancel.cancel(),
        Qt.ConnectionType.DirectConnection,
    )
    result = run_and_wait(qtbot, window)
    assert result.status == "cancelled"
    assert not controller.busy and window.actions["iterate_all"].isEnabled()
    assert window.actions["resume"].isEnabled() and not window.actions["cancel"].isEnabled()
    kept = result.passes[0]
    # What was drawn before the cancel is committed (the runner may have had the next frame
    # in flight); the rest is not.
    assert kept.kind == "round0" and kept.status == "cancelled" and 1 <= kept.images < 5
    assert len(store.images_of_pass(kept.pass_id)) == kept.images
    assert "Resume" in window.messages.message()
    model = window.board.board_model
    model.refresh()
    assert all(model.index(r).data(RunStateRole) is None for r in range(model.rowCount()))

    for label, commits in labels:  # "0/5 frames saved" until the first commit arrived
        match = re.search(r"(\d+)/5 frames saved", label)
        assert match is None or int(match.group(1)) <= commits, (label, commits)

    controller.worker.frameCommitted.disconnect()
    controller.worker.frameCommitted.connect(controller._on_committed)
    window.show()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window)
    with qtbot.waitSignal(controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        QTest.keyClick(window, Qt.Key.Key_F5)  # Resume
    result = finished.args[0]
    assert result.status == "complete" and result.passes[0].pass_id == kept.pass_id
    assert store.pass_info(kept.pass_id).status == "complete"
    assert len(store.images_of_pass(kept.pass_id)) == 5
    assert store.pending_frame_ids(kept.pass_id) == ()
    # ...and the rest of the Iterate All run that was cancelled: rounds 1 and 2.
    assert [p.kind for p in result.passes] == ["resume", "iterate", "iterate"]
    assert all(card.latest_round == 2 for card in store.board())
    assert not window.actions["resume"].isEnabled()


def test_an_edited_card_turns_stale_and_iterate_stale_redraws_only_it(make_window, qtbot, tmp_path):
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=3))
    store = window.session.store
    store.update_story(settings=store.settings().__class__(
        **{**store.settings().to_dict(), "rounds": 1}
    ))  # fmt: skip
    assert run_and_wait(qtbot, window).status == "complete"
    model = window.board.board_model
    model.refresh()
    assert not any(c.stale for c in model.cards)
    edited = model.cards[2].frame.id
    window.board.select_frames([edited])
    editor = window.editor
    editor.fields["scene"].setText("a storm at sea")
    editor._typed("scene", "a storm at sea")
    editor.flush()
    model.refresh()
    assert [c.stale for c in model.cards] == [False, False, True]

    before = {c.frame.id: len(store.images_of_frame(c.frame.id)) for c in model.cards}
    result = run_and_wait(qtbot, window, "stale")
    assert result.status == "complete" and result.passes[-1].kind == "stale"
    after = {c.frame.id: len(store.images_of_frame(c.frame.id)) for c in model.cards}
    assert after == {**before, edited: before[edited] + 1}
    model.refresh()
    assert not any(c.stale for c in model.cards)

    # A cast description is written once: changing it makes every card that uses it stale.
    window.cast_panel.description.setPlainText("a keeper in a yellow raincoat")
    window.cast_panel.flush()
    model.refresh()
    assert all(c.stale for c in model.cards)


def test_the_event_loop_keeps_turning_during_a_pass(make_window, qtbot, tmp_path):
    """The UI thread is never blocked by a pass: a 10 ms timer keeps firing while frames are
    drawn. The lag is recorded, not asserted (timings belong in docs/BENCHMARKS.md, measured
    by bench/ui_responsiveness.py)."""
    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=4))
    lags: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        lags.append(now - last[0])
        last[0] = now

    probe = QTimer(interval=10)
    probe.timeout.connect(tick)
    progress_during_run: list[int] = []
    window.controller.progressChanged.connect(lambda _p: progress_during_run.append(len(lags)))
    probe.start()
    result = run_and_wait(qtbot, window)
    probe.stop()
    assert result.status == "complete"
    assert len(lags) >= 5  # the loop ran while the engine thread drew
    assert progress_during_run and progress_during_run[0] < len(lags)
    print(f"event-loop probe: {len(lags)} ticks, max gap {max(lags) * 1000:.1f} ms")


def test_an_engine_error_is_shown_and_the_app_stays_alive(
    make_window, qtbot, tmp_path, preview_models
):
    from engine.api import ModelPaths, RuntimeSettings

    models = tmp_path / "models"
    shutil.copytree(preview_models.base.parent, models)
    shutil.rmtree(models / "sdxl")  # the writer's base model folder went missing
    broken = ModelPaths.from_models_dir(models)
    window = make_window(resolver=lambda _c: (broken, RuntimeSettings(device="cpu")))
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=2))
    result = run_and_wait(qtbot, window)
    assert result.status == "failed"
    message = window.messages.message()
    assert "stopped" in message and str(models / "sdxl") in message
    assert not window.controller.busy
    # Still alive: edits work, the project is intact, another run fails just as cleanly.
    assert window.session.add_frame(character="a new card") is not None
    assert len(window.session.store.frames()) == 3
    assert run_and_wait(qtbot, window).status == "failed"


def test_a_killed_engine_process_is_reported_and_resume_finishes_the_pass(
    make_window, qtbot, tmp_path, preview_models
):
    import io
    import os
    import signal
    from dataclasses import replace

    import numpy as np
    from PIL import Image

    from engine.api import RuntimeSettings
    from engine.story_iter import StoryIterEngine
    from storyboard_app.project import runner
    from storyboard_app.project.store import ProjectStore

    def slow_project(path):
        make_project(path, frames=4)
        with ProjectStore.open(path) as store:  # 2 batches of 2 frames, 40 steps each
            store.update_story(settings=replace(store.settings(), steps=40, batch_size=2))
        return path

    def round0(path):
        with ProjectStore.open_reader(path) as store:
            return [
                np.asarray(Image.open(io.BytesIO(store.image_png(i.id))))
                for f in store.frames()
                for i in store.images_of_frame(f.id)
                if i.round == 0
            ]

    window = make_window()
    window.show()
    path = slow_project(tmp_path / "s.storyiter")
    assert window.open_project(path)
    killed = []

    def kill_after_first_commit(_frame_id, _image_id):
        if not killed:
            killed.append(window.engine.pid)
            os.kill(window.engine.pid, signal.SIGKILL)

    window.controller.worker.frameCommitted.connect(kill_after_first_commit)
    result = run_and_wait(qtbot, window)
    window.controller.worker.frameCommitted.disconnect(kill_after_first_commit)
    assert result.status == "failed"
    assert f"(pid {killed[0]}) was killed by SIGKILL" in result.message
    assert "SIGKILL" in window.messages.message()
    # the window stays, with everything committed before the kill
    assert window.isVisible() and window.session is not None and not window.controller.busy
    store = window.session.store
    committed = [f for f in store.frames() if store.current_image_id(f.id) is not None]
    assert 1 <= len(committed) < 4
    qtbot.waitUntil(lambda: window.engine.pid not in (None, killed[0]), timeout=60_000)

    result = run_and_wait(qtbot, window, "resume")  # in the restarted engine process
    assert result.status == "complete", result
    assert all(store.current_image_id(f.id) is not None for f in store.frames())
    reference = slow_project(tmp_path / "uninterrupted.storyiter")
    with ProjectStore.open(reference) as other:
        engine = StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=2))
        runner.render(other, engine, rounds=0)
    ours, theirs = round0(path), round0(reference)
    assert len(ours) == len(theirs) == 4
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))


def test_run_devices_menu_keeps_the_choice_and_shows_it(make_window, qtbot, tmp_path):
    from engine.api import Devices

    window = make_window()
    assert window.open_project(make_project(tmp_path / "s.storyiter", frames=1))
    menu = window.devices_menu
    assert menu.choices["this"].isChecked()
    menu.choices["all"].trigger()
    assert window.prefs.devices() == Devices(0)
    assert window.model_choice().devices == Devices(0)
    assert "every GPU of this machine" in window.models_label.text()

    menu.ask_address = lambda current: ""  # the writer cancels the address dialog
    menu.choices["cluster"].trigger()
    assert window.prefs.devices() == Devices(0) and menu.choices["all"].isChecked()
    menu.ask_address = lambda current: " 127.0.0.1:6379 "
    menu.choices["cluster"].trigger()
    assert window.prefs.devices() == Devices(0, "127.0.0.1:6379")
    assert "Ray cluster at 127.0.0.1:6379" in window.models_label.text()
    assert "127.0.0.1:6379" in menu.choices["cluster"].text()

    menu.choices["this"].trigger()
    assert window.prefs.devices() == Devices(1)
    result = run_and_wait(qtbot, window)  # back on this device, in the engine process
    assert result.status == "complete"
