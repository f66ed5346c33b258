"""ModelPaths -> loaded pipelines, through diffusers' own classes and ``load_ip_adapter``.

One ``LoadedModels`` holds every pipeline variant a pass may need (standard, ControlNet,
fast/LCM, fast+ControlNet); the variants share the text encoders, VAE and — where the UNet is
the same — the UNet with its adapter layers. Variants are built lazily and cached.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from engine.adapter_file import adapter_layout, check_adapter_fits, load_adapter_state
from engine.api import ModelPaths, Offload, Precision, RuntimeSettings
from engine.checkpoints import check_controlnet, check_lcm, fingerprint
from engine.component_loading import (
    check_before_loading,
    load_base_pipeline,
    load_controlnet,
    load_image_encoder,
    load_lcm_unet,
    resolve_paths,
)
from engine.errors import ModelError
from engine.model_sources import Layout, force_offline

log = logging.getLogger(__name__)

_DTYPES = {
    Precision.FP32: torch.float32,
    Precision.FP16: torch.float16,
    Precision.BF16: torch.bfloat16,
}


def reference_scheduler_config() -> dict[str, Any]:
    """The DDIM settings the reference implementation uses."""
    return {
        "num_train_timesteps": 1000,
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "clip_sample": False,
        "set_alpha_to_one": False,
        "steps_offset": 1,
    }


def resolve_device(device: str) -> torch.device:
    """``auto`` -> CUDA if present, else MPS, else CPU; anything else as given (checked)."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ModelError(f"Unknown device {device!r} ({exc}).") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"Device {device!r} asked for, but no CUDA GPU is available here.")
    return dev


def unet_ip_layer_widths(unet: Any) -> tuple[int, ...]:
    """Hidden size of every cross-attention layer, in the order h94 numbers them."""
    cfg = unet.config
    widths = []
    for name in unet.attn_processors:
        if name.endswith("attn1.processor"):
            continue
        if name.startswith("mid_block"):
            widths.append(cfg.block_out_channels[-1])
        elif name.startswith("up_blocks"):
            widths.append(list(reversed(cfg.block_out_channels))[int(name[len("up_blocks.")])])
        else:
            widths.append(cfg.block_out_channels[int(name[len("down_blocks.")])])
    return tuple(widths)


@dataclass
class LoadedModels:
    """Everything loaded for one ModelPaths + RuntimeSettings. Lives on the worker thread."""

    paths: ModelPaths
    runtime: RuntimeSettings
    device: torch.device
    dtype: torch.dtype
    base: Any  # StableDiffusionXLPipeline with the adapter loaded, DDIM scheduler
    image_encoder: Any  # CLIPVisionModelWithProjection
    image_processor: Any  # CLIPImageProcessor
    adapter_state: dict[str, dict[str, Any]]
    fingerprints: dict[str, str]
    lcm_unet: Any = None  # preloaded LCM UNet (else loaded from paths.lcm on first use)
    lcm_is_lora: bool = False  # fast mode's UNet is the base UNet with an LCM-LoRA fused in
    controlnet: Any = None  # preloaded ControlNet (else loaded from paths.controlnet)
    _variants: dict[tuple[bool, bool], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def image_embed_dim(self) -> int:
        return int(self.image_encoder.config.projection_dim)

    def pipeline(self, *, fast: bool, controlnet: bool) -> Any:
        """The pipeline variant for a pass (built on first use, then cached)."""
        key = (fast, controlnet)
        with self._lock:
            if key == (False, False):
                return self.base
            if key not in self._variants:
                self._variants[key] = self._build_variant(fast, controlnet)
            return self._variants[key]

    def _build_variant(self, fast: bool, controlnet: bool) -> Any:
        from diffusers import (
            LCMScheduler,
            StableDiffusionXLControlNetPipeline,
            StableDiffusionXLPipeline,
        )

        components = dict(self.base.components)
        if fast:
            fast_pipe = self._variants.get((True, False))
            if fast_pipe is None:
                components["unet"] = self._load_lcm_unet()
                components["scheduler"] = LCMScheduler.from_config(self.base.scheduler.config)
                fast_pipe = StableDiffusionXLPipeline(**components, add_watermarker=False)
                if not self.lcm_is_lora:  # a LoRA copy of the base UNet has the adapter already
                    self._load_adapter(fast_pipe)
                _place(fast_pipe, self.runtime, self.device)
                self._variants[(True, False)] = fast_pipe
            if not controlnet:
                return fast_pipe
            components = dict(fast_pipe.components)
        if controlnet:
            components["controlnet"] = self._load_controlnet()
            components.pop("image_encoder", None)
            components.pop("feature_extractor", None)
            pipe = StableDiffusionXLControlNetPipeline(
                **components, image_encoder=None, feature_extractor=None, add_watermarker=False
            )
            _place(pipe, self.runtime, self.device)
            return pipe
        raise AssertionError("unreachable")

    def _load_adapter(self, pipe: Any) -> None:
        unet = pipe.unet
        layout = adapter_layout(self.adapter_state, self.paths.ip_adapter)
        check_adapter_fits(
            layout,
            self.paths.ip_adapter,
            int(unet.config.cross_attention_dim),
            unet_ip_layer_widths(unet),
            self.image_embed_dim,
        )
        pipe.load_ip_adapter(
            self.adapter_state, subfolder="", weight_name="", image_encoder_folder=None
        )

    def _load_lcm_unet(self) -> Any:
        if self.lcm_unet is not None:
            return self.lcm_unet
        if self.paths.lcm is None:
            raise ModelError(
                "Fast mode needs an LCM-distilled SDXL UNet (latent-consistency/lcm-sdxl) or an "
                "LCM-LoRA (latent-consistency/lcm-lora-sdxl); none is configured."
            )
        checked = check_lcm(self.paths.lcm)
        unet = load_lcm_unet(checked, self.base, self.dtype)
        self.lcm_is_lora = checked.layout is Layout.LORA
        self.fingerprints["lcm"] = fingerprint(checked.path)
        return unet

    def _load_controlnet(self) -> Any:
        if self.controlnet is not None:
            return self.controlnet
        if self.paths.controlnet is None:
            raise ModelError(
                "ControlNet mode needs an OpenPose SDXL ControlNet "
                "(thibaud/controlnet-openpose-sdxl-1.0); none is configured."
            )
        checked = check_controlnet(self.paths.controlnet)
        net = load_controlnet(checked, self.dtype)
        self.fingerprints["controlnet"] = fingerprint(checked.path)
        return net


def _place(pipe: Any, runtime: RuntimeSettings, device: torch.device) -> None:
    if runtime.offload == Offload.MODEL and device.type == "cuda":
        pipe.enable_model_cpu_offload(device=device)
    elif runtime.offload == Offload.SEQUENTIAL and device.type == "cuda":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    if runtime.vae_tiling:
        pipe.vae.enable_tiling()
    if runtime.channels_last:
        pipe.unet.to(memory_format=torch.channels_last)
        pipe.vae.to(memory_format=torch.channels_last)
    if runtime.compile_unet and not getattr(pipe.unet, "_storyiter_compiled", False):
        # fullgraph off: the adapter processors branch on scale; dynamic off so each
        # (batch, size) compiles once and is then reused across rounds.
        pipe.unet.compile(fullgraph=False, dynamic=False)
        pipe.unet._storyiter_compiled = True
    pipe.set_progress_bar_config(disable=True)


def quiet_library_logs() -> None:
    """Loading progress bars and advice from diffusers/transformers are noise in this app."""
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()


def load_models(paths: ModelPaths, runtime: RuntimeSettings) -> LoadedModels:
    """Load the base pipeline, the image encoder and the adapter; checks come first."""
    force_offline()
    quiet_library_logs()
    from diffusers import DDIMScheduler

    resolve_device(runtime.device)  # an impossible device is refused before a slow load
    dtype = _DTYPES[Precision(runtime.precision)]
    paths = resolve_paths(paths)
    base, encoder_source = check_before_loading(paths)
    adapter_state = load_adapter_state(paths.ip_adapter)
    pipe = load_base_pipeline(base, dtype, DDIMScheduler(**reference_scheduler_config()))
    encoder = load_image_encoder(encoder_source, dtype)
    return assemble_models(
        paths,
        runtime,
        pipe,
        encoder,
        adapter_state,
        fingerprints={
            "base": fingerprint(paths.base),
            "image_encoder": fingerprint(paths.image_encoder),
            "ip_adapter": fingerprint(paths.ip_adapter),
        },
    )


def assemble_models(
    paths: ModelPaths,
    runtime: RuntimeSettings,
    pipe: Any,
    image_encoder: Any,
    adapter_state: dict[str, dict[str, Any]],
    *,
    fingerprints: dict[str, str],
    lcm_unet: Any = None,
    controlnet: Any = None,
) -> LoadedModels:
    """LoadedModels from components already in memory (loaded from disk, or built from
    configs as the full-scale benchmark does): loads the adapter and places everything."""
    # The PIL backend, pinned: it is what the reference's preprocessing equals, and a
    # torchvision backend (when installed) would shift embeddings slightly.
    from transformers import CLIPImageProcessorPil

    device = resolve_device(runtime.device)
    dtype = _DTYPES[Precision(runtime.precision)]
    if device.type == "cpu":
        # Random-weight (preview) models drift into subnormal floats, which x86 CPUs process
        # up to ~100x slower; flushing them to zero halves CPU render time. GPUs flush already.
        torch.set_flush_denormal(True)
    models = LoadedModels(
        paths=paths,
        runtime=runtime,
        device=device,
        dtype=dtype,
        base=pipe,
        image_encoder=image_encoder.to(device=device, dtype=dtype).eval(),
        image_processor=CLIPImageProcessorPil(),
        adapter_state=adapter_state,
        fingerprints=fingerprints,
        lcm_unet=lcm_unet,
        controlnet=controlnet,
    )
    models._load_adapter(pipe)
    _place(pipe, runtime, device)
    return models


class ModelCache:
    """Keeps the last loaded model set; a pass with the same paths and runtime reuses it."""

    def __init__(self) -> None:
        self._key: tuple[ModelPaths, RuntimeSettings] | None = None
        self._models: LoadedModels | None = None
        self._lock = threading.Lock()

    def get(self, paths: ModelPaths, runtime: RuntimeSettings) -> LoadedModels:
        """Loaded models for ``paths``/``runtime``, loading (and dropping the old set) if needed."""
        key = (paths, _load_key(runtime))
        with self._lock:
            if self._key != key or self._models is None:
                self._models = None  # free the old set before loading the new one
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                self._models = load_models(paths, runtime)
                self._key = key
            return self._models

    def adopt(self, paths: ModelPaths, runtime: RuntimeSettings, models: LoadedModels) -> None:
        """Use models assembled elsewhere (e.g. built from configs) for ``paths``/``runtime``."""
        with self._lock:
            self._models = models
            self._key = (paths, _load_key(runtime))

    def clear(self) -> None:
        with self._lock:
            self._models = None
            self._key = None


def _load_key(runtime: RuntimeSettings) -> RuntimeSettings:
    # batch size does not change what is loaded
    from dataclasses import replace

    return replace(runtime, batch_size=0)


def model_folder_of(path: Path) -> Path:
    """The folder a model path lives in (for messages)."""
    return path if path.is_dir() else path.parent
