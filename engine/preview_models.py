"""Tiny random-weight "preview models" in the exact on-disk layout of the real downloads.

With no real models configured the app still runs its whole pipeline on these: an SDXL
diffusers folder, an h94-layout IP-Adapter with its CLIP image encoder, an SDXL OpenPose
ControlNet and an LCM-distilled UNet. Their images are noise; everything else is real.
Builds are seeded and byte-identical across runs, and land atomically: a build is written
into a hidden folder next to the target and renamed into place once complete.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.api import ModelPaths
from engine.errors import ModelError
from engine.preview_configs import (
    IMAGE_PROJECTION,
    LCM_TIME_COND_PROJ_DIM,
    PROFILES,
    UNET_COMMON,
    UNET_PROFILES,
    VAE,
    check_profile,
    image_encoder_config,
    text_configs,
)

if TYPE_CHECKING:
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

LAYOUT_VERSION = 2
MARKER_NAME = "PREVIEW_MODELS.json"
NOTE = "random weights; images are noise"

# Files whose presence (with a matching marker) means a build finished.
_KEY_FILES = (
    "sdxl/model_index.json",
    "sdxl/unet/diffusion_pytorch_model.safetensors",
    "sdxl/vae/diffusion_pytorch_model.safetensors",
    "sdxl/text_encoder/model.safetensors",
    "sdxl/text_encoder_2/model.safetensors",
    "sdxl/tokenizer/vocab.json",
    "sdxl/tokenizer_2/vocab.json",
    "ip-adapter/sdxl_models/ip-adapter_sdxl.safetensors",
    "ip-adapter/sdxl_models/image_encoder/model.safetensors",
    "controlnet-openpose/diffusion_pytorch_model.safetensors",
    "lcm-unet/diffusion_pytorch_model.safetensors",
)
_TOP_LEVEL = frozenset({MARKER_NAME, "sdxl", "ip-adapter", "controlnet-openpose", "lcm-unet"})
# Real model files are hundreds of MB; preview files stay far below this. A folder holding a
# bigger file is someone's real models and is never replaced.
_MAX_PREVIEW_FILE_BYTES = 64 * 1024 * 1024

_SEEDS = {
    "unet": 0,
    "vae": 1,
    "text_encoder": 2,
    "text_encoder_2": 3,
    "image_encoder": 4,
    "ip_adapter": 5,
    "controlnet": 6,
    "lcm_unet": 7,
}


# --------------------------------------------------------------------------- public API


def make_preview_models(
    root: Path | str, profile: str = "micro", *, overwrite: bool = False
) -> ModelPaths:
    """Write seeded random-weight models for ``profile`` into ``root`` and return their paths.

    ``root`` must be missing or empty unless ``overwrite`` is set; even then only a folder
    that holds preview models (or is empty) is replaced, never someone's real models.
    """
    root = Path(root)
    check_profile(profile)
    _check_replaceable(root, overwrite=overwrite)
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = root.with_name(f".{root.name}.building-{uuid.uuid4().hex[:12]}")
    staging.mkdir()
    try:
        _build_into(staging, profile)
        _move_into_place(staging, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ModelPaths.from_models_dir(root)


def ensure_preview_models(root: Path | str, profile: str = "micro") -> ModelPaths:
    """Return the preview models in ``root``, building them first if they are missing,
    incomplete, of another profile or of an older layout."""
    root = Path(root)
    check_profile(profile)
    if preview_profile(root) == profile:
        return ModelPaths.from_models_dir(root)
    try:
        return make_preview_models(root, profile, overwrite=True)
    except OSError:
        # Another process may have finished the same build first.
        if preview_profile(root) == profile:
            return ModelPaths.from_models_dir(root)
        raise


def preview_build_missing(root: Path | str) -> bool:
    """Whether ``root`` holds no preview build of the current layout (never built, an
    interrupted build, or an older layout): what ``ensure_preview_models`` would build.
    A build of this layout with files deleted since is not rebuilt behind the writer's back."""
    marker = _read_marker(Path(root))
    return marker is None or marker.get("layout_version") != LAYOUT_VERSION


def preview_profile(root: Path | str) -> str | None:
    """The profile of the complete preview build in ``root``, or None if there is none."""
    root = Path(root)
    marker = _read_marker(root)
    if marker is None or marker.get("layout_version") != LAYOUT_VERSION:
        return None
    profile = marker.get("profile")
    if profile not in PROFILES or not all((root / f).is_file() for f in _KEY_FILES):
        return None
    return str(profile)


# --------------------------------------------------------------------------- safety


def _read_marker(root: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((root / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _check_replaceable(root: Path, *, overwrite: bool) -> None:
    """Raise ModelError unless ``root`` is missing, empty, or (with overwrite) preview models."""
    if not root.exists():
        return
    if not root.is_dir():
        raise ModelError(f"Cannot write preview models to {root}: it is a file, not a folder.")
    entries = {p.name for p in root.iterdir()}
    if not entries:
        return
    if not overwrite:
        raise ModelError(
            f"Cannot write preview models to {root}: the folder is not empty. "
            "Choose an empty folder or allow replacing the existing preview models."
        )
    if _read_marker(root) is not None:
        return
    foreign = sorted(entries - _TOP_LEVEL)
    if foreign:
        raise ModelError(
            f"Refusing to replace {root}: it holds {', '.join(foreign[:3])}, which preview "
            "models never contain. Choose another folder for preview models."
        )
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath) / name
            with contextlib.suppress(OSError):
                if path.stat().st_size > _MAX_PREVIEW_FILE_BYTES:
                    raise ModelError(
                        f"Refusing to replace {root}: {path.relative_to(root)} is far larger "
                        "than any preview model file, so these look like real models."
                    )


def _move_into_place(staging: Path, root: Path) -> None:
    """Rename the finished build onto ``root``, keeping the old folder until it succeeds."""
    if root.is_dir() and not any(root.iterdir()):
        root.rmdir()
    if not root.exists():
        os.rename(staging, root)
        return
    retired = root.with_name(f".{root.name}.replaced-{uuid.uuid4().hex[:12]}")
    os.rename(root, retired)
    try:
        os.rename(staging, root)
    except BaseException:
        os.rename(retired, root)
        raise
    shutil.rmtree(retired, ignore_errors=True)


# --------------------------------------------------------------------------- building


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch for one model without disturbing the caller's random state."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _build_into(folder: Path, profile: str) -> None:
    """Write every model of the layout into ``folder``; the marker goes last."""
    unet = _write_sdxl(folder / "sdxl", profile)
    adapter_dir = folder / "ip-adapter" / "sdxl_models"
    _write_image_encoder(adapter_dir / "image_encoder")
    _write_ip_adapter(adapter_dir / "ip-adapter_sdxl.safetensors", unet)
    _write_controlnet(folder / "controlnet-openpose", unet)
    _write_lcm_unet(folder / "lcm-unet", unet)
    marker = {"profile": profile, "layout_version": LAYOUT_VERSION, "note": NOTE}
    (folder / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    # safetensors writes its files owner-only (0600); give every file the mode the user's
    # umask gave the marker, as a download would have.
    mode = (folder / MARKER_NAME).stat().st_mode & 0o777
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(mode)


def _write_sdxl(folder: Path, profile: str) -> UNet2DConditionModel:
    """Save a StableDiffusionXLPipeline folder and return its UNet."""
    from diffusers import DDIMScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTokenizer

    from engine.tokenizer import EOS_TOKEN

    with _seeded(_SEEDS["unet"]):
        unet = UNet2DConditionModel(**UNET_COMMON, **UNET_PROFILES[profile])
    text_encoder, text_encoder_2 = _text_encoders()
    # The real repositories ship the four-file tokenizer form; transformers would save
    # tokenizer.json instead, so the written folders replace what the pipeline saves.
    vocab_dir = folder.parent / f".{folder.name}-tokenizers"
    for name, pad_token in (("tokenizer", EOS_TOKEN), ("tokenizer_2", "!")):
        (vocab_dir / name).mkdir(parents=True)
        for filename, data in _tokenizer_files(pad_token).items():
            (vocab_dir / name / filename).write_bytes(data)
    tokenizer = CLIPTokenizer.from_pretrained(vocab_dir / "tokenizer", local_files_only=True)
    pipe = StableDiffusionXLPipeline(
        vae=_vae(),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,  # only its class is recorded; its folder is replaced below
        unet=unet,
        scheduler=DDIMScheduler(
            num_train_timesteps=1000,
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            clip_sample=False,
            set_alpha_to_one=False,
            steps_offset=1,
        ),
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    for name in ("tokenizer", "tokenizer_2"):
        shutil.rmtree(folder / name)
        os.rename(vocab_dir / name, folder / name)
    vocab_dir.rmdir()
    return unet


@functools.cache
def _tokenizer_files(pad_token: str) -> dict[str, bytes]:
    """CLIP's tokenizer files for ``pad_token``, written once per process (~0.4 s each)."""
    from engine.tokenizer import write_tokenizer_files

    with tempfile.TemporaryDirectory() as tmp:
        write_tokenizer_files(Path(tmp), pad_token=pad_token)
        return {p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir())}


def _vae() -> AutoencoderKL:
    from diffusers import AutoencoderKL

    with _seeded(_SEEDS["vae"]):
        return AutoencoderKL(**VAE)


def _text_encoders() -> tuple[CLIPTextModel, CLIPTextModelWithProjection]:
    """Tiny CLIPTextModel and CLIPTextModelWithProjection over the real CLIP vocabulary."""
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    first_config, second_config = text_configs()
    with _seeded(_SEEDS["text_encoder"]):
        first = CLIPTextModel(first_config)
    with _seeded(_SEEDS["text_encoder_2"]):
        second = CLIPTextModelWithProjection(second_config)
    return first, second


def _write_image_encoder(folder: Path) -> None:
    from transformers import CLIPVisionModelWithProjection

    with _seeded(_SEEDS["image_encoder"]):
        encoder = CLIPVisionModelWithProjection(image_encoder_config())
    encoder.save_pretrained(folder, safe_serialization=True)


def _write_ip_adapter(path: Path, unet: UNet2DConditionModel) -> None:
    """An ``ip-adapter_sdxl`` checkpoint in h94's flat safetensors key layout.

    Keys count 1, 3, 5, ... over the UNet's cross-attention layers in ``attn_processors``
    order, which is how diffusers' ``_convert_ip_adapter_attn_to_diffusers`` reads them.
    """
    import torch
    from safetensors.torch import save_file

    cross_dim = int(unet.config.cross_attention_dim)
    tokens = 4  # image tokens per reference in the plain IP-Adapter
    generator = torch.Generator().manual_seed(_SEEDS["ip_adapter"])

    def linear(rows: int, cols: int) -> torch.Tensor:
        return torch.randn(rows, cols, generator=generator) * cols**-0.5

    # Trained adapters have non-zero biases: the image projection of a zero embedding (the
    # unconditional half of guidance) is then a set of non-zero tokens, as in the real model.
    tensors = {
        "image_proj.proj.weight": linear(tokens * cross_dim, IMAGE_PROJECTION),
        "image_proj.proj.bias": 0.5 * torch.randn(tokens * cross_dim, generator=generator),
        "image_proj.norm.weight": 1 + 0.2 * torch.randn(cross_dim, generator=generator),
        "image_proj.norm.bias": 0.2 * torch.randn(cross_dim, generator=generator),
    }
    modules = dict(unet.named_modules())
    key = 1
    for name in unet.attn_processors:
        if not name.endswith("attn2.processor"):
            continue
        hidden = modules[name.removesuffix(".processor")].to_q.out_features
        tensors[f"ip_adapter.{key}.to_k_ip.weight"] = linear(hidden, cross_dim)
        tensors[f"ip_adapter.{key}.to_v_ip.weight"] = linear(hidden, cross_dim)
        key += 2
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"format": "pt"})


def _write_controlnet(folder: Path, unet: UNet2DConditionModel) -> None:
    """An SDXL ControlNet copied from the UNet, as ``ControlNetModel.from_unet`` makes one.

    Its zero-initialised convolutions get random weights and the pose encoder a
    variance-keeping init, so the pose visibly changes the preview image (an untrained
    ControlNet would silently ignore it).
    """
    import torch
    from diffusers import ControlNetModel

    with _seeded(_SEEDS["controlnet"]):
        controlnet = ControlNetModel.from_unet(unet, conditioning_channels=3)
        for conv in (*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block):
            conv.reset_parameters()
        for conv in controlnet.controlnet_cond_embedding.modules():
            if isinstance(conv, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(conv.weight)
                torch.nn.init.zeros_(conv.bias)
    controlnet.save_pretrained(folder, safe_serialization=True)


def _write_lcm_unet(folder: Path, unet: UNet2DConditionModel) -> None:
    """The base UNet with a guidance-embedding input, like an LCM-distilled SDXL UNet."""
    from diffusers import UNet2DConditionModel

    with _seeded(_SEEDS["lcm_unet"]):
        lcm = UNet2DConditionModel.from_config(
            unet.config, time_cond_proj_dim=LCM_TIME_COND_PROJ_DIM
        )
    # Distillation starts from the base weights; only the guidance projection is new.
    missing, unexpected = lcm.load_state_dict(unet.state_dict(), strict=False)
    if unexpected or any("cond_proj" not in key for key in missing):
        raise RuntimeError(f"LCM UNet does not match the base UNet: {missing}, {unexpected}")
    lcm.save_pretrained(folder, safe_serialization=True)
