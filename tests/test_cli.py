"""The `storyboard` and `python -m engine` commands, end to end through the real scripts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STORY = """# a two-frame story
@Ada: a tall woman in a blue raincoat
@Ada | opening an umbrella | on a rainy street | It started to rain.
@Ada | running | across a square | She ran.
a lighthouse at night, seen from the sea
"""


@pytest.fixture(scope="module")
def env(preview_models, tmp_path_factory) -> dict[str, str]:
    """Environment whose preview-model cache already holds the session's preview models."""
    home = tmp_path_factory.mktemp("cli")
    cache = home / "cache"
    shutil.copytree(preview_models.base.parent, cache / "preview-models" / "micro")
    return os.environ | {
        "STORYITER_CACHE_DIR": str(cache),
        "STORYITER_CONFIG_DIR": str(home / "config"),
        "QT_QPA_PLATFORM": "offscreen",
    }


def storyboard(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    script = shutil.which("storyboard", path=str(BIN))
    assert script, "the storyboard console script is installed with the project"
    result = subprocess.run(
        [script, *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_new_render_history_choose_info_export(env, tmp_path):
    text = tmp_path / "rain.txt"
    text.write_text(STORY, encoding="utf-8")
    path = tmp_path / "rain.storyiter"
    out = storyboard(env, "new", str(path), "--from-text", str(text), "--title", "Rain")
    assert "3 frame(s), 1 cast member(s)" in out.stdout
    storyboard(env, "settings", str(path), "--size", "64x64", "--steps", "2", "--rounds", "3")

    rendered = storyboard(env, "render", str(path), "--rounds", "1", "--preview-models")
    assert "2 pass(es), 6 image(s) committed" in rendered.stdout
    assert "preview models" in rendered.stderr.lower()

    info = json.loads(storyboard(env, "info", str(path), "--json").stdout)
    assert info["title"] == "Rain"
    assert [f["index"] for f in info["frames"]] == [1, 2, 3]
    first = info["frames"][0]
    assert first["prompt"].startswith("best quality, high quality, comic a tall woman")
    assert {"id", "locked", "stale", "current_image", "images"} <= set(first)
    assert [(i["round"]) for i in first["images"]] == [0, 1]
    assert [p["status"] for p in info["passes"]] == ["complete", "complete"]
    assert all({"id", "status", "frames"} <= set(p) for p in info["passes"])

    history = json.loads(storyboard(env, "history", str(path), "--frame", "2", "--json").stdout)
    assert [i["round"] for i in history["images"]] == [0, 1]
    assert history["images"][1]["current"]
    round0 = history["images"][0]["id"]
    storyboard(env, "choose", str(path), "--frame", "2", "--image", str(round0))
    info = json.loads(storyboard(env, "info", str(path), "--json").stdout)
    assert info["frames"][1]["current_image"] == round0

    bad = storyboard(env, "choose", str(path), "--frame", "1", "--image", str(round0), ok=False)
    assert bad.returncode == 2 and "error:" in bad.stderr

    pdf = tmp_path / "rain.pdf"
    storyboard(env, "export", str(path), "--pdf", str(pdf), "--layout", "film")
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text_out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
        assert "She ran." in text_out.stdout

    sheet, gif, shots = tmp_path / "sheet.png", tmp_path / "animatic.gif", tmp_path / "shots.zip"
    storyboard(
        env, "export", str(path), "--png", str(sheet), "--gif", str(gif), "--zip", str(shots),
        "--poses", str(tmp_path / "poses"), "--images", "round:0",
    )  # fmt: skip
    assert Image.open(sheet).size[0] > 0
    assert Image.open(gif).n_frames == 3
    import zipfile

    assert len(zipfile.ZipFile(shots).namelist()) == 3


def test_stale_render_redraws_only_the_edited_frame(env, tmp_path):
    text = tmp_path / "rain.txt"
    text.write_text(STORY, encoding="utf-8")
    path = tmp_path / "rain.storyiter"
    storyboard(env, "new", str(path), "--from-text", str(text))
    storyboard(env, "settings", str(path), "--size", "64x64", "--steps", "2")
    storyboard(env, "render", str(path), "--rounds", "0", "--quiet")
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open(path) as store:
        store.update_frame(store.frames()[2].id, scene="in a storm")
    info = json.loads(storyboard(env, "info", str(path), "--json").stdout)
    assert [f["stale"] for f in info["frames"]] == [False, False, True]
    out = storyboard(env, "render", str(path), "--stale", "--quiet")
    assert "1 image(s) committed" in out.stdout
    info = json.loads(storyboard(env, "info", str(path), "--json").stdout)
    assert [len(f["images"]) for f in info["frames"]] == [1, 1, 2]


def test_bad_project_files_get_a_clear_message_and_stay_untouched(env, tmp_path):
    junk = tmp_path / "junk.storyiter"
    junk.write_bytes(os.urandom(4096))
    before = junk.read_bytes()
    result = storyboard(env, "info", str(junk), ok=False)
    assert result.returncode == 2
    assert str(junk) in result.stderr and "Traceback" not in result.stderr
    assert junk.read_bytes() == before


def test_models_check_reports_preview_models(env):
    out = storyboard(env, "models", "check")
    assert "preview models will be used" in out.stdout
    assert out.stdout.count(" ok ") == 5


def test_engine_render_writes_rounds_embeddings_and_manifest(preview_models, tmp_path):
    story = tmp_path / "story.json"
    story.write_text(
        json.dumps(
            {
                "frames": [
                    {"prompt": "a red kite over a beach"},
                    {"character": "a boy", "interaction": "flying a kite", "scene": "on a beach"},
                ]
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "engine", "render", "--story", str(story), "--out", str(out)]
    cmd += ["--models", str(preview_models.base.parent), "--rounds", "2", "--steps", "2"]
    cmd += ["--size", "64x64", "--seed", "5", "--device", "cpu"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    for r in range(3):
        assert Image.open(out / f"round-{r:02d}" / "frame-001.png").size == (64, 64)
        emb = np.load(out / f"round-{r:02d}" / "embeddings.npy")
        assert emb.shape[0] == 2 and emb.dtype == np.float32
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["rounds_completed"] == 3
    assert manifest["ip_scales"] == pytest.approx([0.0, 0.3, 0.5])
    assert manifest["image_encodes"] == 6  # N per round
    assert set(manifest["model_fingerprints"]) >= {"base", "image_encoder", "ip_adapter"}


@pytest.mark.parametrize(
    ("story", "message"),
    [
        (
            '{"frames": [{"prompt": "x", "pose": {"people": [{"pose_keypoints_2d": [1, 2]}]}}]}',
            "pose",
        ),
        (
            '{"frames": [{"prompt": "x", "pose": {"people": [{"pose_keypoints_2d": [NaN]}]}}]}',
            "pose",
        ),
        ('{"frames": []}', "non-empty"),
        ("not json", "not valid JSON"),
    ],
    ids=["short-pose", "nan-pose", "empty", "garbage"],
)
def test_engine_render_refuses_bad_stories(preview_models, tmp_path, story, message):
    path = tmp_path / "story.json"
    path.write_text(story, encoding="utf-8")
    cmd = [sys.executable, "-m", "engine", "render", "--story", str(path), "--out", str(tmp_path)]
    cmd += ["--models", str(preview_models.base.parent)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_engine_render_refuses_a_missing_models_folder(tmp_path):
    story = tmp_path / "story.json"
    story.write_text('{"frames": [{"prompt": "x"}]}', encoding="utf-8")
    cmd = [sys.executable, "-m", "engine", "render", "--story", str(story), "--out", str(tmp_path)]
    cmd += ["--models", str(tmp_path / "nowhere")]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2 and "no such folder" in result.stderr


def test_ctrl_c_cancels_cleanly_and_resume_finishes(env, tmp_path):
    import signal
    import time

    from storyboard_app.project.store import ProjectStore

    text = tmp_path / "rain.txt"
    text.write_text(
        "\n".join(f"a kite over the sea, panel {i}" for i in range(4)), encoding="utf-8"
    )
    path = tmp_path / "rain.storyiter"
    storyboard(env, "new", str(path), "--from-text", str(text))
    storyboard(env, "settings", str(path), "--size", "64x64", "--steps", "25", "--batch", "1")
    script = shutil.which("storyboard", path=str(BIN))
    proc = subprocess.Popen(
        [script, "render", str(path), "--rounds", "0", "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            with ProjectStore.open_reader(path) as reader:
                if any(p.status == "running" for p in reader.passes()) and any(
                    reader.images_of_frame(f.id) for f in reader.frames()
                ):
                    break
            time.sleep(0.2)
        assert proc.poll() is None, "the render ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "--resume" in out and "Traceback" not in err
    info = json.loads(storyboard(env, "info", str(path), "--json").stdout)
    assert info["passes"][0]["status"] == "cancelled"
    kept = sum(len(f["images"]) for f in info["frames"])
    assert 1 <= kept < 4
    storyboard(env, "settings", str(path), "--steps", "2")  # the pass keeps its own settings
    storyboard(env, "render", str(path), "--resume", "--quiet")
    info = json.loads(storyboard(env, "info", str(path), "--json").stdout)
    assert info["passes"][0]["status"] == "complete"
    assert [len(f["images"]) for f in info["frames"]] == [1] * 4


def _render_until_an_image_lands(env, path):
    """Start ``storyboard render``; return it once its running pass has committed an image."""
    import time

    from storyboard_app.project.store import ProjectStore

    script = shutil.which("storyboard", path=str(BIN))
    proc = subprocess.Popen(
        [script, "render", str(path), "--rounds", "3", "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        with ProjectStore.open_reader(path) as reader:
            running = [p for p in reader.passes() if p.status == "running"]
            if running and reader.images_of_pass(running[0].id):
                return proc
        time.sleep(0.2)
    proc.kill()
    out, err = proc.communicate()
    raise AssertionError(f"the render ended before it could be interrupted: {out}{err}")


def test_sigterm_and_sighup_cancel_like_ctrl_c(env, tmp_path):
    """A polite kill or a closed terminal: the pass ends cancelled, the lock is released."""
    import signal

    text = tmp_path / "sea.txt"
    text.write_text("\n".join(f"a boat at sea, panel {i}" for i in range(4)), encoding="utf-8")
    path = tmp_path / "sea.storyiter"
    storyboard(env, "new", str(path), "--from-text", str(text))
    storyboard(env, "settings", str(path), "--size", "64x64", "--steps", "25", "--batch", "1")
    cancelled = []
    for number in (signal.SIGTERM, signal.SIGHUP):
        proc = _render_until_an_image_lands(env, path)
        proc.send_signal(number)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, out + err
        assert "--resume" in out and "Traceback" not in err
        assert not path.with_name(path.name + ".lock").exists()
        info = json.loads(storyboard(env, "info", str(path), "--json").stdout)
        assert info["passes"][-1]["status"] == "cancelled", number
        cancelled.append(info["passes"][-1])
    # The second render's first pass drew every frame the first render's cancelled pass still
    # owed, against newer references: that pass is superseded; --resume finishes the newest.
    passes = {p["id"]: p for p in info["passes"]}
    earlier, latest = passes[cancelled[0]["id"]], passes[cancelled[1]["id"]]
    successor = min(i for i in passes if i > earlier["id"])
    assert earlier["superseded_by"] == successor and not earlier["resumable"]
    assert latest["resumable"]
    shown = storyboard(env, "info", str(path)).stdout
    assert f"pass {earlier['id']}: {earlier['kind']} cancelled, superseded by pass {successor}" in (
        shown
    )
    assert f"--resume` finishes pass {latest['id']}." in shown


def test_output_into_a_closed_pipe_is_not_called_a_damaged_project(env, tmp_path):
    # `storyboard info P | head -1`: the reader stops reading; that is no fault of the file.
    story = tmp_path / "s.txt"
    story.write_text("A | walks | at a pier\nB | waves | at a pier\n", encoding="utf-8")
    project = tmp_path / "p.storyiter"
    storyboard(env, "new", str(project), "--from-text", str(story))
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line is written
    done = subprocess.run(
        [shutil.which("storyboard", path=str(BIN)), "info", str(project)],
        env=env, stdout=write, stderr=subprocess.PIPE, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    os.close(write)
    assert done.returncode == 141, done.stderr
    assert done.stderr == "", done.stderr
