"""Loading one model component from a checked path, in whichever layout it came.

diffusers folders (fp16-variant ones with ``variant="fp16"``), single files with the configs
from ``engine.single_file`` (never the network), and LCM-LoRA files fused with peft into a
copy of the base UNet. Every library failure becomes one message naming the file.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from engine.api import ModelPaths
from engine.checkpoints import (
    Checked,
    check_adapter,
    check_base,
    check_controlnet,
    check_image_encoder,
    check_lcm,
    mismatches,
)
from engine.errors import ModelError
from engine.model_sources import Layout, Role, resolve_location


def resolve_paths(paths: ModelPaths) -> ModelPaths:
    """``paths`` with every value made a local absolute path (repo ids from the hub cache)."""
    changes = {
        role.value: resolve_location(role, getattr(paths, role.value))
        for role in Role
        if getattr(paths, role.value) is not None
    }
    return replace(paths, **changes)


def check_before_loading(paths: ModelPaths) -> tuple[Checked, Checked]:
    """Every check ``models check`` makes, raised as the first problem; nothing is loaded."""
    base = check_base(paths.base)
    encoder = check_image_encoder(paths.image_encoder)
    found: dict[Role, Any] = {
        Role.BASE: base,
        Role.IMAGE_ENCODER: encoder,
        Role.IP_ADAPTER: check_adapter(paths.ip_adapter),
    }
    for role, check in ((Role.CONTROLNET, check_controlnet), (Role.LCM, check_lcm)):
        path = getattr(paths, role.value)
        if path is not None:
            found[role] = check(path)
    for _role, problem in mismatches(found, paths.ip_adapter):
        raise ModelError(problem)
    return base, encoder


def load_image_encoder(source: Checked, dtype: torch.dtype) -> Any:
    """A CLIPVisionModelWithProjection from its folder or from a single file + its config."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    if source.layout is not Layout.SINGLE_FILE:
        return _loading(
            source,
            lambda: CLIPVisionModelWithProjection.from_pretrained(
                source.path, variant=source.variant, dtype=dtype, local_files_only=True
            ),
        )

    def from_file() -> Any:
        from safetensors.torch import load_file

        config = CLIPVisionConfig(**{k: v for k, v in source.config.items() if k != "model_type"})
        from accelerate import init_empty_weights

        with init_empty_weights(include_buffers=False):  # weights come from the file
            model = CLIPVisionModelWithProjection(config)
        state = load_file(str(source.path))
        missing, unexpected = model.load_state_dict(state, strict=False, assign=True)
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise ValueError(f"keys do not match ({(missing + unexpected)[:3]})")
        return model.to(dtype=dtype).eval()

    return _loading(source, from_file)


def fuse_lora_into_copy(base: Any, lora: Path) -> Any:
    """A copy of the base UNet with an LCM-LoRA fused in (W + α/r·up·down), through peft.

    The copy belongs to fast mode alone: the standard pipeline's UNet is never altered.
    """
    import copy

    from accelerate.hooks import remove_hook_from_module
    from diffusers import StableDiffusionXLPipeline

    unet = copy.deepcopy(base.unet)
    remove_hook_from_module(unet, recurse=True)
    holder = StableDiffusionXLPipeline(**{**base.components, "unet": unet}, add_watermarker=False)
    checked = Checked(lora, Layout.LORA)

    def fuse() -> Any:
        holder.load_lora_weights(str(lora.parent), weight_name=lora.name, adapter_name="lcm")
        holder.fuse_lora(components=["unet"], adapter_names=["lcm"])
        holder.unload_lora_weights()
        return holder.unet

    return _loading(checked, fuse)


def _loading(source: Checked, load: Callable[[], Any]) -> Any:
    """Run a library load; its failures become one message naming the file."""
    try:
        return load()
    except ModelError:
        raise
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, pickle.UnpicklingError) as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"Could not load {source.path} ({source.layout}): {first}") from None


def load_base_pipeline(base: Checked, dtype: torch.dtype, scheduler: Any) -> Any:
    """The SDXL pipeline from a diffusers folder or a single-file checkpoint."""
    from diffusers import StableDiffusionXLPipeline

    if base.layout is not Layout.SINGLE_FILE:
        return _loading(
            base,
            lambda: StableDiffusionXLPipeline.from_pretrained(
                base.path,
                scheduler=scheduler,
                variant=base.variant,
                dtype=dtype,
                local_files_only=True,
                add_watermarker=False,
            ),
        )
    from engine.single_file import pipeline_config_folder

    config = pipeline_config_folder(_architecture(base))
    pipe = _loading(
        base,
        lambda: StableDiffusionXLPipeline.from_single_file(
            str(base.path),
            config=str(config),
            torch_dtype=dtype,
            local_files_only=True,
            add_watermarker=False,
        ),
    )
    pipe.scheduler = scheduler
    return pipe


def load_lcm_unet(checked: Checked, base: Any, dtype: torch.dtype) -> Any:
    """Fast mode's UNet: an LCM UNet folder, or the base UNet with an LCM-LoRA fused in."""
    if checked.layout is Layout.LORA:
        return fuse_lora_into_copy(base, checked.path)
    from diffusers import UNet2DConditionModel

    folder = checked.path
    sub = "unet" if (folder / "unet" / "config.json").exists() else None
    return _loading(
        checked,
        lambda: UNet2DConditionModel.from_pretrained(
            folder, subfolder=sub, variant=checked.variant, dtype=dtype, local_files_only=True
        ),
    )


def load_controlnet(checked: Checked, dtype: torch.dtype) -> Any:
    from diffusers import ControlNetModel

    if checked.layout is not Layout.SINGLE_FILE:
        return _loading(
            checked,
            lambda: ControlNetModel.from_pretrained(
                checked.path, variant=checked.variant, dtype=dtype, local_files_only=True
            ),
        )
    from engine.single_file import component_config_folder

    config = component_config_folder(_architecture(checked), "controlnet")
    return _loading(
        checked,
        lambda: ControlNetModel.from_single_file(
            str(checked.path), config=str(config), local_files_only=True, torch_dtype=dtype
        ),
    )


def _architecture(checked: Checked) -> str:
    if checked.architecture is None:
        raise ModelError(f"{checked.path}: the architecture of this single file is unknown.")
    return checked.architecture
