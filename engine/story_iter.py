"""The Story-Iter method: passes of frames drawn with global reference cross-attention.

A pass draws any subset of frames; every frame attends jointly (one softmax) to the image
tokens of every image in the pass's reference set, through diffusers' native IP-Adapter
processors. Round 0 is text only (scale 0). ``run_story`` chains rounds 0..L like the
reference implementation, but encodes each image once (N encodes per round, not N²),
encodes each prompt once, and batches frames into one pipeline call.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from engine import __version__
from engine.api import (
    FAST_STEPS,
    CancelToken,
    EventKind,
    FrameJob,
    FrameResult,
    GenerationSettings,
    ImageRecord,
    ModelPaths,
    PassEngine,
    PassRequest,
    ProgressCallback,
    ProgressEvent,
    ReferenceSet,
    RuntimeSettings,
    scale_for_round,
)
from engine.batches import DEFAULT_BATCH, Batch, plan_batches, rebatch
from engine.errors import ModelError, OutOfMemoryError, RequestError
from engine.memory import PeakMemory, batch_from_memory, free_device_bytes
from engine.models import LoadedModels, ModelCache
from engine.pose import render_control_image
from engine.prompts import Style, apply_style, get_style

log = logging.getLogger(__name__)

# Linear map from SDXL latents to RGB: a cheap live preview without running the VAE.
_LATENT_RGB = torch.tensor(
    [[0.3651, 0.4232, 0.4341], [-0.2533, -0.0042, 0.1068], [0.1076, 0.1111, -0.0362],
     [-0.3165, -0.2492, -0.2188]]
)  # fmt: skip
_LATENT_RGB_BIAS = torch.tensor([0.1084, -0.0175, -0.0011])


def latent_preview(latents: torch.Tensor) -> np.ndarray:
    """(B, 4, h, w) latents -> (B, h, w, 3) uint8 approximate colours."""
    lat = latents.detach().float().cpu()
    rgb = torch.einsum("bchw,cr->bhwr", lat, _LATENT_RGB) + _LATENT_RGB_BIAS
    return ((rgb.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


class StoryIterEngine:
    """Runs passes on one set of models in this process: the one-device ``PassEngine``.

    Owned by one thread (the one that owns the GPU).
    """

    def __init__(
        self,
        paths: ModelPaths,
        runtime: RuntimeSettings | None = None,
        cache: ModelCache | None = None,
    ) -> None:
        self.paths = paths
        self.runtime = runtime or RuntimeSettings()
        self._cache = cache or ModelCache()
        self._text_cache: OrderedDict[tuple[Any, ...], tuple[torch.Tensor, ...]] = OrderedDict()
        self._card_text_cache: dict[str, np.ndarray | None] = {}
        self.encode_count = 0  # images run through the CLIP image encoder (for benchmarks)
        self.text_encode_count = 0
        self._learned_batch: dict[tuple[Any, ...], int] = {}  # batch_size=0: sized from memory

    # ------------------------------------------------------------------ models

    @property
    def models(self) -> LoadedModels:
        """The loaded models (loaded on first use)."""
        return self._cache.get(self.paths, self.runtime)

    def fingerprints(self) -> dict[str, str]:
        """Fingerprints of the model files (loads the models if needed)."""
        return dict(self.models.fingerprints)

    @property
    def device(self) -> str:
        """The device the models run on, e.g. ``cuda:0``."""
        return str(self.models.device)

    def start(self) -> None:
        """Load the models now (else the first pass does)."""
        _ = self.models

    def close(self) -> None:
        """Nothing to stop: the loaded models stay in the cache for the next engine."""

    # ------------------------------------------------------------------ embeddings

    @torch.no_grad()
    def encode_images(self, images: Sequence[Image.Image], reference_size: int = 256) -> np.ndarray:
        """Image embeddings (N, D) float32 as the method uses them as references.

        Each image is resized to ``reference_size``² first (PIL's default resampling, as the
        reference does), then goes through the encoder's own preprocessing.
        """
        if not images:
            return np.zeros((0, self.models.image_embed_dim), np.float32)
        m = self.models
        small = [im.convert("RGB").resize((reference_size, reference_size)) for im in images]
        pixels = m.image_processor(images=small, return_tensors="pt").pixel_values
        pixels = pixels.to(device=m.device, dtype=m.image_encoder.dtype)
        embeds = m.image_encoder(pixels).image_embeds
        self.encode_count += len(images)
        return embeds.float().cpu().numpy()

    def reference_set(
        self, ids: Sequence[str], images: Sequence[Image.Image], reference_size: int = 256
    ) -> ReferenceSet:
        """A reference set from images (encoded once each)."""
        return ReferenceSet(tuple(ids), self.encode_images(images, reference_size))

    # ------------------------------------------------------------------ text

    @torch.no_grad()
    def _text_embeddings(
        self, pipe: Any, prompt: str, negative: str, cfg: bool
    ) -> tuple[torch.Tensor, ...]:
        key = (id(pipe.text_encoder), id(pipe.text_encoder_2), prompt, negative, cfg)
        hit = self._text_cache.get(key)
        if hit is not None:
            self._text_cache.move_to_end(key)
            return hit
        out = pipe.encode_prompt(
            prompt=prompt,
            device=self.models.device,
            num_images_per_prompt=1,
            do_classifier_free_guidance=cfg,
            negative_prompt=negative if cfg else None,
        )
        self.text_encode_count += 1
        self._text_cache[key] = out
        while len(self._text_cache) > 512:
            self._text_cache.popitem(last=False)
        return out

    @torch.no_grad()
    def card_text_embedding(self, prompt: str) -> np.ndarray | None:
        """The card's text through SDXL's second text encoder (pooled, projected), float32.

        This is the text side of the alignment read-out. None when that encoder's width is not
        the image embedding's (the two do not share a space then).
        """
        if prompt in self._card_text_cache:
            return self._card_text_cache[prompt]
        pipe = self.models.base
        encoder, tokenizer = pipe.text_encoder_2, pipe.tokenizer_2
        out = None
        if encoder is not None and tokenizer is not None:
            width = getattr(encoder.config, "projection_dim", None)
            if width == self.models.image_embed_dim:
                ids = tokenizer(
                    prompt,
                    padding="max_length",
                    max_length=tokenizer.model_max_length,
                    truncation=True,
                    return_tensors="pt",
                ).input_ids.to(getattr(pipe, "_execution_device", self.models.device))
                out = encoder(ids).text_embeds[0].float().cpu().numpy()
        self._card_text_cache[prompt] = out
        while len(self._card_text_cache) > 4096:
            self._card_text_cache.pop(next(iter(self._card_text_cache)))
        return out

    # ------------------------------------------------------------------ passes

    def run_pass(
        self,
        request: PassRequest,
        *,
        cancel: CancelToken | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[FrameResult]:
        """Draw the request's frames; yields one FrameResult per finished frame.

        A cancelled pass stops within one denoising step and yields nothing for the frames
        in flight. Frames are batched by adapter scale and pose.
        """
        settings = request.settings
        style = get_style(settings.style)
        models = self.models
        cancel = cancel or CancelToken()
        notify = on_progress or (lambda _e: None)
        self._check_request(request, models)

        steps = FAST_STEPS if settings.fast else settings.steps
        size_key = (settings.width, settings.height, settings.fast, settings.controlnet)
        auto = self.runtime.batch_size == 0 and models.device.type == "cuda"
        size = self.runtime.batch_size or DEFAULT_BATCH
        if auto:
            size = self._learned_batch.get(size_key, 1)
        batches = plan_batches(request, size)
        total = steps * len(request.jobs)
        progress = {"done": 0, "total": total}
        notify(ProgressEvent(EventKind.STARTED, done=0, total=total))

        queue = list(batches)
        while queue:
            batch = queue.pop(0)
            if cancel.cancelled:
                break
            try:
                with PeakMemory(models.device, len(batch.jobs)) as peak:
                    results = self._run_batch(
                        batch, request, style, steps, cancel, notify, progress
                    )
            except Exception as exc:
                if not _is_oom(exc):
                    raise
                if len(batch.jobs) == 1:
                    raise OutOfMemoryError(
                        "The GPU ran out of memory drawing a single frame. Try fp16/bf16, "
                        "model offload or VAE tiling in the model settings."
                    ) from None
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                half = len(batch.jobs) // 2
                notify(
                    ProgressEvent(
                        EventKind.NOTICE,
                        message=f"Out of memory at batch {len(batch.jobs)}; retrying at {half}.",
                    )
                )
                progress["done"] -= progress.pop("batch_done", 0)
                if auto:
                    self._learned_batch[size_key] = half
                queue[:0] = [
                    Batch(batch.jobs[:half], batch.ip_scale, batch.posed),
                    Batch(batch.jobs[half:], batch.ip_scale, batch.posed),
                ]
                continue
            if auto and size_key not in self._learned_batch and peak.probe is not None:
                free = free_device_bytes(models.device) or 0
                learned = batch_from_memory(free, peak.probe.per_frame_bytes)
                self._learned_batch[size_key] = learned
                queue = rebatch(queue, learned)
                notify(ProgressEvent(EventKind.NOTICE, message=f"Batch size {learned} fits."))
            progress.pop("batch_done", None)
            if results is None:  # cancelled inside the batch: nothing from it is kept
                break
            for result in results:
                notify(
                    ProgressEvent(
                        EventKind.FRAME_DONE,
                        frame_ids=(result.frame_id,),
                        done=progress["done"],
                        total=total,
                    )
                )
                yield result
        kind = EventKind.CANCELLED if cancel.cancelled else EventKind.FINISHED
        notify(ProgressEvent(kind, done=progress["done"], total=total))

    def _check_request(self, request: PassRequest, models: LoadedModels) -> None:
        refs = request.references
        if refs is not None and len(refs) and refs.dim != models.image_embed_dim:
            raise RequestError(
                f"Reference embeddings are {refs.dim} wide but the image encoder makes "
                f"{models.image_embed_dim}-wide ones (were they made with other models?)."
            )
        if request.settings.fast and self.paths.lcm is None:
            raise ModelError("Fast mode needs an LCM UNet; none is configured.")
        posed = request.settings.controlnet and any(j.pose for j in request.jobs)
        if posed and self.paths.controlnet is None:
            raise ModelError("ControlNet mode needs an OpenPose ControlNet; none is configured.")
        s = request.settings
        if s.width % 8 or s.height % 8 or s.width < 64 or s.height < 64:
            raise RequestError(f"Image size {s.width}×{s.height} must be multiples of 8, ≥ 64.")
        if s.steps < 1:
            raise RequestError("Steps must be at least 1.")

    @torch.no_grad()
    def _run_batch(
        self,
        batch: Batch,
        request: PassRequest,
        style: Style,
        steps: int,
        cancel: CancelToken,
        notify: ProgressCallback,
        progress: dict[str, int],
    ) -> list[FrameResult] | None:
        s = request.settings
        models = self.models
        pipe = models.pipeline(fast=s.fast, controlnet=batch.posed)
        # An LCM-LoRA is distilled to run without classifier-free guidance (an LCM UNet gets
        # the guidance as an embedding instead).
        guidance = 1.0 if s.fast and models.lcm_is_lora else s.guidance
        cfg = guidance > 1 and pipe.unet.config.time_cond_proj_dim is None
        negative = style.negative_prompt
        sent = [apply_style(job.prompt, style) for job in batch.jobs]
        text = [self._text_embeddings(pipe, p, negative, cfg) for p in sent]
        kwargs: dict[str, Any] = {
            "prompt_embeds": torch.cat([t[0] for t in text]),
            "pooled_prompt_embeds": torch.cat([t[2] for t in text]),
        }
        if cfg:
            kwargs["negative_prompt_embeds"] = torch.cat([t[1] for t in text])
            kwargs["negative_pooled_prompt_embeds"] = torch.cat([t[3] for t in text])
        kwargs["ip_adapter_image_embeds"] = [self._reference_tokens(request, batch, cfg, models)]
        pipe.set_ip_adapter_scale(batch.ip_scale)
        if batch.posed:
            kwargs["image"] = [
                render_control_image(job.pose, s.width, s.height) for job in batch.jobs
            ]
            kwargs["controlnet_conditioning_scale"] = s.controlnet_scale
        frame_ids = tuple(j.frame_id for j in batch.jobs)

        def on_step(p: Any, i: int, t: Any, tensors: dict[str, torch.Tensor]) -> dict:
            progress["done"] += len(frame_ids)
            progress["batch_done"] = progress.get("batch_done", 0) + len(frame_ids)
            notify(
                ProgressEvent(
                    EventKind.STEP,
                    frame_ids=frame_ids,
                    step=i + 1,
                    steps=steps,
                    done=progress["done"],
                    total=progress["total"],
                    preview=latent_preview(tensors["latents"]),
                )
            )
            if cancel.cancelled:
                p._interrupt = True
            return {}

        latents = self._call_pipeline(
            pipe,
            num_inference_steps=steps,
            guidance_scale=guidance,
            width=s.width,
            height=s.height,
            generator=[torch.Generator("cpu").manual_seed(j.seed) for j in batch.jobs],
            output_type="latent",
            callback_on_step_end=on_step,
            callback_on_step_end_tensor_inputs=["latents"],
            **kwargs,
        )
        if cancel.cancelled:
            return None
        images = [self._decode(pipe, latents[i : i + 1]) for i in range(len(batch.jobs))]
        embeddings = self.encode_images(images, s.reference_size)
        ref_ids = request.references.ids if request.references is not None else ()
        return [
            FrameResult(
                frame_id=job.frame_id,
                round=job.round,
                image=image,
                embedding=embeddings[k],
                record=self._record(job, request, style, sent[k], steps, batch.posed, ref_ids),
                text_embedding=self.card_text_embedding(job.prompt),
            )
            for k, (job, image) in enumerate(zip(batch.jobs, images, strict=True))
        ]

    def _call_pipeline(self, pipe: Any, **kwargs: Any) -> torch.Tensor:
        """One diffusers call returning latents (the seam where out-of-memory surfaces)."""
        return pipe(**kwargs).images

    def _reference_tokens(
        self, request: PassRequest, batch: Batch, cfg: bool, models: LoadedModels
    ) -> torch.Tensor:
        """(1 or 2, N, D): the shared references, zeros as the unconditional half.

        Passed once for the whole batch: the pipeline repeats it per frame.
        """
        refs = request.references
        if batch.ip_scale == 0 or refs is None or len(refs) == 0:
            emb = torch.zeros(1, 1, models.image_embed_dim)
        else:
            emb = torch.from_numpy(np.array(refs.embeddings))[None]
        if cfg:
            emb = torch.cat([torch.zeros_like(emb), emb])
        return emb.to(device=models.device, dtype=models.dtype)

    @torch.no_grad()
    def _decode(self, pipe: Any, latents: torch.Tensor) -> Image.Image:
        """Latents -> PIL image exactly as the pipeline decodes, one image at a time.

        One at a time keeps the VAE's peak memory flat; a half-precision VAE that overflows
        (NaN) is re-run in fp32 instead of returning a black image.
        """
        vae = pipe.vae
        cfg = vae.config
        if getattr(cfg, "latents_mean", None) is not None and getattr(cfg, "latents_std", None):
            mean = torch.tensor(cfg.latents_mean).view(1, 4, 1, 1).to(latents)
            std = torch.tensor(cfg.latents_std).view(1, 4, 1, 1).to(latents)
            scaled = latents * std / cfg.scaling_factor + mean
        else:
            scaled = latents / cfg.scaling_factor
        upcast = vae.dtype == torch.float16 and cfg.force_upcast
        image = self._vae_decode(vae, scaled, torch.float32 if upcast else vae.dtype)
        if not torch.isfinite(image).all() and vae.dtype != torch.float32:
            log.warning("VAE produced NaN in %s; decoding again in fp32", vae.dtype)
            image = self._vae_decode(vae, scaled, torch.float32)
        return pipe.image_processor.postprocess(image, output_type="pil")[0]

    @staticmethod
    def _vae_decode(vae: Any, latents: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        original = vae.dtype
        if dtype != original:
            vae.to(dtype=dtype)
        try:
            device = next(vae.post_quant_conv.parameters()).device
            return vae.decode(latents.to(device=device, dtype=dtype), return_dict=False)[0]
        finally:
            if dtype != original:
                vae.to(dtype=original)

    def _record(
        self,
        job: FrameJob,
        request: PassRequest,
        style: Style,
        prompt_sent: str,
        steps: int,
        posed: bool,
        reference_ids: tuple[str, ...],
    ) -> ImageRecord:
        s = request.settings
        pipe = self.models.pipeline(fast=s.fast, controlnet=posed)
        return ImageRecord(
            frame_id=job.frame_id,
            round=job.round,
            prompt=job.prompt,
            prompt_sent=prompt_sent,
            negative_prompt=style.negative_prompt,
            seed=job.seed,
            ip_scale=job.ip_scale,
            steps=steps,
            guidance=s.guidance,
            width=s.width,
            height=s.height,
            style=style.name,
            fast=s.fast,
            controlnet=posed,
            controlnet_scale=s.controlnet_scale if posed else 0.0,
            posed=job.pose is not None and bool(job.pose.figures),
            scheduler=type(pipe.scheduler).__name__,
            precision=str(self.runtime.precision),
            model_fingerprints=dict(self.models.fingerprints),
            reference_ids=reference_ids if job.ip_scale > 0 else (),
            pass_id=request.pass_id,
            engine_version=__version__,
        )


# ---------------------------------------------------------------------- whole stories


@dataclass(frozen=True)
class StoryFrame:
    """A frame of a plain (project-less) story: prompt and optional pose."""

    frame_id: str
    prompt: str
    pose: Any = None


def run_story(
    engine: PassEngine,
    frames: Sequence[StoryFrame],
    settings: GenerationSettings,
    *,
    rounds: int,
    seed: int,
    cancel: CancelToken | None = None,
    on_progress: ProgressCallback | None = None,
    on_round: Callable[[int, list[FrameResult]], None] | None = None,
) -> list[list[FrameResult]]:
    """Rounds 0..``rounds`` over every frame, as the method runs a whole story.

    Round r ≥ 1 attends to every frame's image of round r-1, at scale
    ``linspace(0.3, 0.5, rounds)[r-1]``; one seed for every frame and round.
    Returns the results per round (a cancelled run returns the complete rounds only).
    """
    cancel = cancel or CancelToken()
    history: list[list[FrameResult]] = []
    references: ReferenceSet | None = None
    for r in range(rounds + 1):
        scale = scale_for_round(r, rounds)
        jobs = tuple(
            FrameJob(f.frame_id, f.prompt, seed, round=r, ip_scale=scale, pose=f.pose)
            for f in frames
        )
        request = PassRequest(jobs, settings, references if r else None, pass_id=f"round-{r:02d}")
        results = list(engine.run_pass(request, cancel=cancel, on_progress=on_progress))
        if cancel.cancelled or len(results) != len(frames):
            break
        order = {f.frame_id: i for i, f in enumerate(frames)}
        results.sort(key=lambda res: order[res.frame_id])
        history.append(results)
        if on_round:
            on_round(r, results)
        references = ReferenceSet(
            tuple(f"{res.frame_id}:{r}" for res in results),
            np.stack([res.embedding for res in results]),
        )
    return history
