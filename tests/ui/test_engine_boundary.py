"""The app as a writer starts it: torch and the model libraries never load in its process.

The window opens a story, iterates it in the engine process and commits every frame, and
the Models dialog's Check reads the model files' headers; the app's own interpreter is then
checked for torch, diffusers and accelerate (the frame editor's token count uses
transformers' CLIP tokenizer, which needs no torch).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch

from engine.adapter_file import load_adapter_state
from tests.engine.layouts import single_file_checkpoint
from tests.ui.conftest import make_project

ROOT = Path(__file__).resolve().parents[2]
APP = """
import asyncio, sys
from pathlib import Path
import qasync
from storyboard_app.ui.app import application, open_window
from storyboard_app.ui.shared.preferences import Preferences, open_settings

app = application()
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
prefs = Preferences(open_settings(sys.argv[2]))
prefs.set_use_preview_models(True)
window = open_window(prefs, Path(sys.argv[1]))
window.show()
ended = []

async def iterate():
    finished = asyncio.Event()
    window.controller.runFinished.connect(lambda r: (ended.append(r), finished.set()))
    window.iterate("all")
    await asyncio.wait_for(finished.wait(), 300)

with loop:
    loop.run_until_complete(iterate())
# The Models dialog's Check (what its button runs on its background thread) reads headers only.
from storyboard_app.ui.dialogs.models_dialog import check_rows
from storyboard_app.ui.run.worker import default_resolver
checked = {status for _name, _path, status in check_rows(window.model_choice(), default_resolver)}
assert checked == {"ok"}, checked
# ... also a single-file checkpoint and a pickled .bin adapter, which need torch to read
from dataclasses import replace
from storyboard_app.ui.run.worker import ModelChoice
choice = window.model_choice()
config = replace(choice.config, base=sys.argv[3], ip_adapter=sys.argv[4], image_encoder=sys.argv[5])
rows = check_rows(ModelChoice(config, preview=False), default_resolver)
assert [status for _n, _p, status in rows][:3] == ["ok", "ok", "ok"], rows
heavy = sorted(
    m for m in sys.modules if m.split(".")[0] in ("torch", "diffusers", "accelerate", "ray")
)
result = ended[0]
print(result.status, len(result.passes), sum(p.images for p in result.passes), heavy, flush=True)
window.close()
"""


def test_the_app_draws_a_story_without_importing_torch(tmp_path, preview_models):
    shutil.copytree(preview_models.base.parent, tmp_path / "cache" / "preview-models" / "micro")
    project = make_project(tmp_path / "s.storyiter", frames=3)
    single = single_file_checkpoint(preview_models, tmp_path / "RealVisXL_V4.0.safetensors")
    adapter = tmp_path / "ip-adapter_sdxl.bin"
    torch.save(load_adapter_state(preview_models.ip_adapter), adapter)  # as h94 ships .bin
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STORYITER_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(
        [
            *(sys.executable, "-c", APP, str(project), str(tmp_path / "ui.ini")),
            *(str(single), str(adapter), str(preview_models.image_encoder)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "complete 3 9 []", done.stdout
