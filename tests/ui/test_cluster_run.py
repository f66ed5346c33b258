"""Drawing on a Ray cluster from the window: Run → Devices → A Ray Cluster at…, the address
typed into its dialog, Ctrl+R, and every frame committed from both nodes.

The cluster is the shared two-node one of tests/conftest.py (both nodes on 127.0.0.1, token
on; skipped outside a loopback-only network namespace). The window gets an engine process of
its own, started after the cluster, so it inherits the cluster's token the way a writer's
shell hands it over (RAY_AUTH_TOKEN).
"""

from __future__ import annotations

import io
import shutil
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMenu

from engine.api import Devices, RuntimeSettings
from engine.story_iter import StoryIterEngine
from storyboard_app.project import runner
from storyboard_app.project.store import ProjectStore
from tests.ui.conftest import RUN_TIMEOUT_MS, make_project

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def cluster_engine(ray_cluster, qasync_loop):
    from engine.process import EngineProcess

    engine = EngineProcess(qasync_loop)
    yield engine
    engine.close()


def _popup(qtbot, title: str) -> QMenu:
    qtbot.waitUntil(
        lambda: (
            isinstance(QApplication.activePopupWidget(), QMenu)
            and QApplication.activePopupWidget().title() == title
        )
    )
    return QApplication.activePopupWidget()


def _images(path) -> list[tuple[int, np.ndarray]]:
    """Every image of the project, by round, in frame order."""
    with ProjectStore.open_reader(path) as store:
        return [
            (i.round, np.asarray(Image.open(io.BytesIO(store.image_png(i.id)))))
            for f in store.frames()
            for i in store.images_of_frame(f.id)
        ]


def test_iterate_all_on_a_two_node_cluster_chosen_from_the_run_menu(
    make_window, qtbot, tmp_path, ray_cluster, cluster_engine, preview_models
):
    window = make_window(engine=cluster_engine)
    path = make_project(tmp_path / "c.storyiter", frames=4)
    with ProjectStore.open(path) as store:  # 2 batches of 2: one for each node's actor
        store.update_story(settings=replace(store.settings(), rounds=1, steps=1, batch_size=2))
    reference = shutil.copy(path, tmp_path / "one-device.storyiter")
    assert window.open_project(path)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.board.setFocus()

    # Alt+R opens the Run menu; V its Devices submenu; C "A Ray Cluster at…", which asks for
    # the head's address in a dialog: the writer types it and presses Return.
    typed = []

    def answer_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer_dialog)
            return
        try:
            field = dialog.findChild(QLineEdit)
            qtbot.keyClick(field, Qt.Key.Key_A, CTRL)
            qtbot.keyClicks(field, ray_cluster.address)
            typed.append(dialog.textValue())
            qtbot.keyClick(field, Qt.Key.Key_Return)
        finally:
            if dialog.isVisible():  # the keys did not reach it: end the test, not hang it
                dialog.reject()

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_R, ALT)
    run_menu = _popup(qtbot, "&Run")
    qtbot.keyClick(run_menu, Qt.Key.Key_V)
    devices = _popup(qtbot, "De&vices")
    QTimer.singleShot(0, answer_dialog)
    qtbot.keyClick(devices, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: window.prefs.devices().cluster == ray_cluster.address)
    assert typed == [ray_cluster.address]
    assert window.prefs.devices() == Devices(0, ray_cluster.address)
    assert f"Ray cluster at {ray_cluster.address}" in window.models_label.text()

    # Ctrl+R: Iterate All. Each node has one CPU and each actor takes one, so the two actors
    # the engine process starts are one per node; the window commits what they draw.
    window.activateWindow()  # what the window manager does once the dialog has gone
    qtbot.waitUntil(window.isActiveWindow)
    window.board.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.board)
    with qtbot.waitSignal(window.controller.runFinished, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_R, CTRL)
    result = finished.args[0]
    assert result.status == "complete", result
    assert [p.kind for p in result.passes] == ["round0", "iterate"]
    assert cluster_engine.device == "cpu@127.0.0.1+cpu@127.0.0.1"
    assert not window.controller.busy
    window.close_project(force=True)

    # The same story drawn on one device, in this process: the same images, bit for bit.
    with ProjectStore.open(reference) as other:
        runner.render(
            other, StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=2))
        )
    ours, theirs = _images(path), _images(reference)
    assert [r for r, _ in ours] == [r for r, _ in theirs] == [0, 1] * 4
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(ours, theirs, strict=True))
