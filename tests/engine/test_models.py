"""Model loading: the h94 layout, and clear errors for every wrong or damaged model path."""

from __future__ import annotations

import json
import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.adapter_file import load_adapter_state
from engine.api import GenerationSettings, ModelPaths, RuntimeSettings
from engine.checkpoints import check_models
from engine.errors import ModelError, StyleError
from engine.models import ModelCache, load_models
from engine.story_iter import StoryFrame, StoryIterEngine, run_story

CPU = RuntimeSettings(device="cpu")


def _copy(paths: ModelPaths, tmp_path: Path) -> ModelPaths:
    root = tmp_path / "models"
    shutil.copytree(paths.base.parent, root)
    return ModelPaths.from_models_dir(root)


def _ip_processors(pipe) -> list[str]:
    return [
        name
        for name, proc in pipe.unet.attn_processors.items()
        if type(proc).__name__ == "IPAdapterAttnProcessor2_0"
    ]


def test_sdxl_topology_adapter_has_70_layers_keyed_1_to_139(preview_models_sdxl):
    state = load_adapter_state(preview_models_sdxl.ip_adapter)
    keys = sorted({int(k.split(".")[0]) for k in state["ip_adapter"]})
    assert keys == list(range(1, 140, 2))
    models = load_models(preview_models_sdxl, CPU)
    assert len(_ip_processors(models.base)) == 70


def test_bin_adapter_loads_like_safetensors(preview_models_sdxl, tmp_path):
    paths = _copy(preview_models_sdxl, tmp_path)
    nested = load_adapter_state(paths.ip_adapter)
    bin_path = paths.ip_adapter.with_suffix(".bin")
    torch.save(nested, bin_path)
    paths.ip_adapter.unlink()
    paths = ModelPaths.from_models_dir(paths.base.parent)
    assert paths.ip_adapter == bin_path
    models = load_models(paths, CPU)
    assert len(_ip_processors(models.base)) == 70
    proc = models.base.unet.attn_processors[_ip_processors(models.base)[0]]
    expected = nested["ip_adapter"]["1.to_k_ip.weight"]
    assert torch.equal(proc.to_k_ip[0].weight, expected)


def test_pickled_code_in_a_bin_adapter_never_runs(preview_models, tmp_path):
    marker = tmp_path / "ran"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    bad = tmp_path / "ip-adapter_sdxl.bin"
    bad.write_bytes(pickle.dumps({"image_proj": Exploit(), "ip_adapter": {}}, protocol=2))
    with pytest.raises(ModelError, match="is unsafe") as info:
        load_adapter_state(bad)
    assert "weights_only" not in str(info.value)  # never torch's advice to unpickle anyway
    rows = {n: status for n, _p, status in check_models(replace(preview_models, ip_adapter=bad))}
    assert "is unsafe" in rows["IP-Adapter"]
    assert not marker.exists()


def test_sd15_adapter_is_refused_with_a_hint(preview_models_sdxl, tmp_path):
    paths = _copy(preview_models_sdxl, tmp_path)
    flat = {
        "image_proj.proj.weight": torch.zeros(4 * 768, 1024),
        "image_proj.proj.bias": torch.zeros(4 * 768),
        "image_proj.norm.weight": torch.ones(768),
        "image_proj.norm.bias": torch.zeros(768),
    }
    for k in range(1, 32, 2):
        flat[f"ip_adapter.{k}.to_k_ip.weight"] = torch.zeros(320, 768)
        flat[f"ip_adapter.{k}.to_v_ip.weight"] = torch.zeros(320, 768)
    save_file(flat, paths.ip_adapter)
    with pytest.raises(ModelError, match=r"SD1\.5") as info:
        load_models(paths, CPU)
    assert str(paths.ip_adapter) in str(info.value)


def test_adapter_with_missing_layers_is_refused(preview_models_sdxl, tmp_path):
    paths = _copy(preview_models_sdxl, tmp_path)
    flat = load_file(paths.ip_adapter)
    for key in [k for k in flat if k.startswith(("ip_adapter.139.", "ip_adapter.137."))]:
        del flat[key]
    save_file(flat, paths.ip_adapter)
    with pytest.raises(ModelError, match="68 of 70 expected layers"):
        load_models(paths, CPU)


def test_plus_adapter_layout_is_refused(preview_models, tmp_path):
    paths = _copy(preview_models, tmp_path)
    flat = load_file(paths.ip_adapter)
    flat = {k.replace("image_proj.proj.", "image_proj.latents_proj."): v for k, v in flat.items()}
    save_file(flat, paths.ip_adapter)
    with pytest.raises(ModelError, match="not the plain ip-adapter_sdxl layout"):
        load_models(paths, CPU)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: shutil.rmtree(p.base), "does not exist"),
        (lambda p: [shutil.rmtree(p.base), p.base.mkdir()], "is empty"),
        (lambda p: shutil.rmtree(p.image_encoder), "image encoder: folder .* does not exist"),
        (lambda p: p.ip_adapter.unlink(), "does not exist"),
        (
            lambda p: (p.base / "model_index.json").write_text(
                json.dumps({"_class_name": "StableDiffusionPipeline"})
            ),
            r"SD1\.5",
        ),
        (
            lambda p: (p.image_encoder / "config.json").write_text(
                json.dumps({"model_type": "clip_text_model", "architectures": ["CLIPTextModel"]})
            ),
            "expected a CLIPVisionModelWithProjection",
        ),
    ],
    ids=["missing-base", "empty-base", "missing-encoder", "missing-adapter", "sd15", "text-model"],
)
def test_wrong_or_missing_paths_name_the_problem(preview_models, tmp_path, damage, message):
    paths = _copy(preview_models, tmp_path)
    damage(paths)
    with pytest.raises(ModelError, match=message):
        load_models(paths, CPU)


def test_truncated_safetensors_is_named(preview_models, tmp_path):
    paths = _copy(preview_models, tmp_path)
    weights = paths.base / "unet" / "diffusion_pytorch_model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match=r"truncated") as info:
        load_models(paths, CPU)
    assert "unet" in str(info.value)
    rows = {name: status for name, _p, status in check_models(paths)}
    assert "truncated" in rows["SDXL base"]
    assert rows["image encoder"] == "ok"


def test_check_models_reports_every_component(preview_models):
    rows = check_models(preview_models)
    assert [status for _n, _p, status in rows] == ["ok"] * 5
    missing = check_models(replace(preview_models, controlnet=None, lcm=None))
    assert [status for _n, _p, status in missing][-2:] == ["not configured"] * 2


def test_fast_and_controlnet_need_their_models(preview_models):
    from engine.api import FrameJob, PassRequest

    engine = StoryIterEngine(replace(preview_models, lcm=None), CPU)
    settings = GenerationSettings(steps=2, width=64, height=64, fast=True)
    with pytest.raises(ModelError, match="LCM"):
        list(engine.run_pass(PassRequest((FrameJob("a", "x", 1),), settings)))


def test_unknown_style_is_refused(preview_models):
    engine = StoryIterEngine(preview_models, CPU)
    settings = GenerationSettings(steps=2, width=64, height=64, style="baroque")
    with pytest.raises(StyleError, match="baroque"):
        run_story(engine, [StoryFrame("a", "x")], settings, rounds=0, seed=1)


def test_model_cache_reuses_pipelines(preview_models):
    cache = ModelCache()
    first = cache.get(preview_models, CPU)
    assert cache.get(preview_models, replace(CPU, batch_size=8)) is first
    assert cache.get(preview_models, replace(CPU, vae_tiling=True)) is not first
