"""``storyboard new --from-fountain / --from-fdx / --from-text --prose`` through the real
console script, as a writer runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).parent / "project" / "scripts"
BIN = Path(sys.executable).parent


def storyboard(*args: str) -> subprocess.CompletedProcess:
    script = shutil.which("storyboard", path=str(BIN))
    assert script
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=120)


def test_new_from_fountain_then_info(tmp_path: Path) -> None:
    project = tmp_path / "lamp.storyiter"
    made = storyboard("new", str(project), "--from-fountain", str(SCRIPTS / "lamp-room.fountain"))
    assert made.returncode == 0, made.stderr
    assert "3 scene(s), 4 frame(s), 3 cast member(s)" in made.stdout
    shown = storyboard("info", str(project))
    assert "Scene 2A: EXT. CLIFF - DAWN" in shown.stdout
    data = json.loads(storyboard("info", str(project), "--json").stdout)
    assert data["title"] == "The Lamp Room"
    assert data["scenes"][0]["heading"] == "INT. LAMP ROOM - NIGHT"
    out = tmp_path / "back.fountain"
    board = tmp_path / "board"
    written = storyboard(
        "export", str(project), "--fountain", str(out), "--storyboarder", str(board)
    )
    assert written.returncode == 0, written.stderr
    assert out.read_text("utf-8").startswith("Title: The Lamp Room")
    assert (board / "The Lamp Room.storyboarder").is_file()
    again = storyboard("export", str(project), "--storyboarder", str(board))
    assert again.returncode == 2 and "not an empty folder" in again.stderr


def test_new_from_fdx(tmp_path: Path) -> None:
    made = storyboard(
        "new", str(tmp_path / "a.storyiter"), "--from-fdx", str(SCRIPTS / "lamp-room.fdx")
    )
    assert made.returncode == 0, made.stderr
    assert "2 scene(s), 3 frame(s), 2 cast member(s)" in made.stdout


def test_a_malformed_script_makes_no_project(tmp_path: Path) -> None:
    bad = tmp_path / "bad.fountain"
    bad.write_text("INT. HOUSE - DAY\n\nHello.\n\n/* never closed\n")
    project = tmp_path / "bad.storyiter"
    result = storyboard("new", str(project), "--from-fountain", str(bad))
    assert result.returncode == 2
    assert "line 5:" in result.stderr and "Traceback" not in result.stderr
    assert not project.exists()
