"""The animatic player on a real project with images, driven by clicks and keys, its time
from a fake clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from storyboard_app.project.store import ProjectStore
from storyboard_app.ui.animatic.player import AnimaticPlayer

RELEASE = Path(__file__).parent.parent / "fixtures" / "release-0.1.0.storyiter"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def story(tmp_path: Path):
    path = tmp_path / "story.storyiter"
    shutil.copyfile(RELEASE, path)
    with ProjectStore.open(path) as store:
        frames = store.frames()
        store.update_scene(store.scenes()[0].id, heading="INT. KITCHEN - DAY")
        store.split_scene(frames[2].id, heading="EXT. SEA - NIGHT")
        for frame, seconds, caption in zip(
            frames, (1.0, 2.0, 0.5, 1.5), ("", "MARA: Tea?", "", "The storm."), strict=True
        ):
            store.update_frame(frame.id, duration=seconds, caption=caption)
        yield store


def test_plays_at_the_frames_durations_with_shot_scene_and_caption(qtbot, story) -> None:
    clock = FakeClock()
    frames = story.frames()
    player = AnimaticPlayer(story, start_frame_id=frames[1].id, clock=clock)
    qtbot.addWidget(player)
    player.show()
    qtbot.waitExposed(player)
    # It opens at the selected frame, paused.
    assert player.current_frame_id() == frames[1].id
    assert (player.shot.text(), player.caption.text()) == ("Shot 1B", "MARA: Tea?")
    assert player.scene.text() == "Scene 1: INT. KITCHEN - DAY"
    assert not player.picture.pixmap().isNull()

    QTest.mouseClick(player.play_button, Qt.MouseButton.LeftButton)
    assert player.playing and player.play_button.text() == "Pause"
    clock.now += 1.9  # 1.0 + 1.9 = 2.9 s: still frame 2
    qtbot.wait(60)
    assert player.current_frame_id() == frames[1].id
    clock.now += 0.2  # 3.1 s: frame 3 (2 s + 1 s), the next scene
    qtbot.waitUntil(lambda: player.current_frame_id() == frames[2].id, timeout=2000)
    assert (player.shot.text(), player.scene.text()) == ("Shot 2A", "Scene 2: EXT. SEA - NIGHT")
    clock.now += 0.5  # 3.6 s: the last frame
    qtbot.waitUntil(lambda: player.current_frame_id() == frames[3].id, timeout=2000)
    assert player.caption.text() == "The storm."
    clock.now += 5  # past the end without loop: it stops on the last frame
    qtbot.waitUntil(lambda: not player.playing, timeout=2000)
    assert player.position == 5.0 and player.time.text() == "0:05 / 0:05"
    assert player.play_button.text() == "Play"


def test_pause_scrub_and_loop(qtbot, story) -> None:
    clock = FakeClock()
    frames = story.frames()
    player = AnimaticPlayer(story, clock=clock)
    qtbot.addWidget(player)
    player.show()
    qtbot.waitExposed(player)
    assert player.current_frame_id() == frames[0].id
    # Scrub with the keyboard on the slider: Page Up is one second.
    player.slider.setFocus()
    QTest.keyClick(player.slider, Qt.Key.Key_PageUp)
    QTest.keyClick(player.slider, Qt.Key.Key_PageUp)
    QTest.keyClick(player.slider, Qt.Key.Key_PageUp)
    assert player.position == 3.0 and player.current_frame_id() == frames[2].id
    # Space plays, the clock moves, space pauses: the picture stays.
    QTest.keyClick(player.slider, Qt.Key.Key_Space)
    assert player.playing
    clock.now += 0.6
    qtbot.waitUntil(lambda: player.current_frame_id() == frames[3].id, timeout=2000)
    QTest.keyClick(player.slider, Qt.Key.Key_Space)
    assert not player.playing
    clock.now += 10
    qtbot.wait(60)
    assert player.current_frame_id() == frames[3].id
    # Loop: past the end it starts again from the top.
    QTest.mouseClick(player.loop, Qt.MouseButton.LeftButton)
    assert player.loop.isChecked()
    QTest.mouseClick(player.play_button, Qt.MouseButton.LeftButton)
    clock.now += 1.5 + 0.5  # 3.6 + 2.0 = 5.6 s -> 0.6 s into the story again
    qtbot.waitUntil(lambda: player.current_frame_id() == frames[0].id, timeout=2000)
    assert player.playing and 0.5 < player.position < 0.7
    # Dragging the slider handle with the mouse seeks while playing.
    handle = player.slider.rect().center()
    QTest.mousePress(player.slider, Qt.MouseButton.LeftButton, pos=handle)
    QTest.mouseRelease(
        player.slider, Qt.MouseButton.LeftButton, pos=player.slider.rect().topRight()
    )
    qtbot.waitUntil(lambda: player.current_frame_id() != frames[0].id, timeout=2000)
