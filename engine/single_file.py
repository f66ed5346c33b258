"""Single-file checkpoints: what a file holds, read from its header, and the configs to load it.

A single ``.safetensors`` file carries weights but no configs. Its header (tensor names and
shapes) says what it is — diffusers' own ``infer_diffusers_model_type`` on header-only
tensors tells SDXL from SD1.5, SD2, the refiner or an inpainting model in milliseconds — and
which architecture it has. The configs diffusers needs to load it come from
``resources/model-configs`` (the published SDXL, ControlNet and ViT-bigG/14 configs) or,
for single files made from the preview models, from the preview profiles; never the network.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ModelError
from engine.preview_configs import PROFILES

CONFIGS_DIR = Path(__file__).resolve().parent.parent / "resources" / "model-configs"

# Keys of the original (LDM) SDXL checkpoint layout, as A1111/ComfyUI/Civitai files use it.
_LDM_UNET_CONV_IN = "model.diffusion_model.input_blocks.0.0.weight"
_LDM_TEXT_1 = "conditioner.embedders.0.transformer.text_model.embeddings.position_embedding.weight"
_LDM_TEXT_2 = "conditioner.embedders.1.model.positional_embedding"
_LDM_INPUT_BLOCK = re.compile(r"^model\.diffusion_model\.input_blocks\.(\d+)\.")
_ENCODER_LAYER = re.compile(r"^vision_model\.encoder\.layers\.(\d+)\.")
_CONTROLNET_DOWN = re.compile(r"^controlnet_down_blocks\.(\d+)\.")

ARCHITECTURES = ("sdxl", *(f"preview-{p}" for p in PROFILES))

_MODEL_TYPE_NAMES = {
    "v1": "a Stable Diffusion 1.x checkpoint (SD1.5)",
    "v2": "a Stable Diffusion 2.x checkpoint",
    "inpainting": "an SD1.5 inpainting checkpoint",
    "inpainting_v2": "an SD2 inpainting checkpoint",
    "xl_inpaint": "an SDXL inpainting checkpoint (9 input channels)",
    "xl_refiner": "the SDXL refiner (it only refines; the method needs a base model)",
    "playground-v2-5": "a Playground v2.5 checkpoint",
    "upscale": "an upscaler checkpoint",
}


@dataclass(frozen=True)
class Header:
    """Tensor names and shapes of a ``.safetensors`` file, read without loading a weight."""

    path: Path
    shapes: Mapping[str, tuple[int, ...]]

    def shape(self, key: str) -> tuple[int, ...] | None:
        return self.shapes.get(key)

    def has_prefix(self, prefix: str) -> bool:
        return any(k.startswith(prefix) for k in self.shapes)

    def max_index(self, pattern: re.Pattern[str]) -> int:
        found = [int(m.group(1)) for k in self.shapes if (m := pattern.match(k))]
        return max(found, default=-1)


def read_header(path: Path, what: str) -> Header:
    """The header of a ``.safetensors`` file; a truncated or damaged file raises ModelError."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:  # headers only: no torch
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own SafetensorError and OSError
        raise ModelError(
            f"{what}: {path} is not a complete .safetensors file ({exc}). "
            "It may be truncated (an interrupted download?)."
        ) from None
    return Header(path, shapes)


def checkpoint_model_type(header: Header) -> str | None:
    """diffusers' name for what an original-layout checkpoint is (``xl_base``, ``v1``, …)."""
    import torch
    from diffusers.loaders.single_file_utils import infer_diffusers_model_type

    meta = {k: torch.empty(s, device="meta") for k, s in header.shapes.items()}
    try:
        return str(infer_diffusers_model_type(meta))
    except (KeyError, IndexError, ValueError):
        return None


def check_base_file(header: Header, what: str) -> str:
    """Refuse anything but an SDXL base single file; returns the config folder name for it."""
    path = header.path
    if header.has_prefix("model.diffusion_model.") or header.has_prefix("conditioner."):
        kind = checkpoint_model_type(header)
        if kind != "xl_base":
            name = _MODEL_TYPE_NAMES.get(kind or "", f"a {kind or 'non-SDXL'} checkpoint")
            raise ModelError(f"{what}: {path} is {name}, not an SDXL base model.")
        return _base_architecture(header, what)
    if header.shape("conv_in.weight") is not None and header.has_prefix("down_blocks."):
        raise ModelError(
            f"{what}: {path} holds a UNet alone (diffusers key names); point at the whole "
            "model — its folder, or a single-file checkpoint with text encoders and VAE."
        )
    if lora_format(header) is not None:
        raise ModelError(f"{what}: {path} is a LoRA, not a base model.")
    raise ModelError(f"{what}: {path} is not an SDXL checkpoint (unrecognised tensor names).")


def _base_architecture(header: Header, what: str) -> str:
    conv_in, text_1, text_2 = (
        header.shape(k) for k in (_LDM_UNET_CONV_IN, _LDM_TEXT_1, _LDM_TEXT_2)
    )
    if conv_in is None or text_1 is None or text_2 is None:
        raise ModelError(
            f"{what}: {header.path} lacks the UNet or one of the two text encoders of an SDXL "
            "checkpoint (a UNet-only or pruned file?)."
        )
    signature = (conv_in[0], text_1[1], text_2[1], header.max_index(_LDM_INPUT_BLOCK))
    for name in ARCHITECTURES:
        config = architecture_configs(name)
        if _base_signature(config) == signature:
            return name
    raise ModelError(
        f"{what}: {header.path} is an SDXL checkpoint of an unknown size (UNet width "
        f"{signature[0]}, text encoders {signature[1]} + {signature[2]}); only the standard "
        "SDXL architecture is supported."
    )


def encoder_file_architecture(header: Header, what: str) -> tuple[str, int]:
    """A single-file CLIP image encoder (ComfyUI ``clip_vision``): config name, embedding width."""
    patch = header.shape("vision_model.embeddings.patch_embedding.weight")
    projection = header.shape("visual_projection.weight")
    if patch is None or projection is None:
        hint = " (an OpenCLIP-format file?)" if header.has_prefix("visual.") else ""
        raise ModelError(
            f"{what}: {header.path} is not a CLIP vision model with a projection in "
            f"transformers' key layout{hint}."
        )
    signature = (patch[0], projection[0], header.max_index(_ENCODER_LAYER) + 1)
    for name in ARCHITECTURES:
        config = architecture_configs(name)
        enc = config.get("image_encoder")
        if enc and (enc["hidden_size"], enc["projection_dim"], enc["num_hidden_layers"]) == (
            signature
        ):
            return name, int(projection[0])
    raise ModelError(
        f"{what}: {header.path} is a CLIP vision model of an unknown size (width {signature[0]}, "
        f"embeddings {signature[1]}, {signature[2]} layers); the method's adapter uses "
        "OpenCLIP ViT-bigG/14 (CLIP-ViT-bigG-14-laion2B-39B-b160k)."
    )


def controlnet_file_architecture(header: Header, what: str) -> tuple[str, dict[str, Any]]:
    """A single-file ControlNet in diffusers key names: config name and its config."""
    conv_in = header.shape("conv_in.weight")
    if conv_in is None or not header.has_prefix("controlnet_cond_embedding."):
        if header.has_prefix("control_model."):
            raise ModelError(
                f"{what}: {header.path} is an original-layout (SD1.5-era) ControlNet; an SDXL "
                "OpenPose ControlNet in diffusers key names is needed."
            )
        raise ModelError(f"{what}: {header.path} is not a ControlNet.")
    if header.shape("add_embedding.linear_1.weight") is None:
        raise ModelError(f"{what}: {header.path} is not an SDXL ControlNet (SD1.5 ControlNet?).")
    signature = (conv_in[0], header.max_index(_CONTROLNET_DOWN) + 1)
    for name in ARCHITECTURES:
        config = architecture_configs(name)
        net = config.get("controlnet")
        if net and _controlnet_signature(net) == signature:
            return name, net
    raise ModelError(
        f"{what}: {header.path} is an SDXL ControlNet of an unknown size (width {conv_in[0]}); "
        "only the full-size SDXL ControlNet layout is supported (a 'small'/'mid' variant?)."
    )


def lora_format(header: Header) -> str | None:
    """``kohya`` / ``diffusers`` for a LoRA file, else None."""
    keys = header.shapes
    if any(k.startswith("lora_unet_") for k in keys):
        return "kohya"
    if any(".lora_A." in k or ".lora.down." in k or ".lora_down." in k for k in keys):
        return "diffusers"
    return None


# --------------------------------------------------------------------------- configs


def _base_signature(config: Mapping[str, Any]) -> tuple[int, int, int, int]:
    unet = config["unet"]
    levels = len(unet["block_out_channels"])
    per_level = unet["layers_per_block"]
    blocks = per_level * levels if isinstance(per_level, int) else sum(per_level)
    return (
        int(unet["block_out_channels"][0]),
        int(config["text_encoder"]["hidden_size"]),
        int(config["text_encoder_2"]["hidden_size"]),
        blocks + levels - 1,  # resnets + downsamplers, after input_blocks.0 (conv_in)
    )


def _controlnet_signature(config: Mapping[str, Any]) -> tuple[int, int]:
    levels = len(config["block_out_channels"])
    per_level = config["layers_per_block"]
    return int(config["block_out_channels"][0]), 1 + per_level * levels + levels - 1


@functools.cache
def architecture_configs(architecture: str) -> dict[str, dict[str, Any]]:
    """Every component's config of a known architecture (the published SDXL one first; the
    preview profiles are only built when a file matches nothing else)."""
    if architecture.startswith("preview-"):
        from engine.preview_configs import component_configs

        return component_configs(architecture.removeprefix("preview-"))

    def read(*parts: str) -> dict[str, Any]:
        return json.loads(CONFIGS_DIR.joinpath(*parts, "config.json").read_text("utf-8"))

    parts = ("unet", "vae", "text_encoder", "text_encoder_2")
    sdxl = {part: read("sdxl-base", part) for part in parts}
    sdxl["image_encoder"] = read("clip-vit-bigg-14")
    sdxl["controlnet"] = read("controlnet-sdxl")
    return sdxl


def component_config(architecture: str, part: str) -> dict[str, Any]:
    """The config of one component (``unet``, ``image_encoder``, …) of a known architecture."""
    return dict(architecture_configs(architecture)[part])


@functools.cache
def pipeline_config_folder(architecture: str) -> Path:
    """A diffusers config folder (JSON + tokenizer files, no weights) for ``from_single_file``.

    Written once per process into a temporary folder; the tokenizer vocabulary comes from the
    CLIP BPE file in resources/.
    """
    from engine.tokenizer import write_tokenizer_files

    folder = Path(tempfile.mkdtemp(prefix="storyiter-config-")) / architecture
    shutil.copytree(CONFIGS_DIR / "sdxl-base", folder)
    for part in ("unet", "vae", "text_encoder", "text_encoder_2"):
        (folder / part / "config.json").write_text(
            json.dumps(component_config(architecture, part), indent=2), encoding="utf-8"
        )
    for name, pad in (("tokenizer", "<|endoftext|>"), ("tokenizer_2", "!")):
        write_tokenizer_files(folder / name, pad_token=pad)
    return folder


def component_config_folder(architecture: str, part: str) -> Path:
    """A folder holding just ``config.json`` for one component (ControlNet single files)."""
    folder = pipeline_config_folder(architecture).parent / f"{architecture}-{part}"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(
        json.dumps(component_config(architecture, part), indent=2), encoding="utf-8"
    )
    return folder
