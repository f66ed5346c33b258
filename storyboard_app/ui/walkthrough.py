"""A writer's walkthrough of the real app with real input, one screenshot per step.

    xvfb-run -a -s "-screen 0 1920x1200x24" python -m storyboard_app.ui.walkthrough OUT

(``make walkthrough``; needs the ``xvfb``, ``xdotool`` and ``libxcb-cursor0`` packages). The
app runs on the main thread; a driver thread types, clicks and drags with ``xdotool``, so
every key and mouse event comes from the X server as a writer's would, through Qt's own
dialogs and drag and drop. It makes a new story, types six frames and a cast member, drags
the last card to the front, poses a frame from a preset, sets the story's image size, draws
two rounds on the preview models, chooses an earlier round, finds cards and exports a PDF.
Preferences, models and files live in a temporary folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

WINDOW = (1600, 1000)
FRAMES = (
    ("@Mara", "climbs the spiral stairs", "inside a stone lighthouse at dusk", "Every night."),
    ("@Mara", "polishes the great lens", "in the lamp room", "The light never went out."),
    ("a small grey fox", "knocks on the window", "outside, in the storm", "Until someone knocked."),
    ("@Mara and the fox", "stare at each other", "in the doorway", '"You\'re a fox."'),
    ("@Mara", "turns the wick up high", "in the lamp room glowing gold", "Brighter."),
    ("a ship", "turns towards the harbour", "on a dark sea, waves crashing", "The title card."),
)


class Driver:
    """Real input from a second thread; ``ui(fn)`` runs ``fn`` on the app's thread."""

    def __init__(self, ui: Callable[[Callable[[], Any]], Any], out: Path) -> None:
        self.ui = ui
        self.out = out
        self.step = 0

    # ------------------------------------------------------------------ input

    def xdo(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], check=True, timeout=60)
        time.sleep(0.15)

    def key(self, *combos: str) -> None:
        for combo in combos:
            self.xdo("key", "--clearmodifiers", combo)

    def type(self, text: str) -> None:
        self.xdo("type", "--delay", "15", text)

    def centre(self, widget_of: Callable[[], Any], rect_of=None) -> tuple[int, int]:
        def where():
            widget = widget_of()
            rect = rect_of(widget) if rect_of else widget.rect()
            point = widget.mapToGlobal(rect.center())
            return point.x(), point.y()

        return self.ui(where)

    def click(self, widget_of, rect_of=None) -> None:
        x, y = self.centre(widget_of, rect_of)
        self.xdo("mousemove", str(x), str(y))
        self.xdo("click", "1")

    def drag(self, start: tuple[int, int], end: tuple[int, int], steps: int = 12) -> None:
        self.xdo("mousemove", *map(str, start))
        self.xdo("mousedown", "1")
        for i in range(1, steps + 1):
            x = start[0] + (end[0] - start[0]) * i // steps
            y = start[1] + (end[1] - start[1]) * i // steps
            self.xdo("mousemove", str(x), str(y))
        time.sleep(0.3)
        self.xdo("mouseup", "1")

    # ------------------------------------------------------------------ waiting and looking

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = 600.0) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.ui(condition)
            if value:
                return value
            time.sleep(0.1)
        raise TimeoutError(f"the app did not get there in time: {what}")

    def focus_new_window(self, kind: str) -> Any:
        """Wait for a modal window and give it the focus (what a window manager does)."""
        from PySide6.QtWidgets import QApplication

        dialog = self.wait(QApplication.activeModalWidget, f"a {kind} dialog")
        self.ui(dialog.activateWindow)
        self.wait(lambda: QApplication.focusWidget() is not None, f"focus in the {kind}")
        return dialog

    def shot(self, name: str) -> Path:
        from PySide6.QtGui import QGuiApplication

        time.sleep(0.6)
        self.step += 1
        path = self.out / f"{self.step:02d}-{name}.png"
        ok = self.ui(
            lambda: QGuiApplication.primaryScreen().grabWindow(0, 0, 0, *WINDOW).save(str(path))
        )
        if not ok:
            raise OSError(f"could not write {path}")
        _shrink(path)
        print(path, flush=True)
        return path


def _shrink(path: Path) -> None:
    """128 colours: a third of the bytes, and the interface reads the same."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def walk(d: Driver, window, scratch: Path) -> None:
    from PySide6.QtWidgets import QApplication

    d.shot("welcome")

    # A new story: File → New (Ctrl+N), a file name and a title in the app's own dialogs.
    d.key("ctrl+n")
    d.focus_new_window("file")
    d.type(str(scratch / "lighthouse.storyiter"))
    d.shot("new-story-file")
    d.key("Return")
    d.focus_new_window("title")
    d.key("ctrl+a")
    d.type("The Lighthouse")
    d.key("Return")
    d.wait(lambda: window.session is not None, "the new story")
    d.ui(window.activateWindow)

    # The cast: Add, a name, how she always looks.
    d.click(lambda: window.cast_panel.add_button)
    d.wait(lambda: QApplication.focusWidget() is window.cast_panel.name, "the cast name field")
    d.type("Mara")
    d.key("Return")
    d.click(lambda: window.cast_panel.description)
    d.type("a young lighthouse keeper with short copper hair and a green wool coat")
    d.shot("cast")

    # Six frames, typed: F2 into the card, a click per field, Ctrl+Return for the next card.
    for number, (character, interaction, scene, caption) in enumerate(FRAMES):
        if number:
            d.key("ctrl+Return")
        else:
            d.click(lambda: window.board)
            d.key("F2")
        d.wait(lambda: QApplication.focusWidget() is window.editor.fields["character"], "Character")
        d.type(character)
        for name, text in (("interaction", interaction), ("scene", scene), ("caption", caption)):
            d.click(lambda n=name: window.editor.fields[n])
            d.type(text)
    d.key("Escape")
    d.wait(lambda: len(window.session.store.frames()) == 6, "six frames")
    d.wait(lambda: window.session.store.frames()[5].caption == "The title card.", "saved text")
    d.shot("six-frames")

    # Reorder: drag the last card to the front of the board with the mouse.
    board = window.board

    def card_point(row: int) -> tuple[int, int]:
        def where():
            rect = board.visualRect(board.board_model.index(row))
            point = board.viewport().mapToGlobal(rect.center())
            return point.x(), point.y()

        return d.ui(where)

    d.click(lambda: board.viewport(), lambda v: board.visualRect(board.board_model.index(5)))
    d.drag(card_point(5), card_point(0))  # dropped on a card: it goes before that card
    d.wait(lambda: window.session.store.frames()[0].character == "a ship", "the drop", 30)
    d.shot("reordered-by-drag")

    # Pose frame 3 from a preset: select it, Ctrl+P, Add figure, a preset.
    d.click(lambda: board.viewport(), lambda v: board.visualRect(board.board_model.index(2)))
    d.key("ctrl+p")
    controls = window.editor.pose_tab.editor.controls
    d.wait(lambda: controls.add_button.isVisible(), "the pose tab")
    d.click(lambda: controls.add_button)
    d.wait(lambda: controls.preset_list.isVisible(), "the preset picker")
    preset_list = controls.preset_list
    d.click(
        lambda: preset_list.viewport(), lambda v: preset_list.visualItemRect(preset_list.item(0))
    )
    d.wait(lambda: window.session.store.frames()[2].pose_json is not None, "the pose")
    d.shot("pose-from-preset")
    d.key("Escape")

    # Story Settings (Ctrl+Alt+S): a small 16:9 image, 2 steps, 2 rounds.
    d.click(lambda: board.viewport(), lambda v: board.visualRect(board.board_model.index(0)))
    d.key("ctrl+alt+s")
    d.focus_new_window("story settings")
    for mnemonic, text in (("alt+s", "128"), ("Tab", "72"), ("alt+t", "2"), ("alt+r", "2")):
        d.key(mnemonic, "ctrl+a")
        d.type(text)
    d.key("Tab")
    d.shot("story-settings")
    d.key("Return")
    d.wait(lambda: window.session.store.settings().width == 128, "the new settings")

    # Iterate All (Ctrl+R): round 0 and two rounds on the preview models.
    d.ui(window.activateWindow)
    d.key("ctrl+r")
    d.wait(lambda: window.controller.busy, "the run to start")
    d.wait(lambda: not window.controller.busy, "the run to finish")
    rounds = d.ui(lambda: [c.latest_round for c in window.session.store.board()])
    if rounds != [2] * 6:
        raise RuntimeError(f"expected two rounds for every frame, got {rounds}")
    d.shot("iterated-two-rounds")

    # Choose round 1 for frame 4: Ctrl+H, Left, Ctrl+U.
    d.click(lambda: board.viewport(), lambda v: board.visualRect(board.board_model.index(3)))
    d.key("ctrl+h", "Left", "ctrl+u")
    frame = d.ui(lambda: window.session.store.frames()[3])
    chosen = d.wait(lambda: window.session.store.frame(frame.id).chosen_image_id, "the choice")
    if d.ui(lambda: window.session.store.image_info(chosen).round) != 1:
        raise RuntimeError("the chosen image is not round 1")
    d.shot("chose-round-1")

    # Find cards: Ctrl+F, a word (a cast member's name); Esc clears it.
    d.key("Escape", "ctrl+f")
    d.type("mara lamp")
    d.wait(lambda: window.search_bar.count.text().startswith("2 of 6"), "the search")
    d.shot("find-cards")
    d.key("Escape", "Escape")

    # Export (Ctrl+E): the dialog previews the pages; Export… writes the PDF.
    d.key("ctrl+e")
    dialog = d.focus_new_window("export")
    d.shot("export-dialog")
    d.click(lambda: dialog.save)
    d.focus_new_window("file")
    pdf = scratch / "lighthouse.pdf"
    d.key("ctrl+a")
    d.type(str(pdf))
    d.key("Return")
    d.wait(lambda: pdf.exists() and pdf.stat().st_size > 1000, "the PDF")
    d.ui(dialog.activateWindow)
    d.shot("exported")
    d.key("Escape")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "docs/screenshots/walkthrough")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    scratch = Path(tempfile.mkdtemp(prefix="storyiter-walk-"))
    for name, folder in (
        ("STORYITER_UI_SETTINGS", scratch / "ui.ini"),
        ("STORYITER_CONFIG_DIR", scratch / "config"),
        ("STORYITER_CACHE_DIR", scratch / "cache"),
        ("STORYITER_DATA_DIR", scratch / "data"),
    ):
        os.environ[name] = str(folder)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["QT_QPA_PLATFORM"] = "xcb"

    from PySide6.QtCore import QObject, Qt, Signal

    from storyboard_app.ui.app import application
    from storyboard_app.ui.shared.preferences import Preferences, open_settings
    from storyboard_app.ui.window.main_window import MainWindow

    class OnAppThread(QObject):
        call = Signal(object)

        def __init__(self) -> None:
            super().__init__()
            self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

        def _run(self, job) -> None:
            fn, future = job
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the driver thread
                future.set_exception(exc)

        def __call__(self, fn):
            future: Future = Future()
            self.call.emit((fn, future))
            return future.result(timeout=600)

    app = application()
    import qasync  # after PySide6, so it binds to it

    qasync.QEventLoop(app, already_running=True)  # the engine process's streams run on it
    prefs = Preferences(open_settings())
    prefs.set_use_preview_models(True)
    window = MainWindow(prefs)
    window.move(0, 0)
    window.resize(*WINDOW)
    window.show()
    window.activateWindow()
    driver = Driver(OnAppThread(), out)
    failures: list[str] = []

    def drive() -> None:
        try:
            walk(driver, window, scratch)
        except BaseException:
            failures.append(traceback.format_exc())
        finally:
            driver.ui(window.close)
            driver.ui(app.quit)

    threading.Thread(target=drive, daemon=True).start()
    app.exec()
    if failures:
        print(failures[0], file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
