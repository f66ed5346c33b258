"""The model files writers already have: every accepted layout checks and renders offline, and
every wrong file or pair is refused by the check before a weight is loaded."""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from engine.adapter_file import ip_layer_widths
from engine.api import GenerationSettings, ModelPaths, RuntimeSettings
from engine.checkpoints import check_models
from engine.errors import ModelError
from engine.models import load_models, unet_ip_layer_widths
from engine.story_iter import StoryFrame, StoryIterEngine, run_story
from tests.engine.layouts import COMFY_ENCODER

CPU = RuntimeSettings(device="cpu")
TINY = GenerationSettings(steps=1, width=64, height=64)
FRAMES = [StoryFrame("a", "a fox in a red scarf"), StoryFrame("b", "a fox by a campfire")]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every connection attempt off this machine fails (and is recorded); the hub's offline
    switch is turned off first, so only the engine's own switch keeps it off the network."""
    import huggingface_hub.constants

    attempts: list[object] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1"):
            attempts.append(address)
            raise OSError(f"network blocked by the test: {address}")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    return attempts


@pytest.fixture
def hub(model_trees: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HF_HUB_CACHE", str(model_trees / "hub"))
    return model_trees / "hub"


def _layout(name: str, trees: Path, preview: ModelPaths) -> ModelPaths:
    comfy, a1111 = trees / "ComfyUI" / "models", trees / "A1111" / "models"
    single = trees / "single" / "My Models" / "RealVisXL_V4.0.safetensors"
    return {
        "single-file": replace(preview, base=single),
        "fp16-variant": replace(
            preview,
            base=trees / "fp16" / "RealVisXL_V4.0",
            image_encoder=trees / "fp16" / "image_encoder",
        ),
        "hub-cache": ModelPaths(
            base=Path("SG161222/RealVisXL_V4.0"),
            image_encoder=Path("h94/IP-Adapter"),
            ip_adapter=Path("h94/IP-Adapter"),
            controlnet=Path("thibaud/controlnet-openpose-sdxl-1.0"),
            lcm=Path("latent-consistency/lcm-lora-sdxl"),
        ),
        "comfyui": ModelPaths(
            base=comfy / "checkpoints" / "RealVisXL_V4.0.safetensors",
            image_encoder=comfy / "clip_vision" / COMFY_ENCODER,
            ip_adapter=comfy / "ipadapter" / "ip-adapter_sdxl.safetensors",
            controlnet=comfy / "controlnet" / "OpenPoseXL2.safetensors",
            lcm=comfy / "loras" / "lcm-lora-sdxl.safetensors",
        ),
        "a1111": ModelPaths(
            base=a1111 / "Stable-diffusion" / "RealVisXL_V4.0.safetensors",
            image_encoder=preview.image_encoder,  # A1111 has no CLIP-vision folder
            ip_adapter=a1111 / "ControlNet" / "ip-adapter_sdxl.safetensors",
            controlnet=a1111 / "ControlNet" / "OpenPoseXL2.safetensors",
            lcm=a1111 / "Lora" / "lcm-lora-sdxl.safetensors",
        ),
    }[name]


@pytest.fixture(scope="module")
def folder_render(preview_models: ModelPaths) -> list:
    """The same tiny story on the plain preview folders, to compare each layout against."""
    history = run_story(StoryIterEngine(preview_models, CPU), FRAMES, TINY, rounds=1, seed=5)
    return [np.asarray(res.image) for res in history[-1]]


@pytest.mark.parametrize("layout", ["single-file", "fp16-variant", "hub-cache", "comfyui", "a1111"])
def test_layout_checks_and_renders_offline(
    layout, model_trees, preview_models, hub, no_network, folder_render
):
    paths = _layout(layout, model_trees, preview_models)
    rows = check_models(paths)
    assert [status for _n, _p, status in rows] == ["ok"] * 5, rows
    engine = StoryIterEngine(paths, CPU)
    history = run_story(engine, FRAMES, TINY, rounds=1, seed=5)
    fast = run_story(engine, FRAMES[:1], replace(TINY, fast=True), rounds=0, seed=5)
    assert no_network == []
    assert len(history) == 2 and len(fast) == 1
    ours = [np.asarray(res.image) for res in history[-1]]
    limit = 8 if layout == "fp16-variant" else 0  # fp16-rounded weights, else the same bytes
    for a, b in zip(ours, folder_render, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= limit, layout


def test_paths_may_be_relative_under_home_and_contain_spaces(
    model_trees, preview_models, monkeypatch
):
    monkeypatch.setenv("HOME", str(model_trees))
    monkeypatch.chdir(model_trees / "single")
    paths = replace(
        preview_models,
        base=Path("~/single/My Models/RealVisXL_V4.0.safetensors"),
        ip_adapter=Path("../ComfyUI/models/ipadapter/ip-adapter_sdxl.safetensors"),
    )
    rows = check_models(paths)
    assert [status for _n, _p, status in rows] == ["ok"] * 5, rows
    assert rows[0][1] == model_trees / "single" / "My Models" / "RealVisXL_V4.0.safetensors"


def test_a_repo_missing_from_the_hub_cache_is_named(hub, preview_models):
    rows = check_models(replace(preview_models, base=Path("stabilityai/sdxl-turbo")))
    assert "stabilityai/sdxl-turbo" in rows[0][2] and "Hugging Face cache" in rows[0][2]


@pytest.mark.parametrize("keys", ["kohya", "diffusers"])
def test_lcm_lora_is_fused_into_fast_modes_own_unet(model_trees, preview_models, keys):
    lora = model_trees / "loras" / keys / "pytorch_lora_weights.safetensors"
    models = load_models(replace(preview_models, lcm=lora), CPU)
    base_before = {k: v.clone() for k, v in models.base.unet.state_dict().items()}
    fast = models.pipeline(fast=True, controlnet=False)
    assert fast.unet is not models.base.unet
    assert type(fast.scheduler).__name__ == "LCMScheduler"
    name = "down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q"
    flat = load_file(lora)
    if keys == "kohya":
        key = "lora_unet_" + name.replace(".", "_")
        down, up = flat[f"{key}.lora_down.weight"], flat[f"{key}.lora_up.weight"]
        scale = float(flat[f"{key}.alpha"]) / down.shape[0]
    else:
        down, up = flat[f"unet.{name}.lora_A.weight"], flat[f"unet.{name}.lora_B.weight"]
        scale = 1.0
    fused = dict(fast.unet.named_parameters())[f"{name}.weight"]
    expected = base_before[f"{name}.weight"] + scale * up @ down
    assert torch.allclose(fused, expected, atol=1e-5)
    after = models.base.unet.state_dict()
    assert all(torch.equal(after[k], v) for k, v in base_before.items())  # standard untouched
    assert not any("lora" in k for k in fast.unet.state_dict())  # plain weights after fusing


@pytest.mark.parametrize("profile", ["preview_models", "preview_models_sdxl"])
def test_adapter_layer_widths_from_the_unet_config(profile, request):
    from diffusers import UNet2DConditionModel

    paths = request.getfixturevalue(profile)
    unet = UNet2DConditionModel.from_pretrained(paths.base / "unet", local_files_only=True)
    assert ip_layer_widths(dict(unet.config)) == unet_ip_layer_widths(unet)


# ----------------------------------------------------------------- refused before loading


def _tensors(keys: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    return {k: torch.zeros(shape) for k, shape in keys.items()}


_TEXT_1 = "conditioner.embedders.0.transformer.text_model.embeddings.position_embedding.weight"
_WRONG_CHECKPOINTS = {
    "sd15": (
        {
            "model.diffusion_model.output_blocks.11.0.skip_connection.weight": (4, 4),
            "model.diffusion_model.input_blocks.0.0.weight": (320, 4, 3, 3),
            "cond_stage_model.transformer.text_model.embeddings.position_embedding.weight": (77, 8),
        },
        r"SD1\.5",
    ),
    "sd2": (
        {
            "model.diffusion_model.input_blocks.2.1.transformer_blocks.0.attn2.to_k.weight": (
                320,
                1024,
            ),
            "model.diffusion_model.input_blocks.0.0.weight": (320, 4, 3, 3),
        },
        "Stable Diffusion 2",
    ),
    "refiner": (
        {
            "conditioner.embedders.0.model.transformer.resblocks.9.mlp.c_proj.bias": (8,),
            "model.diffusion_model.input_blocks.0.0.weight": (384, 4, 3, 3),
        },
        "refiner",
    ),
    "inpaint": (
        {
            "conditioner.embedders.1.model.transformer.resblocks.9.mlp.c_proj.bias": (8,),
            "model.diffusion_model.input_blocks.0.0.weight": (320, 9, 3, 3),
            _TEXT_1: (77, 8),
        },
        "inpainting",
    ),
}


def _refused_before_loading(paths: ModelPaths, monkeypatch) -> str:
    """load_models' message for ``paths``, asserting that no weights were read before it."""
    import diffusers
    import safetensors.torch
    import transformers

    loads: list[str] = []

    def record(name):
        def fake(*args, **kwargs):
            loads.append(name)
            raise AssertionError(f"{name} ran before the refusal")

        return fake

    monkeypatch.setattr(safetensors.torch, "load_file", record("safetensors.load_file"))
    for cls in (diffusers.StableDiffusionXLPipeline, transformers.CLIPVisionModelWithProjection):
        monkeypatch.setattr(cls, "from_pretrained", record(f"{cls.__name__}.from_pretrained"))
    monkeypatch.setattr(
        diffusers.StableDiffusionXLPipeline, "from_single_file", record("from_single_file")
    )
    with pytest.raises(ModelError) as info:
        load_models(paths, CPU)
    assert loads == []
    return str(info.value)


@pytest.mark.parametrize("kind", sorted(_WRONG_CHECKPOINTS))
def test_wrong_single_files_are_named_by_check(kind, preview_models, tmp_path, monkeypatch):
    keys, message = _WRONG_CHECKPOINTS[kind]
    path = tmp_path / f"{kind}.safetensors"
    save_file(_tensors(keys), path)
    paths = replace(preview_models, base=path)
    rows = {name: status for name, _p, status in check_models(paths)}
    assert rows["SDXL base"] != "ok"
    assert re.search(message, rows["SDXL base"]), rows["SDXL base"]
    assert str(path) in rows["SDXL base"]
    assert re.search(message, _refused_before_loading(paths, monkeypatch))


def _adapter(preview: ModelPaths, dest: Path, *, token_width: int, image_width: int) -> Path:
    flat = load_file(preview.ip_adapter)
    out = {
        "image_proj.proj.weight": torch.zeros(4 * token_width, image_width),
        "image_proj.proj.bias": torch.zeros(4 * token_width),
        "image_proj.norm.weight": torch.ones(token_width),
        "image_proj.norm.bias": torch.zeros(token_width),
    }
    for key, value in flat.items():
        if key.startswith("ip_adapter."):
            out[key] = torch.zeros(value.shape[0], token_width)
    save_file(out, dest)
    return dest


def test_adapter_token_width_against_the_unet_is_checked(preview_models, tmp_path, monkeypatch):
    bad = _adapter(
        preview_models, tmp_path / "ip-adapter_sd15.safetensors", token_width=768, image_width=32
    )
    paths = replace(preview_models, ip_adapter=bad)
    rows = {name: status for name, _p, status in check_models(paths)}
    assert "768-wide tokens" in rows["IP-Adapter"] and "SD1.5" in rows["IP-Adapter"]
    assert "768-wide tokens" in _refused_before_loading(paths, monkeypatch)


def test_adapter_image_width_against_the_encoder_is_checked(preview_models, tmp_path, monkeypatch):
    bad = _adapter(
        preview_models, tmp_path / "ip-adapter_vit-h.safetensors", token_width=64, image_width=24
    )
    paths = replace(preview_models, ip_adapter=bad)
    rows = {name: status for name, _p, status in check_models(paths)}
    assert "24-wide image embeddings" in rows["IP-Adapter"]
    assert "gives 32" in rows["IP-Adapter"]
    assert "24-wide" in _refused_before_loading(paths, monkeypatch)


class _Exploit:
    """Unpickling this runs code: it touches ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _booby_trapped_encoder(preview_models: ModelPaths, tmp_path: Path) -> tuple[Path, Path]:
    """An image-encoder folder whose pickled weights would run code (the marker file)."""
    import pickle

    encoder = tmp_path / "image_encoder"
    encoder.mkdir()
    (encoder / "config.json").write_bytes(
        (preview_models.image_encoder / "config.json").read_bytes()
    )
    marker = tmp_path / "ran"
    (encoder / "pytorch_model.bin").write_bytes(pickle.dumps({"w": _Exploit(marker)}))
    return encoder, marker


def test_pickled_image_encoder_is_named_unsafe_not_a_traceback(preview_models, tmp_path):
    encoder, marker = _booby_trapped_encoder(preview_models, tmp_path)
    rows = {
        name: status
        for name, _p, status in check_models(replace(preview_models, image_encoder=encoder))
    }
    assert "is unsafe" in rows["image encoder"]
    with pytest.raises(ModelError, match="is unsafe"):
        load_models(replace(preview_models, image_encoder=encoder), CPU)
    (encoder / "pytorch_model.bin").write_bytes(b"\x80\x04 not really a pickle")
    rows = {
        name: status
        for name, _p, status in check_models(replace(preview_models, image_encoder=encoder))
    }
    assert "is unreadable" in rows["image encoder"]
    assert not marker.exists()


def test_fp16_folder_and_lora_layouts_are_reported(model_trees, preview_models):
    from engine.model_sources import Layout, describe_layout

    assert describe_layout(model_trees / "fp16" / "RealVisXL_V4.0") is Layout.FOLDER_FP16
    assert describe_layout(preview_models.base) is Layout.FOLDER
    lora = model_trees / "loras" / "kohya" / "pytorch_lora_weights.safetensors"
    assert describe_layout(lora, lora=True) is Layout.LORA


@pytest.mark.parametrize("layout", ["single-file", "comfyui"])
def test_the_apps_check_in_a_child_process_says_what_the_check_says(
    layout, model_trees, preview_models, hub
):
    from engine.check_process import check_models_apart

    paths = _layout(layout, model_trees, preview_models)
    here = [(name, str(path or ""), status) for name, path, status in check_models(paths)]
    assert check_models_apart(paths) == here


def test_the_apps_check_names_a_pickle_unsafe_and_a_silent_child_as_such(
    preview_models, tmp_path, monkeypatch
):
    import sys

    from engine.check_process import check_models_apart

    encoder, marker = _booby_trapped_encoder(preview_models, tmp_path)
    rows = {n: s for n, _p, s in check_models_apart(replace(preview_models, image_encoder=encoder))}
    assert "is unsafe" in rows["image encoder"] and not marker.exists()
    monkeypatch.setattr(sys, "executable", "/bin/false")  # a child that dies without a word
    with pytest.raises(ModelError, match="The model check stopped: exit status 1"):
        check_models_apart(preview_models)
