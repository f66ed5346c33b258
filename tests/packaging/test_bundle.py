"""The PyInstaller bundle, run as a user would: its CLI and its app, from the bundle alone.

Building it takes minutes (PyInstaller analyses torch), so ``make bundle-test`` builds it
with ``make bundle`` and then runs these tests on it (STORYITER_BUNDLE_DIR); CI runs that
after the suite while its time budget allows (.ci/run, docs/BENCHMARKS.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

BUNDLE = os.environ.get("STORYITER_BUNDLE_DIR")
pytestmark = pytest.mark.skipif(
    not BUNDLE or os.environ.get("STORYITER_PACKAGING_TESTS") != "1",
    reason="needs a built bundle (minutes to build): make bundle-test",
)


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The bundle ``make bundle`` built (``make bundle-test`` names it)."""
    folder = Path(BUNDLE or "")
    assert (folder / "storyboard").is_file() and (folder / "storyboard-app").is_file(), folder
    return folder


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """No trace of the checkout: a fresh config, cache and home, started from elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return env | {
        "HOME": str(tmp_path),
        "STORYITER_CONFIG_DIR": str(tmp_path / "config"),
        "STORYITER_CACHE_DIR": str(tmp_path / "cache"),
        "STORYITER_UI_SETTINGS": str(tmp_path / "ui.ini"),
        "QT_QPA_PLATFORM": "offscreen",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "2",
    }


def run(program: Path, *args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [str(program), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_bundled_cli_reports_versions_and_renders(bundle, env, tmp_path):
    storyboard = bundle / "storyboard"
    version = run(storyboard, "--version", env=env, cwd=tmp_path)
    assert "StoryIter Studio: 0.1.0" in version
    assert "torch:            2.13.0" in version and "diffusers:        0.42.1" in version
    # Every component's version travels with the bundle (its package metadata).
    for label in ("PySide6", "torch", "diffusers", "transformers", "accelerate"):
        assert f"\n{label}:" in version, version
    assert "not installed" not in version and "unknown" not in version, version

    story = tmp_path / "story.txt"
    story.write_text("@Ada: a tall woman\n@Ada | waves | on a pier\na lighthouse at night\n")
    project = tmp_path / "two.storyiter"
    run(storyboard, "new", str(project), "--from-text", str(story), env=env, cwd=tmp_path)
    run(storyboard, "settings", str(project), "--size", "64x64", "--steps", "2",
        env=env, cwd=tmp_path)  # fmt: skip
    out = run(storyboard, "render", str(project), "--rounds", "1", "--preview-models",
              env=env, cwd=tmp_path)  # fmt: skip
    assert "4 image(s) committed" in out
    run(storyboard, "thumbnail", str(project), str(tmp_path / "cover.png"), env=env, cwd=tmp_path)
    assert (tmp_path / "cover.png").stat().st_size > 0
    # Export's PDF (Qt painting + pikepdf) and an editorial timeline (an OpenTimelineIO plugin).
    run(storyboard, "export", str(project), "--pdf", str(tmp_path / "board.pdf"),
        "--timeline", str(tmp_path / "board.edl"), env=env, cwd=tmp_path)  # fmt: skip
    assert (tmp_path / "board.pdf").read_bytes().startswith(b"%PDF")
    assert "TITLE:" in (tmp_path / "board.edl").read_text()


def engine_processes(app: subprocess.Popen) -> list[str]:
    """The command lines of the app's engine processes (its children running the engine)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = next(line for line in status.read_text().splitlines() if line.startswith("PPid"))
            cmdline = (status.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, StopIteration):
            continue
        if int(ppid.split()[1]) == app.pid and b"engine.process_main" in cmdline:
            found.append(" ".join(part.decode() for part in cmdline if part))
    return found


def test_bundled_app_opens_the_demo_story(bundle, env, tmp_path):
    demo = tmp_path / "the-lantern-keeper.storyiter"
    story = bundle / "_internal" / "projects" / "the-lantern-keeper" / "story.txt"
    assert story.is_file(), "the demo story travels with the bundle"
    run(bundle / "storyboard", "new", str(demo), "--from-text", str(story), env=env, cwd=tmp_path)

    app = subprocess.Popen(
        [str(bundle / "storyboard-app"), str(demo)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(8)
        assert app.poll() is None, app.communicate()[0]
        # Its engine process is the bundled program too, running the engine's module.
        assert engine_processes(app), "the app started no engine process"
        # The app holds the project open: a second writer is turned away.
        locked = subprocess.run(
            [str(bundle / "storyboard"), "settings", str(demo), "--title", "X"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert locked.returncode == 2 and "is already open" in locked.stderr, locked.stderr
    finally:
        app.send_signal(signal.SIGTERM)
        log = app.communicate(timeout=60)[0]
    assert "Traceback" not in log and "usage:" not in log, log


@pytest.fixture
def display(env) -> dict[str, str]:
    """An X display of its own (Xvfb), for real key presses from xdotool."""
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("needs Xvfb and xdotool")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    assert number, "Xvfb named no display"
    yield env | {"DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}
    server.terminate()
    server.wait(timeout=30)


def test_bundled_app_draws_a_story_at_a_key_press(bundle, display, tmp_path):
    """Iterate All (Ctrl+R) in the bundled app draws every frame through its engine process."""
    storyboard = bundle / "storyboard"
    story = tmp_path / "story.txt"
    story.write_text("@Ada: a tall woman\n@Ada | waves | on a pier\na lighthouse | at night\n")
    project = tmp_path / "two.storyiter"
    run(storyboard, "new", str(project), "--from-text", str(story), env=display, cwd=tmp_path)
    run(storyboard, "settings", str(project), "--size", "64x64", "--steps", "1", "--rounds", "1",
        env=display, cwd=tmp_path)  # fmt: skip

    def xdotool(*args: str) -> str:
        return run(Path(shutil.which("xdotool") or "xdotool"), *args, env=display, cwd=tmp_path)

    app = subprocess.Popen(
        [str(bundle / "storyboard-app"), "--preview-models", str(project)],
        env=display,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        window = xdotool("search", "--sync", "--onlyvisible", "--name", "StoryIter").split()[0]
        time.sleep(3)  # the window settles; the engine process warms up meanwhile
        xdotool("windowfocus", "--sync", window)
        xdotool("key", "--clearmodifiers", "ctrl+r")
        deadline = time.monotonic() + 300
        info = ""
        while "iterate complete (2 frames)" not in info:
            assert time.monotonic() < deadline, info
            assert app.poll() is None, app.communicate()[0]
            time.sleep(2)
            info = run(storyboard, "info", str(project), env=display, cwd=tmp_path)
        xdotool("key", "--clearmodifiers", "ctrl+q")
        log = app.communicate(timeout=120)[0]
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, log
    assert "Traceback" not in log and "usage:" not in log, log
    assert "round0 complete (2 frames)" in info
    assert info.count("rounds 0-1") == 2, info
