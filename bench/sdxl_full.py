"""Full-size SDXL-architecture models with random weights, built from the published configs.

Same layer shapes as the real downloads (RealVisXL/SDXL base, h94 ip-adapter_sdxl with the
OpenCLIP ViT-bigG/14 image encoder, an SDXL OpenPose ControlNet, the LCM-distilled UNet), so
FLOPs and memory equal the real thing; nothing is downloaded. Built on the ``meta`` device,
then materialised directly on the target device in the target dtype.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch

UNET = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "block_out_channels": (320, 640, 1280),
    "layers_per_block": 2,
    "transformer_layers_per_block": (1, 2, 10),
    "attention_head_dim": (5, 10, 20),
    "cross_attention_dim": 2048,
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
    "norm_num_groups": 32,
}
VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "latent_channels": 4,
    "sample_size": 1024,
    "scaling_factor": 0.13025,
    "force_upcast": True,
}
TEXT_ENCODER = {
    "vocab_size": 49408,
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "max_position_embeddings": 77,
    "hidden_act": "quick_gelu",
    "projection_dim": 768,
    "bos_token_id": 49406,
    "eos_token_id": 49407,
    "pad_token_id": 1,
}
TEXT_ENCODER_2 = TEXT_ENCODER | {
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "num_hidden_layers": 32,
    "num_attention_heads": 20,
    "hidden_act": "gelu",
    "projection_dim": 1280,
}
IMAGE_ENCODER = {  # OpenCLIP ViT-bigG/14 vision tower with projection
    "hidden_size": 1664,
    "intermediate_size": 8192,
    "num_hidden_layers": 48,
    "num_attention_heads": 16,
    "patch_size": 14,
    "image_size": 224,
    "projection_dim": 1280,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-5,
}


FULL = {
    "unet": UNET,
    "vae": VAE,
    "text_encoder": TEXT_ENCODER,
    "text_encoder_2": TEXT_ENCODER_2,
    "image_encoder": IMAGE_ENCODER,
}


def tiny_configs() -> dict[str, dict[str, Any]]:
    """The same topology at toy widths: exercises the build path in seconds on a CPU."""
    te = TEXT_ENCODER | {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2}
    te |= {"num_attention_heads": 2, "projection_dim": 32}
    te2 = te | {"hidden_size": 64, "projection_dim": 64, "hidden_act": "gelu"}
    unet = UNET | {
        "block_out_channels": (32, 64, 64),
        "attention_head_dim": (2, 4, 4),
        "cross_attention_dim": 96,
        "addition_time_embed_dim": 8,
        "projection_class_embeddings_input_dim": 6 * 8 + 64,
        "norm_num_groups": 16,
        "sample_size": 8,
    }
    vae = VAE | {"block_out_channels": (8, 8, 8, 8), "norm_num_groups": 4, "sample_size": 64}
    image = IMAGE_ENCODER | {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2}
    image |= {"num_attention_heads": 2, "patch_size": 32, "projection_dim": 16}
    return {
        "unet": unet,
        "vae": vae,
        "text_encoder": te,
        "text_encoder_2": te2,
        "image_encoder": image,
    }


def _materialise(
    module: torch.nn.Module, device: torch.device, dtype: torch.dtype, seed: int
) -> Any:
    """meta -> real tensors on ``device``: small random weights, unit norms, zero biases."""
    module = module.to_empty(device=device)
    gen = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            elif "norm" in name and p.ndim == 1:
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.02, generator=gen)
        for name, b in module.named_buffers():
            if "position_ids" in name:
                b.copy_(torch.arange(b.shape[-1], device=device).expand_as(b))
    return module.to(dtype=dtype).eval()


def param_counts() -> dict[str, int]:
    """Parameter counts of every full-size component (built on meta: instant, no memory)."""
    from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

    with torch.device("meta"):
        unet = UNet2DConditionModel(**UNET)
        parts = {
            "unet": unet,
            "vae": AutoencoderKL(**VAE),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**TEXT_ENCODER)),
            "text_encoder_2": CLIPTextModelWithProjection(CLIPTextConfig(**TEXT_ENCODER_2)),
            "image_encoder": CLIPVisionModelWithProjection(CLIPVisionConfig(**IMAGE_ENCODER)),
            "controlnet": ControlNetModel.from_unet(unet),
        }
    return {k: sum(p.numel() for p in m.parameters()) for k, m in parts.items()}


def random_adapter_state(
    layer_widths: tuple[int, ...],
    device: torch.device,
    cross: int = 2048,
    embed: int = 1280,
    seed: int = 5,
) -> dict:
    """An ip-adapter_sdxl state dict in the h94 layout (70 layers, keys 1..139 at full size)."""
    gen = torch.Generator(device=device).manual_seed(seed)

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=gen, device=device) * 0.02

    state: dict[str, dict[str, torch.Tensor]] = {
        "image_proj": {
            "proj.weight": rand(4 * cross, embed),
            "proj.bias": torch.zeros(4 * cross, device=device),
            "norm.weight": torch.ones(cross, device=device),
            "norm.bias": torch.zeros(cross, device=device),
        },
        "ip_adapter": {},
    }
    for i, width in enumerate(layer_widths):
        key = 2 * i + 1
        state["ip_adapter"][f"{key}.to_k_ip.weight"] = rand(width, cross)
        state["ip_adapter"][f"{key}.to_v_ip.weight"] = rand(width, cross)
    return state


def build_full_models(
    runtime: Any,
    *,
    lcm: bool = True,
    controlnet: bool = True,
    configs: dict[str, dict[str, Any]] | None = None,
) -> Any:
    """An engine (StoryIterEngine) on full-size random-weight SDXL built from configs."""
    from diffusers import (
        AutoencoderKL,
        ControlNetModel,
        DDIMScheduler,
        StableDiffusionXLPipeline,
        UNet2DConditionModel,
    )
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPTokenizer,
        CLIPVisionConfig,
        CLIPVisionModelWithProjection,
    )

    from engine.api import ModelPaths
    from engine.models import (
        _DTYPES,
        ModelCache,
        assemble_models,
        quiet_library_logs,
        reference_scheduler_config,
        resolve_device,
        unet_ip_layer_widths,
    )
    from engine.story_iter import StoryIterEngine
    from engine.tokenizer import write_tokenizer_files

    quiet_library_logs()
    cfg = configs or FULL
    device = resolve_device(runtime.device)
    dtype = _DTYPES[runtime.precision]
    with torch.device("meta"):
        unet = UNet2DConditionModel(**cfg["unet"])
        vae = AutoencoderKL(**cfg["vae"])
        te = CLIPTextModel(CLIPTextConfig(**cfg["text_encoder"]))
        te2 = CLIPTextModelWithProjection(CLIPTextConfig(**cfg["text_encoder_2"]))
        enc = CLIPVisionModelWithProjection(CLIPVisionConfig(**cfg["image_encoder"]))
        net = ControlNetModel.from_unet(unet) if controlnet else None
        lcm_unet = UNet2DConditionModel(**cfg["unet"], time_cond_proj_dim=256) if lcm else None
    unet = _materialise(unet, device, dtype, 1)
    vae = _materialise(vae, device, dtype, 2)  # decoded in fp32 when half (force_upcast)
    te, te2 = _materialise(te, device, dtype, 3), _materialise(te2, device, dtype, 4)
    enc = _materialise(enc, device, dtype, 5)
    net = _materialise(net, device, dtype, 6) if net is not None else None
    lcm_unet = _materialise(lcm_unet, device, dtype, 7) if lcm_unet is not None else None
    with tempfile.TemporaryDirectory() as tmp:
        write_tokenizer_files(Path(tmp) / "t1")
        write_tokenizer_files(Path(tmp) / "t2", pad_token="!")
        tok = CLIPTokenizer.from_pretrained(Path(tmp) / "t1")
        tok2 = CLIPTokenizer.from_pretrained(Path(tmp) / "t2")
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=te,
        text_encoder_2=te2,
        tokenizer=tok,
        tokenizer_2=tok2,
        unet=unet,
        scheduler=DDIMScheduler(**reference_scheduler_config()),
        add_watermarker=False,
    )
    adapter = random_adapter_state(
        unet_ip_layer_widths(unet),
        device,
        cross=cfg["unet"]["cross_attention_dim"],
        embed=cfg["image_encoder"]["projection_dim"],
    )
    fake = Path("/full-size-random-sdxl")
    paths = ModelPaths(
        base=fake / "sdxl",
        image_encoder=fake / "image_encoder",
        ip_adapter=fake / "ip-adapter_sdxl.safetensors",
        controlnet=fake / "controlnet" if controlnet else None,
        lcm=fake / "lcm" if lcm else None,
    )
    models = assemble_models(
        paths,
        runtime,
        pipe,
        enc,
        adapter,
        fingerprints={
            "base": "random-full-size",
            "image_encoder": "random",
            "ip_adapter": "random",
        },
        lcm_unet=lcm_unet,
        controlnet=net,
    )
    cache = ModelCache()
    cache.adopt(paths, runtime, models)
    return StoryIterEngine(paths, runtime, cache)


if __name__ == "__main__":
    for name, count in param_counts().items():
        print(f"{name:15} {count / 1e6:8.1f} M")
