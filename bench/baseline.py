"""The reference implementation's way of working, on the same models, for fair ratios.

One frame per pipeline call; for every frame, every reference image is re-encoded with the
CLIP image encoder (N² encodes per round); the pipeline's own prompt encoding and decoding.
Used by the benchmarks only (the engine's parity test has its own literal loop).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from PIL import Image

from engine.api import GenerationSettings
from engine.prompts import apply_style, get_style
from engine.story_iter import StoryIterEngine


class BaselineCounter:
    def __init__(self) -> None:
        self.encodes = 0


def baseline_round(
    engine: StoryIterEngine,
    prompts: Sequence[str],
    previous: Sequence[Image.Image] | None,
    settings: GenerationSettings,
    scale: float,
    seed: int,
    counter: BaselineCounter,
) -> list[Image.Image]:
    """One round drawn the reference's way; returns the images."""
    models = engine.models
    style = get_style(settings.style)
    pipe = models.pipeline(fast=settings.fast, controlnet=False)
    cfg = settings.guidance > 1 and pipe.unet.config.time_cond_proj_dim is None
    out = []
    for prompt in prompts:
        if previous is None:
            refs = torch.zeros(
                1, 1, models.image_embed_dim, device=models.device, dtype=models.dtype
            )
        else:
            small = [im.resize((settings.reference_size,) * 2) for im in previous]
            pixels = models.image_processor(images=small, return_tensors="pt").pixel_values
            with torch.no_grad():
                refs = models.image_encoder(
                    pixels.to(models.device, models.image_encoder.dtype)
                ).image_embeds[None]
            counter.encodes += len(previous)
        embeds = torch.cat([torch.zeros_like(refs), refs]) if cfg else refs
        pipe.set_ip_adapter_scale(scale)
        kwargs: dict[str, Any] = {}
        result = pipe(
            prompt=apply_style(prompt, style),
            negative_prompt=style.negative_prompt if cfg else None,
            ip_adapter_image_embeds=[embeds.to(models.dtype)],
            num_inference_steps=4 if settings.fast else settings.steps,
            guidance_scale=settings.guidance,
            width=settings.width,
            height=settings.height,
            generator=torch.Generator("cpu").manual_seed(seed),
            **kwargs,
        )
        out.append(result.images[0])
    return out
