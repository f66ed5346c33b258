"""Runs tests/ui/display (real drags, the window manager's title) on a real X display under
Xvfb: Qt's offscreen platform has no drag and drop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DISPLAY_TESTS = Path(__file__).parent / "display"


@pytest.mark.skipif(
    shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt: xvfb)"
)
def test_drag_and_drop_and_title_on_a_real_display(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    command = [
        "xvfb-run", "-a", "-s", "-screen 0 1920x1200x24",
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(DISPLAY_TESTS),
        f"--basetemp={tmp_path / 'inner'}",
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    report = result.stdout[-6000:] + result.stderr[-3000:]
    assert result.returncode == 0, report
    assert " passed" in result.stdout and "skipped" not in result.stdout, report
