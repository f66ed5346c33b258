"""Runs every ``storyboard`` command on one project under the current storage condition.

    python tests/storage_walk.py PROJECT OUT_FOLDER

Called by tests/test_cli_storage.py inside the condition it set up (a read-only file or
folder, a read-only mount, a missing folder, a full disk, a file the user may not read).
Each command goes through the real entry point ``storyboard_app.cli.main``; prints one JSON
object: command -> {"rc", "stdout", "stderr", "traceback"}.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback
from pathlib import Path


def commands(project: Path, out: Path) -> dict[str, list[str]]:
    p = str(project)
    return {
        "new": ["new", str(project.with_name("fresh.storyiter"))],
        "info": ["info", p],
        "history": ["history", p, "--frame", "1"],
        "export": ["export", p, "--png", str(out / "sheet.png")],
        "verify": ["verify", p],
        "thumbnail": ["thumbnail", p, str(out / "cover.png")],
        "settings": ["settings", p, "--steps", "3"],
        "choose": ["choose", p, "--frame", "1", "--image", "1"],
        "render": ["render", p, "--rounds", "0", "--quiet", "--preview-models"],
    }


def main() -> None:
    from storyboard_app.cli import main as storyboard

    project, out = Path(sys.argv[1]), Path(sys.argv[2])
    results = {}
    for name, argv in commands(project, out).items():
        err, out, crashed = io.StringIO(), io.StringIO(), ""
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                rc = storyboard(argv)
            except BaseException:
                rc, crashed = -1, traceback.format_exc()
        results[name] = {
            "rc": rc,
            "stdout": out.getvalue()[:2000],
            "stderr": err.getvalue(),
            "traceback": crashed,
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
