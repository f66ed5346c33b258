"""The model check in a child process, for the desktop app.

Reading a pickled ``.bin`` file safely, and recognising what a single-file checkpoint is,
needs torch; the app's window never imports it (its engine lives in its own process). So the
window's Check runs ``python -m engine check --json`` as a child and reads its one line of
rows: the same check ``storyboard models check`` runs, and a crash of a checker cannot take
the window with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from engine.api import ModelPaths
from engine.errors import ModelError

TIMEOUT_S = 300  # the first check of a folder of big single files reads their headers

Row = tuple[str, str, str]  # component, path, "ok" / "not configured" / the problem


def check_models_apart(paths: ModelPaths, timeout: float = TIMEOUT_S) -> list[Row]:
    """``check_models(paths)`` run in a child process; ModelError when it gives no answer."""
    command = [sys.executable, "-m", "engine", "check", "--json"]
    for flag, value in (
        ("--base-model", paths.base),
        ("--image-encoder", paths.image_encoder),
        ("--ip-adapter", paths.ip_adapter),
        ("--controlnet", paths.controlnet),
        ("--lcm-unet", paths.lcm),
    ):
        if value is not None:
            command += [flag, str(value)]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ModelError(f"The model check gave no answer within {timeout:.0f} s.") from exc
    except OSError as exc:
        raise ModelError(f"The model check could not start ({exc.strerror or exc}).") from exc
    lines = done.stdout.strip().splitlines()
    try:
        rows = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except ValueError:
        rows = None
    if not isinstance(rows, list):
        said = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = said[-1].removeprefix("error: ") if said else f"exit status {done.returncode}"
        raise ModelError(f"The model check stopped: {reason}")
    return [(str(name), str(path), str(status)) for name, path, status in rows]
