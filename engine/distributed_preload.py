"""Imported once by the workers' forkserver, so every worker it forks starts warm.

diffusers and transformers import their model and pipeline classes lazily, on first use;
importing them here, before the fork, saves each worker those seconds of imports.
"""

from __future__ import annotations

import accelerate  # noqa: F401
import torch.distributed  # noqa: F401
from diffusers import (  # noqa: F401
    AutoencoderKL,
    ControlNetModel,
    DDIMScheduler,
    LCMScheduler,
    StableDiffusionXLControlNetPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from transformers import (  # noqa: F401
    CLIPImageProcessorPil,
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPTokenizer,
    CLIPVisionModelWithProjection,
)

import engine.distributed_worker
import engine.story_iter  # noqa: F401
from engine.models import quiet_library_logs

quiet_library_logs()
