"""The engine's whole contract: frozen values in, frozen values out.

Everything that crosses from the app into the engine (and back) is defined here as an
immutable dataclass, so it can travel between threads and processes and be recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from engine.errors import (  # noqa: F401  (re-exported: the error family is part of the API)
    EngineError,
    EngineLostError,
    ModelError,
    OutOfMemoryError,
    PoseError,
    RequestError,
    StyleError,
)

if TYPE_CHECKING:
    from engine.pose import Pose

# --------------------------------------------------------------------------- models


class Precision(StrEnum):
    FP32 = "fp32"
    FP16 = "fp16"
    BF16 = "bf16"


class Offload(StrEnum):
    NONE = "none"
    MODEL = "model"  # whole components move to the GPU while they run
    SEQUENTIAL = "sequential"  # layer by layer: least memory, slowest


@dataclass(frozen=True)
class ModelPaths:
    """Where the user's model files are.

    ``base`` is a diffusers SDXL folder or a single-file ``.safetensors`` checkpoint;
    ``ip_adapter`` is the h94 ``ip-adapter_sdxl`` file (.safetensors or .bin);
    ``lcm`` is an LCM-distilled UNet folder or an LCM-LoRA ``.safetensors`` file.
    """

    base: Path
    image_encoder: Path
    ip_adapter: Path
    controlnet: Path | None = None
    lcm: Path | None = None
    preview: bool = False  # True for the engine's random-weight preview models

    @classmethod
    def from_models_dir(cls, root: Path | str) -> ModelPaths:
        """Paths in the standard layout (the one ``make-preview-models`` writes)."""
        root = Path(root)
        adapter_dir = root / "ip-adapter" / "sdxl_models"
        adapter = adapter_dir / "ip-adapter_sdxl.safetensors"
        if not adapter.exists() and (adapter_dir / "ip-adapter_sdxl.bin").exists():
            adapter = adapter_dir / "ip-adapter_sdxl.bin"
        controlnet = root / "controlnet-openpose"
        lcm = root / "lcm-unet"
        return cls(
            base=root / "sdxl",
            image_encoder=adapter_dir / "image_encoder",
            ip_adapter=adapter,
            controlnet=controlnet if controlnet.exists() else None,
            lcm=lcm if lcm.exists() else None,
            preview=(root / "PREVIEW_MODELS.json").exists(),
        )

    def describe(self) -> str:
        """One line for a status bar."""
        if self.preview:
            return f"Preview models (random weights, images are noise) — {self.base.parent}"
        return f"SDXL {self.base.name}"


@dataclass(frozen=True)
class RuntimeSettings:
    """How the models run; never changes what an image looks like beyond precision."""

    device: str = "auto"  # auto | cpu | cuda | cuda:1 | mps
    precision: Precision = Precision.FP32
    offload: Offload = Offload.NONE
    batch_size: int = 4  # frames per pipeline call; 0 = choose from free memory
    vae_tiling: bool = False
    channels_last: bool = False  # UNet/VAE convolutions in NHWC (often faster on GPUs)
    compile_unet: bool = False  # torch.compile the UNet once; the graph is reused by every pass


# --------------------------------------------------------------------------- the method


DEFAULT_ROUNDS = 10
SCALE_START = 0.3
# A story's bounds, shared by engine stories and project files: every frame attends to every
# other (N × 4 reference tokens), and a card's text fields are each at most this long.
MAX_FRAMES = 2000
MAX_TEXT_LENGTH = 20_000
SCALE_END = 0.5


def ip_scale_schedule(
    rounds: int, start: float = SCALE_START, end: float = SCALE_END
) -> tuple[float, ...]:
    """The adapter scale of rounds 1..L: ``linspace(start, end, L)`` as the reference does."""
    if rounds < 1:
        return ()
    return tuple(float(x) for x in np.linspace(start, end, rounds))


def scale_for_round(
    round_index: int, rounds: int, start: float = SCALE_START, end: float = SCALE_END
) -> float:
    """Adapter scale for round ``round_index`` (0 = text only) of an L-round schedule.

    Rounds past L (a writer iterating again after the schedule ran out) keep the last value.
    """
    if round_index <= 0:
        return 0.0
    schedule = ip_scale_schedule(max(rounds, 1), start, end)
    return schedule[min(round_index, len(schedule)) - 1]


@dataclass(frozen=True)
class GenerationSettings:
    """What shapes the images. Defaults are the reference implementation's effective values."""

    steps: int = 50
    guidance: float = 5.0
    width: int = 1024
    height: int = 1024
    style: str = "comic"
    fast: bool = False  # LCM-distilled UNet (or LCM-LoRA), LCMScheduler
    controlnet: bool = False  # OpenPose ControlNet for frames that carry a pose
    controlnet_scale: float = 1.0
    reference_size: int = 256  # previous-round images are resized to this square first

    def effective_steps(self) -> int:
        return self.steps

    def with_(self, **changes: Any) -> GenerationSettings:
        return replace(self, **changes)


FAST_STEPS = 4


@dataclass(frozen=True)
class FrameJob:
    """One frame to draw in a pass.

    ``prompt`` is the card's compiled prompt without the style wrapper; the engine applies
    the pass's style. ``round`` and ``ip_scale`` belong to the frame, so one pass can carry
    frames at different points of their schedules.
    """

    frame_id: str
    prompt: str
    seed: int
    round: int = 0
    ip_scale: float = 0.0
    pose: Pose | None = None


@dataclass(frozen=True, eq=False)
class ReferenceSet:
    """The image embeddings every frame of a pass attends to (global reference cross-attention).

    ``ids`` names each row (an image id in a project, ``frame:round`` in a plain render).
    """

    ids: tuple[str, ...]
    embeddings: np.ndarray  # (N, D) float32, read-only

    def __post_init__(self) -> None:
        emb = np.ascontiguousarray(self.embeddings, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(self.ids):
            raise RequestError(
                f"Reference set has {len(self.ids)} ids but embeddings of shape {emb.shape}."
            )
        if not np.isfinite(emb).all():
            raise RequestError("Reference embeddings contain NaN or infinite values.")
        emb.setflags(write=False)
        object.__setattr__(self, "embeddings", emb)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dim(self) -> int:
        return int(self.embeddings.shape[1])


@dataclass(frozen=True)
class PassRequest:
    """The engine's whole input for one pass: frames to draw and the references they share."""

    jobs: tuple[FrameJob, ...]
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    references: ReferenceSet | None = None  # None only when every job is round 0
    pass_id: str = ""

    def __post_init__(self) -> None:
        ids = [j.frame_id for j in self.jobs]
        if len(set(ids)) != len(ids):
            raise RequestError("A pass lists the same frame twice.")
        if self.references is None and any(j.ip_scale > 0 for j in self.jobs):
            raise RequestError("Frames with an adapter scale above 0 need a reference set.")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ImageRecord:
    """Everything needed to make an image again, exactly."""

    frame_id: str
    round: int
    prompt: str  # the card's compiled prompt
    prompt_sent: str  # with the style wrapper: what the text encoders saw
    negative_prompt: str
    seed: int
    ip_scale: float
    steps: int
    guidance: float
    width: int
    height: int
    style: str
    fast: bool
    controlnet: bool
    controlnet_scale: float
    posed: bool
    scheduler: str
    precision: str
    model_fingerprints: Mapping[str, str]
    reference_ids: tuple[str, ...]
    pass_id: str = ""
    engine_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["model_fingerprints"] = dict(self.model_fingerprints)
        d["reference_ids"] = list(self.reference_ids)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ImageRecord:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        known["reference_ids"] = tuple(known.get("reference_ids", ()))
        known["model_fingerprints"] = dict(known.get("model_fingerprints", {}))
        return cls(**known)


@dataclass(frozen=True, eq=False)
class FrameResult:
    """One finished frame: the image, its image embedding, and how it was made.

    ``png`` and ``thumbnail_png`` are filled where the frame was encoded (the engine
    process encodes before sending, and then sends no pixels: ``image`` is None).
    """

    frame_id: str
    round: int
    image: Any  # PIL.Image.Image (treated as immutable), or None once only bytes travel
    embedding: np.ndarray  # (D,) float32
    record: ImageRecord
    # The card's text (no style wrapper) through SDXL's second text encoder, pooled and
    # projected: in the image embedding's space. None when the widths differ.
    text_embedding: np.ndarray | None = None
    png: bytes = b""
    thumbnail_png: bytes = b""


class EventKind(StrEnum):
    STARTED = "started"
    STEP = "step"
    FRAME_DONE = "frame_done"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    NOTICE = "notice"  # e.g. "out of memory at batch 8, retrying at 4"


@dataclass(frozen=True, eq=False)
class ProgressEvent:
    """One progress report. ``done`` and ``total`` count denoising steps of the whole pass."""

    kind: EventKind
    frame_ids: tuple[str, ...] = ()
    step: int = 0
    steps: int = 0
    done: int = 0
    total: int = 0
    message: str = ""
    preview: np.ndarray | None = None  # (h, w, 3) uint8 cheap look at the current latents

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class CancelToken:
    """A flag the caller sets to stop a pass; checked between denoising steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


# --------------------------------------------------------------------------- engines

ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Devices:
    """Where passes are drawn.

    ``count`` 1 and no ``cluster``: this process's device (the in-process engine).
    ``count`` N > 1: a local Ray instance with one engine per device (GPU, or CPU process);
    0 means every GPU of this machine. ``cluster``: the address of an existing Ray cluster,
    one engine per GPU of the cluster (``count`` > 0 caps how many).
    """

    count: int = 1
    cluster: str = ""

    def __post_init__(self) -> None:
        if self.count < 0:
            raise RequestError(f"The number of devices must be 0 (all) or more, not {self.count}.")

    @property
    def in_process(self) -> bool:
        return self.count == 1 and not self.cluster

    def describe(self) -> str:
        """One phrase for a menu or a status line."""
        if self.cluster:
            return f"Ray cluster at {self.cluster}"
        if self.count == 1:
            return "this device"
        return "every GPU of this machine" if self.count == 0 else f"{self.count} devices here"


class PassEngine(Protocol):
    """What draws passes: the in-process engine, the app's engine process and the Ray engine.

    ``run_pass`` yields one FrameResult per finished frame (in the order they finish) and
    reports progress; a cancelled pass stops within one denoising step and yields nothing
    for the frames in flight. Owned by one thread; one pass at a time.
    """

    @property
    def device(self) -> str:
        """The device(s) the models run on, e.g. ``cuda:0`` or ``cpu+cpu``."""
        ...

    @property
    def encode_count(self) -> int:
        """Images run through the image encoder so far (for benchmarks and manifests)."""
        ...

    def start(self) -> None:
        """Load the models now (else the first pass does)."""

    def run_pass(
        self,
        request: PassRequest,
        *,
        cancel: CancelToken | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Iterator[FrameResult]:
        """Draw the request's frames; yields each FrameResult as it is finished."""
        ...

    def fingerprints(self) -> dict[str, str]:
        """Fingerprints of the model files the engine draws with."""
        ...

    def close(self) -> None:
        """Stop whatever the engine started (processes, actors); idempotent."""
