"""`storyboard models scan / set --scan / check` on the trees users have, as a user runs them;
and renders on preview models at preview size."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess

import pytest

from tests.engine.layouts import COMFY_ENCODER
from tests.test_cli import BIN, storyboard


@pytest.fixture
def env(model_trees, preview_models, tmp_path) -> dict[str, str]:
    cache = tmp_path / "cache"
    shutil.copytree(preview_models.base.parent, cache / "preview-models" / "micro")
    return os.environ | {
        "STORYITER_CACHE_DIR": str(cache),
        "STORYITER_CONFIG_DIR": str(tmp_path / "config"),
        "HF_HUB_CACHE": str(model_trees / "hub"),
        "QT_QPA_PLATFORM": "offscreen",
    }


def test_scan_set_and_check_an_a1111_tree(env, model_trees, tmp_path):
    a1111 = model_trees / "A1111" / "models"
    scanned = storyboard(env, "models", "scan", str(a1111), "--json")
    found = json.loads(scanned.stdout)
    roles = {c["role"]: c["source"] for c in found["candidates"]}
    assert roles == {
        "base": str(a1111 / "Stable-diffusion" / "RealVisXL_V4.0.safetensors"),
        "ip_adapter": str(a1111 / "ControlNet" / "ip-adapter_sdxl.safetensors"),
        "controlnet": str(a1111 / "ControlNet" / "OpenPoseXL2.safetensors"),
        "lcm": str(a1111 / "Lora" / "lcm-lora-sdxl.safetensors"),
    }

    out = storyboard(env, "models", "set", "--scan", str(a1111)).stdout
    assert "chose    SDXL base model" in out
    # A1111 has no CLIP-vision folder: the encoder comes from the hub cache, and it says so.
    assert "IP-Adapter image encoder: h94/IP-Adapter" in out
    assert f"no CLIP-vision model under {a1111}" in out
    saved = json.loads((tmp_path / "config" / "models.json").read_text())
    assert saved["base"] == roles["base"] and saved["image_encoder"] == "h94/IP-Adapter"

    checked = storyboard(env, "models", "check").stdout
    assert checked.count("  ok  ") == 5, checked
    assert "[single file]" in checked and "[LoRA file]" in checked


def test_set_without_an_encoder_anywhere_says_what_is_missing(env, model_trees, tmp_path):
    no_hub = env | {"HF_HUB_CACHE": str(tmp_path / "empty-hub")}
    out = storyboard(no_hub, "models", "set", "--scan", str(model_trees / "A1111" / "models"))
    assert "missing  IP-Adapter image encoder" in out.stdout
    assert "CLIP-ViT-bigG-14-laion2B-39B-b160k.safetensors" in out.stdout


def test_set_stores_absolute_paths_and_check_names_a_wrong_file(env, model_trees, tmp_path):
    comfy = model_trees / "ComfyUI" / "models"
    storyboard(env, "models", "scan", str(comfy))  # the plain listing runs too
    vae = (
        model_trees / "fp16" / "RealVisXL_V4.0" / "vae" / "diffusion_pytorch_model.fp16.safetensors"
    )
    shutil.copyfile(vae, tmp_path / "not a checkpoint.safetensors")
    script = shutil.which("storyboard", path=str(BIN))
    result = subprocess.run(
        [script, "models", "set", "--scan", str(comfy), "--base", "not a checkpoint.safetensors"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "config" / "models.json").read_text())
    assert saved["base"] == str(tmp_path / "not a checkpoint.safetensors")
    assert saved["image_encoder"] == str(comfy / "clip_vision" / COMFY_ENCODER)
    checked = storyboard(env, "models", "check", ok=False)
    assert checked.returncode == 1
    assert "!!  SDXL base" in checked.stdout and "not an SDXL checkpoint" in checked.stdout
    assert "Traceback" not in checked.stdout + checked.stderr


def test_preview_render_uses_preview_size_and_says_so(env, tmp_path):
    path = tmp_path / "p.storyiter"
    text = tmp_path / "s.txt"
    text.write_text("a fox in the snow\na fox on a lake\n", encoding="utf-8")
    storyboard(env, "new", str(path), "--from-text", str(text))
    out = storyboard(env, "render", str(path), "--rounds", "0", "--preview-models")
    assert "drawing at 128×128, 8 steps" in out.stderr
    with sqlite3.connect(path) as db:
        sizes = {row[0] for row in db.execute("SELECT width || 'x' || height FROM image")}
        steps = {json.loads(r[0])["steps"] for r in db.execute("SELECT record_json FROM image")}
    assert (sizes, steps) == ({"128x128"}, {8})
    # sizes the writer set are the writer's: only the default steps are replaced
    storyboard(env, "settings", str(path), "--size", "64x64")
    out = storyboard(env, "render", str(path), "--rounds", "1", "--preview-models")
    assert "drawing at 64×64, 8 steps" in out.stderr
    with sqlite3.connect(path) as db:
        last = db.execute("SELECT width, height FROM image ORDER BY id DESC LIMIT 1").fetchone()
    assert last == (64, 64)
