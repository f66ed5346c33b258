"""Preview models: the real downloads' layout, loadable by diffusers, deterministic, atomic."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import (
    ControlNetModel,
    LCMScheduler,
    StableDiffusionXLControlNetPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from diffusers.models.attention_processor import IPAdapterAttnProcessor2_0
from PIL import Image
from safetensors import safe_open
from transformers import CLIPImageProcessor, CLIPTokenizer, CLIPVisionModelWithProjection

from engine import preview_models as pm
from engine.api import ModelPaths
from engine.errors import ModelError
from engine.preview_models import (
    PROFILES,
    ensure_preview_models,
    make_preview_models,
    preview_profile,
)

PROMPT = "a photo of a cat"
FIXTURE_OF = {"micro": "preview_models", "sdxl": "preview_models_sdxl"}
EXPECTED_FILES = {
    "PREVIEW_MODELS.json",
    "sdxl/model_index.json",
    "sdxl/scheduler/scheduler_config.json",
    "sdxl/unet/config.json",
    "sdxl/unet/diffusion_pytorch_model.safetensors",
    "sdxl/vae/config.json",
    "sdxl/vae/diffusion_pytorch_model.safetensors",
    "sdxl/text_encoder/config.json",
    "sdxl/text_encoder/model.safetensors",
    "sdxl/text_encoder_2/config.json",
    "sdxl/text_encoder_2/model.safetensors",
    *(
        f"sdxl/{tok}/{name}"
        for tok in ("tokenizer", "tokenizer_2")
        for name in ("merges.txt", "special_tokens_map.json", "tokenizer_config.json", "vocab.json")
    ),
    "ip-adapter/sdxl_models/ip-adapter_sdxl.safetensors",
    "ip-adapter/sdxl_models/image_encoder/config.json",
    "ip-adapter/sdxl_models/image_encoder/model.safetensors",
    "controlnet-openpose/config.json",
    "controlnet-openpose/diffusion_pytorch_model.safetensors",
    "lcm-unet/config.json",
    "lcm-unet/diffusion_pytorch_model.safetensors",
}


def _root(paths: ModelPaths) -> Path:
    return paths.base.parent


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _config(folder: Path, name: str = "config.json") -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _generate(pipe, **kwargs) -> np.ndarray:
    pipe.set_progress_bar_config(disable=True)
    generator = torch.Generator().manual_seed(0)
    images = pipe(PROMPT, num_inference_steps=2, generator=generator, output_type="np", **kwargs)
    return images.images


@pytest.fixture(params=PROFILES)
def built(request: pytest.FixtureRequest) -> ModelPaths:
    return request.getfixturevalue(FIXTURE_OF[request.param])


# --------------------------------------------------------------------------- layout


def test_layout_is_the_real_downloads_layout(built: ModelPaths):
    root = _root(built)
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert files == EXPECTED_FILES
    assert [p.name for p in root.parent.iterdir()] == [root.name]  # no staging leftovers
    profile = preview_profile(root)
    assert profile in PROFILES
    assert _config(root, "PREVIEW_MODELS.json") == {
        "profile": profile,
        "layout_version": 2,
        "note": "random weights; images are noise",
    }
    adapter_dir = root / "ip-adapter" / "sdxl_models"
    assert built == ModelPaths(
        base=root / "sdxl",
        image_encoder=adapter_dir / "image_encoder",
        ip_adapter=adapter_dir / "ip-adapter_sdxl.safetensors",
        controlnet=root / "controlnet-openpose",
        lcm=root / "lcm-unet",
        preview=True,
    )
    # safetensors writes 0600; every file must be as readable as a download would be.
    mode = (root / "PREVIEW_MODELS.json").stat().st_mode
    assert {(root / f).stat().st_mode for f in files} == {mode}


def test_configs_carry_the_values_the_pipelines_rely_on(built: ModelPaths):
    unet = _config(built.base / "unet")
    assert unet["time_cond_proj_dim"] is None
    assert unet["addition_embed_type"] == "text_time"
    vae_levels = len(_config(built.base / "vae")["block_out_channels"])
    assert unet["sample_size"] * 2 ** (vae_levels - 1) == 64  # SDXL's x8 latents, 64 px default
    lcm = _config(built.lcm)
    assert lcm.pop("time_cond_proj_dim") == 256
    assert lcm == {k: v for k, v in unet.items() if k != "time_cond_proj_dim"}
    for name in ("text_encoder", "text_encoder_2"):
        text = _config(built.base / name)
        assert (text["vocab_size"], text["bos_token_id"], text["eos_token_id"]) == (
            49408,
            49406,
            49407,
        )
    projection = _config(built.base / "text_encoder_2")["projection_dim"]
    time_dim = unet["addition_time_embed_dim"]
    assert unet["projection_class_embeddings_input_dim"] == 6 * time_dim + projection
    encoder = _config(built.image_encoder)
    assert encoder["image_size"] == 224
    with safe_open(built.ip_adapter, "pt") as f:
        assert f.get_slice("image_proj.proj.weight").get_shape() == [
            4 * unet["cross_attention_dim"],
            encoder["projection_dim"],
        ]
    assert _config(built.controlnet)["addition_embed_type"] == "text_time"
    scheduler = _config(built.base / "scheduler", "scheduler_config.json")
    assert scheduler["_class_name"] == "DDIMScheduler"
    assert (scheduler["beta_schedule"], scheduler["steps_offset"]) == ("scaled_linear", 1)


def test_tokenizers_are_the_real_clip_bpe(preview_models: ModelPaths):
    first = CLIPTokenizer.from_pretrained(preview_models.base / "tokenizer", local_files_only=True)
    second = CLIPTokenizer.from_pretrained(
        preview_models.base / "tokenizer_2", local_files_only=True
    )
    for tokenizer in (first, second):
        assert tokenizer(PROMPT).input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
        assert tokenizer.model_max_length == 77
    assert (first.pad_token, first.pad_token_id) == ("<|endoftext|>", 49407)
    assert (second.pad_token, second.pad_token_id) == ("!", 0)


# --------------------------------------------------------------------------- loading


def test_sdxl_profile_has_the_sdxl_ip_adapter_layout(preview_models_sdxl: ModelPaths):
    paths = preview_models_sdxl
    with safe_open(paths.ip_adapter, "pt") as f:
        keys = set(f.keys())
        widths = [
            f.get_slice(f"ip_adapter.{k}.to_k_ip.weight").get_shape()[0] for k in range(1, 140, 2)
        ]
    image_proj = {
        f"image_proj.{n}" for n in ("proj.weight", "proj.bias", "norm.weight", "norm.bias")
    }
    layers = {f"ip_adapter.{k}.to_{kv}_ip.weight" for k in range(1, 140, 2) for kv in "kv"}
    assert keys == image_proj | layers
    # h94 order: down_blocks.1 (640), down_blocks.2 (1280), up_blocks.0 (1280),
    # up_blocks.1 (640), mid_block (1280) -- here at widths 32 and 64.
    assert widths == [32] * 4 + [64] * 20 + [64] * 30 + [32] * 6 + [64] * 10

    pipe = StableDiffusionXLPipeline.from_pretrained(paths.base, local_files_only=True)
    assert 5e6 < sum(p.numel() for p in pipe.unet.parameters()) < 7e6
    pipe.load_ip_adapter(
        str(paths.ip_adapter.parent),
        subfolder="",
        weight_name=paths.ip_adapter.name,
        image_encoder_folder=None,
    )
    processors = pipe.unet.attn_processors.values()
    assert sum(isinstance(p, IPAdapterAttnProcessor2_0) for p in processors) == 70


@pytest.fixture(scope="module")
def micro_pipe(preview_models: ModelPaths) -> StableDiffusionXLPipeline:
    pipe = StableDiffusionXLPipeline.from_pretrained(preview_models.base, local_files_only=True)
    # The call a user of the real h94 download makes: repository root, subfolder, encoder.
    pipe.load_ip_adapter(
        str(preview_models.ip_adapter.parent.parent),
        subfolder="sdxl_models",
        weight_name="ip-adapter_sdxl.safetensors",
        image_encoder_folder="image_encoder",
    )
    return pipe


def test_micro_pipeline_draws_64px_with_reference_embeddings(
    preview_models: ModelPaths, micro_pipe: StableDiffusionXLPipeline
):
    assert sum(p.numel() for p in micro_pipe.unet.parameters()) < 400_000
    rng = np.random.default_rng(0)
    references = [Image.fromarray(rng.integers(0, 256, (256, 256, 3), np.uint8)) for _ in "ab"]
    encoder = CLIPVisionModelWithProjection.from_pretrained(
        preview_models.image_encoder, local_files_only=True
    )
    with torch.no_grad():
        pixels = CLIPImageProcessor()(images=references, return_tensors="pt").pixel_values
        embeds = encoder(pixel_values=pixels).image_embeds
        # The processor diffusers builds for the encoder is the standard 224 px one.
        own = micro_pipe.feature_extractor(images=references, return_tensors="pt").pixel_values
        assert torch.equal(micro_pipe.image_encoder(pixel_values=own).image_embeds, embeds)
    both = torch.stack([torch.zeros_like(embeds), embeds])  # (2, N, D): [negative; references]
    micro_pipe.set_ip_adapter_scale(0.5)
    with_refs = _generate(micro_pipe, guidance_scale=5.0, ip_adapter_image_embeds=[both])
    without = _generate(
        micro_pipe, guidance_scale=5.0, ip_adapter_image_embeds=[torch.zeros_like(both)]
    )
    assert with_refs.shape == (1, 64, 64, 3)  # the default size: sample_size 8 x VAE factor 8
    assert np.isfinite(with_refs).all()
    assert np.abs(with_refs - without).max() > 1e-3  # the adapter's weights are not inert


def test_lcm_unet_swaps_in_and_turns_guidance_off(preview_models: ModelPaths):
    lcm = UNet2DConditionModel.from_pretrained(preview_models.lcm, local_files_only=True)
    assert lcm.config.time_cond_proj_dim == 256
    pipe = StableDiffusionXLPipeline.from_pretrained(
        preview_models.base, unet=lcm, local_files_only=True
    )
    pipe.scheduler = LCMScheduler.from_config(pipe.scheduler.config)
    images = _generate(pipe, guidance_scale=5.0, height=64, width=64)
    assert images.shape == (1, 64, 64, 3)
    assert np.isfinite(images).all()
    assert pipe.do_classifier_free_guidance is False


def test_controlnet_pipeline_runs_and_the_pose_matters(preview_models: ModelPaths):
    controlnet = ControlNetModel.from_pretrained(preview_models.controlnet, local_files_only=True)
    pipe = StableDiffusionXLControlNetPipeline.from_pretrained(
        preview_models.base, controlnet=controlnet, local_files_only=True
    )
    blank = Image.new("RGB", (64, 64))
    pose = Image.new("RGB", (64, 64))
    pose.paste((255, 0, 0), (20, 8, 44, 56))
    images = _generate(pipe, image=blank, guidance_scale=5.0)
    posed = _generate(pipe, image=pose, guidance_scale=5.0)
    assert images.shape == posed.shape == (1, 64, 64, 3)
    assert np.isfinite(images).all() and np.isfinite(posed).all()
    assert np.abs(images - posed).max() > 1e-3


# --------------------------------------------------------------------------- building


def test_rebuild_is_byte_identical_and_leaves_global_rng_alone(built: ModelPaths, tmp_path: Path):
    torch.manual_seed(1234)
    expected_draw = torch.rand(3)
    torch.manual_seed(1234)
    again = make_preview_models(tmp_path / "again", preview_profile(_root(built)))
    assert torch.equal(torch.rand(3), expected_draw)
    assert _digests(_root(again)) == _digests(_root(built))


def test_ensure_reuses_a_complete_build(preview_models: ModelPaths):
    root = _root(preview_models)
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    assert ensure_preview_models(root, "micro") == preview_models
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before


def _remove_marker(root: Path) -> None:
    (root / "PREVIEW_MODELS.json").unlink()


def _older_layout(root: Path) -> None:
    marker = root / "PREVIEW_MODELS.json"
    marker.write_text(json.dumps({"profile": "micro", "layout_version": 0}), encoding="utf-8")


def _other_profile(root: Path) -> None:
    marker = root / "PREVIEW_MODELS.json"
    marker.write_text(json.dumps({"profile": "sdxl", "layout_version": 1}), encoding="utf-8")


def _damaged_marker(root: Path) -> None:
    (root / "PREVIEW_MODELS.json").write_text('{"profile": "mic', encoding="utf-8")


def _missing_weights(root: Path) -> None:
    (root / "lcm-unet" / "diffusion_pytorch_model.safetensors").unlink()


@pytest.mark.parametrize(
    "damage", [_remove_marker, _older_layout, _other_profile, _damaged_marker, _missing_weights]
)
def test_a_damaged_build_is_not_taken_for_complete(
    preview_models: ModelPaths, tmp_path: Path, damage
):
    root = tmp_path / "models"
    shutil.copytree(_root(preview_models), root)
    assert preview_profile(root) == "micro"
    damage(root)
    assert preview_profile(root) != "micro"


def test_ensure_rebuilds_an_incomplete_build(preview_models: ModelPaths, tmp_path: Path):
    root = tmp_path / "models"
    shutil.copytree(_root(preview_models), root)
    _remove_marker(root)
    (root / "lcm-unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"trunc")
    paths = ensure_preview_models(root, "micro")
    assert paths == ModelPaths.from_models_dir(root)
    assert paths.preview
    assert _digests(root) == _digests(_root(preview_models))
    assert [p.name for p in tmp_path.iterdir()] == ["models"]  # the old folder is gone


def test_interrupted_build_leaves_the_previous_folder_untouched(
    preview_models: ModelPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def fail(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pm, "_write_lcm_unet", fail)
    with pytest.raises(KeyboardInterrupt):
        make_preview_models(tmp_path / "fresh", "micro")
    assert list(tmp_path.iterdir()) == []

    root = tmp_path / "models"
    shutil.copytree(_root(preview_models), root)
    _remove_marker(root)
    before = _digests(root)
    with pytest.raises(KeyboardInterrupt):
        ensure_preview_models(root, "micro")
    assert _digests(root) == before
    assert [p.name for p in tmp_path.iterdir()] == ["models"]


# --------------------------------------------------------------------------- refusals


def test_unknown_profile_names_the_valid_ones(tmp_path: Path):
    with pytest.raises(ModelError, match="micro, sdxl"):
        make_preview_models(tmp_path / "models", "sd15")
    with pytest.raises(ModelError, match="micro, sdxl"):
        ensure_preview_models(tmp_path / "models", "large")
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_folder_needs_overwrite(tmp_path: Path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "sdxl").mkdir()
    with pytest.raises(ModelError, match="not empty"):
        make_preview_models(tmp_path / "models", "micro")
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["sdxl"]


def test_real_models_are_never_replaced(tmp_path: Path):
    foreign = tmp_path / "mine"
    (foreign / "sdxl").mkdir(parents=True)
    (foreign / "notes.txt").write_text("my notes", encoding="utf-8")
    with pytest.raises(ModelError, match=r"notes\.txt"):
        ensure_preview_models(foreign, "micro")

    real = tmp_path / "real"
    weights = real / "sdxl" / "unet" / "diffusion_pytorch_model.safetensors"
    weights.parent.mkdir(parents=True)
    with open(weights, "wb") as f:
        f.truncate(100 * 1024 * 1024)  # sparse: the size of a real file, no disk used
    with pytest.raises(ModelError, match="real models"):
        make_preview_models(real, "micro", overwrite=True)
    assert weights.stat().st_size == 100 * 1024 * 1024
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "real"]
