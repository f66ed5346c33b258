"""The architectures of the preview models: every component's config, without weights.

Shared by the builder (``engine.preview_models``) and by single-file loading, which needs the
configs of a preview-sized checkpoint just as it needs SDXL's published ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.errors import ModelError

if TYPE_CHECKING:
    from transformers import CLIPTextConfig, CLIPVisionConfig

PROFILES = ("micro", "sdxl")

# The two text encoders have different widths, as SDXL's do (768 + 1280): single-file
# loaders tell them apart by width. text_encoder_2 has ten layers because the single-file
# format is recognised as SDXL by a key of its tenth layer.
TEXT_WIDTHS = (16, 48)
TEXT_2_LAYERS = 10
TEXT_PROJECTION = 32  # text_encoder_2 pooled width
IMAGE_PROJECTION = 32  # image encoder embedding width (ViT-bigG's is 1280)
ADDITION_TIME_EMBED_DIM = 8
LCM_TIME_COND_PROJ_DIM = 256  # as in latent-consistency/lcm-sdxl

UNET_COMMON: dict[str, Any] = {
    "sample_size": 8,  # x8 VAE factor: the pipeline's default size is 64 px
    "in_channels": 4,
    "out_channels": 4,
    "cross_attention_dim": sum(TEXT_WIDTHS),
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": ADDITION_TIME_EMBED_DIM,
    # six size/crop numbers, each embedded, plus text_encoder_2's pooled embedding
    "projection_class_embeddings_input_dim": 6 * ADDITION_TIME_EMBED_DIM + TEXT_PROJECTION,
}

UNET_PROFILES: dict[str, dict[str, Any]] = {
    # ~0.27 M params: one cross-attention level plus the mid block.
    "micro": {
        "block_out_channels": (16, 32),
        "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
        "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
        "layers_per_block": 1,
        "transformer_layers_per_block": 1,
        "attention_head_dim": (2, 4),
        "norm_num_groups": 4,
    },
    # ~6 M params: SDXL's exact block layout, so 70 cross-attention layers (IP keys 1..139).
    "sdxl": {
        "block_out_channels": (16, 32, 64),
        "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        "layers_per_block": 2,
        "transformer_layers_per_block": (1, 2, 10),
        "attention_head_dim": (1, 2, 4),  # heads per level (SDXL: 5, 10, 20); head width 16
        "norm_num_groups": 8,
    },
}

VAE: dict[str, Any] = {  # four levels: x8 latents with 4 channels, as SDXL's VAE
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (8, 16, 16, 16),
    "layers_per_block": 1,
    "latent_channels": 4,
    "norm_num_groups": 8,
    "sample_size": 64,
    "scaling_factor": 0.13025,  # SDXL's
}


def text_configs() -> tuple[CLIPTextConfig, CLIPTextConfig]:
    from transformers import CLIPTextConfig

    config: dict[str, Any] = {
        "vocab_size": 49408,  # the real CLIP vocabulary, so real token ids
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": 77,
        "bos_token_id": 49406,
        # The pooled output is read at the first eos_token_id: it must be <|endoftext|>.
        "eos_token_id": 49407,
        "pad_token_id": 1,
    }
    first = CLIPTextConfig(
        **config,
        hidden_size=TEXT_WIDTHS[0],
        hidden_act="quick_gelu",
        architectures=["CLIPTextModel"],
    )
    second = CLIPTextConfig(
        **(config | {"num_hidden_layers": TEXT_2_LAYERS}),
        hidden_size=TEXT_WIDTHS[1],
        hidden_act="gelu",
        projection_dim=TEXT_PROJECTION,
        architectures=["CLIPTextModelWithProjection"],
    )
    return first, second


def image_encoder_config() -> CLIPVisionConfig:
    """A tiny CLIPVisionModelWithProjection fed by the standard 224 px CLIPImageProcessor."""
    from transformers import CLIPVisionConfig

    return CLIPVisionConfig(
        image_size=224,
        patch_size=32,
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=2,
        projection_dim=IMAGE_PROJECTION,
        hidden_act="gelu",
        architectures=["CLIPVisionModelWithProjection"],
    )


def component_configs(profile: str) -> dict[str, dict[str, Any]]:
    """The config of every component of ``profile``, as its folders' config.json hold them."""
    import torch
    from diffusers import ControlNetModel, UNet2DConditionModel

    check_profile(profile)
    with torch.device("meta"):
        unet = UNet2DConditionModel(**UNET_COMMON, **UNET_PROFILES[profile])
        controlnet = ControlNetModel.from_unet(unet, conditioning_channels=3)
    first, second = text_configs()
    return {
        "unet": dict(unet.config),
        "vae": dict(VAE),
        "text_encoder": first.to_dict(),
        "text_encoder_2": second.to_dict(),
        "image_encoder": image_encoder_config().to_dict(),
        "controlnet": dict(controlnet.config),
    }


def check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ModelError(
            f"Unknown preview model profile {profile!r}; choose one of: {', '.join(PROFILES)}."
        )
