"""Screenshots of the real app: the demo story after a 2-round run on the preview models.

    xvfb-run -a -s "-screen 0 1920x1200x24" python -m storyboard_app.ui.screenshots docs/screenshots

(``make screenshots``). Writes app-main.png, app-frame-editor.png, app-history.png,
app-scenes.png, app-animatic.png and app-models.png. Preferences, models and the demo live
in a temporary folder: the writer's own are never touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

FRAME = 4  # the frame shown in the editor and the history (1-based): two cast members, a pose


def wait_for(app, condition, timeout: float = 600.0) -> None:
    from PySide6.QtCore import QEventLoop

    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def settle(app, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="storyiter-shots-"))
    for name, folder in (
        ("STORYITER_UI_SETTINGS", scratch / "ui.ini"),
        ("STORYITER_CONFIG_DIR", scratch / "config"),
        ("STORYITER_DATA_DIR", scratch / "data"),
    ):
        os.environ[name] = str(folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import qasync
    from PySide6.QtCore import QPoint, QRect

    from storyboard_app.ui.app import application
    from storyboard_app.ui.dialogs.models_dialog import ModelsDialog
    from storyboard_app.ui.shared.preferences import Preferences, open_settings
    from storyboard_app.ui.window.main_window import MainWindow

    app = application()
    qasync.QEventLoop(app, already_running=True)  # the engine process's streams run on it
    prefs = Preferences(open_settings())
    prefs.set_use_preview_models(True)
    window = MainWindow(prefs)
    window.resize(1600, 1000)
    window.show()
    if not window.files.open_demo():
        print(window.messages.message(), file=sys.stderr)
        return 1
    window.session.update_settings(rounds=2, steps=6)  # a quick run: the images are noise
    window.session.undo_stack.clear()
    results = []
    window.controller.runFinished.connect(results.append)
    window.iterate("all")
    wait_for(app, lambda: bool(results))
    if results[0].status != "complete":
        print(f"The run ended {results[0].status}: {results[0].message}", file=sys.stderr)
        return 1
    window.messages.dismiss()
    model = window.board.board_model
    model.refresh()
    frame_id = model.cards[FRAME - 1].frame.id
    window.board.select_frames([frame_id])
    window.board.setFocus()
    history = window.history
    history.select_image(next(i.id for i in history.images if i.round == 1))
    settle(app)
    window.grab().save(str(out / "app-main.png"))
    dock = window.docks["editor"]
    status = window.editor.preview.status
    bottom = status.mapTo(dock, QPoint(0, status.height())).y() + 14
    dock.grab(QRect(0, 0, dock.width(), min(bottom, dock.height()))).save(
        str(out / "app-frame-editor.png")
    )
    window.docks["history"].grab().save(str(out / "app-history.png"))
    scenes_and_animatic(app, window, frame_id, out)

    choice = window.model_choice()
    dialog = ModelsDialog(choice.config, choice.preview, parent=window)
    dialog.show()
    checked = []
    dialog.checked.connect(checked.append)
    dialog.run_check()
    wait_for(app, lambda: bool(checked), 120)
    settle(app)
    dialog.grab().save(str(out / "app-models.png"))
    dialog.close()
    window.close()
    for name in ("app-main", "app-frame-editor", "app-history", "app-scenes", "app-animatic",
                 "app-models"):  # fmt: skip
        print(out / f"{name}.png")
    return 0


def scenes_and_animatic(app, window, frame_id: int, out: Path) -> None:
    """The demo in two scenes (the Scenes panel beside the board) and its animatic playing
    from the shown frame."""
    from storyboard_app.ui.animatic.player import AnimaticPlayer

    session = window.session
    first = session.store.scenes()[0]
    session.edit_scene(first.id, heading="EXT. LIGHTHOUSE - DUSK", color="#4363d8")
    frames = session.store.frames()
    session.split_scene(frames[len(frames) // 2].id, heading="INT. LAMP ROOM - NIGHT")
    window.docks["scenes"].show()
    window.docks["scenes"].raise_()
    settle(app)
    window.grab().save(str(out / "app-scenes.png"))
    player = AnimaticPlayer(session.store, frame_id, parent=window)
    player.resize(720, 560)
    player.show()
    settle(app)
    player.grab().save(str(out / "app-animatic.png"))
    player.close()


if __name__ == "__main__":
    sys.exit(main())
