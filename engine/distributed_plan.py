"""Which worker draws which frames, and on which devices: pure planning, no processes."""

from __future__ import annotations

from engine.api import FrameJob, PassRequest
from engine.errors import EngineError


def workers_use_cpu(device: str, devices: int) -> bool:
    """Whether N workers run on CPU (gloo) rather than one CUDA GPU each (nccl).

    ``auto`` uses GPUs where CUDA is present, else CPU processes; ``cuda`` needs N visible
    GPUs; a single named device (``cuda:1``) cannot be split: CUDA_VISIBLE_DEVICES chooses.
    """
    if device == "cpu":
        return True
    if device not in ("auto", "cuda"):
        raise EngineError(
            f"Device {device!r} is one device; to split passes over {devices}, use device "
            "auto, cuda or cpu (CUDA_VISIBLE_DEVICES chooses which GPUs)."
        )
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        if device == "cuda":
            raise EngineError(f"{devices} CUDA devices asked for, but no CUDA GPU is visible.")
        return True
    if count < devices:
        raise EngineError(
            f"{devices} devices asked for, but only {count} CUDA GPU(s) are visible "
            "(check CUDA_VISIBLE_DEVICES)."
        )
    return False


def plan_shares(request: PassRequest, batch_size: int, workers: int) -> list[tuple[FrameJob, ...]]:
    """Each worker's frames: the single-process engine's batches, dealt round-robin.

    A worker's share, re-batched by the engine at the same ``batch_size``, gives back exactly
    those batches (in every group of equal scale and pose use, only the last batch can be
    short, and it stays last). Round-robin keeps groups of slower ControlNet batches spread.
    """
    from engine.memory import DEFAULT_BATCH
    from engine.story_iter import StoryIterEngine

    # The engine's own batch planner: the one source of truth for which frames share a call.
    # Batch size 0 ("from free memory") is sized per GPU by each worker; dealt in defaults.
    batches = StoryIterEngine._plan_batches(request, max(1, batch_size or DEFAULT_BATCH))
    shares: list[list[FrameJob]] = [[] for _ in range(workers)]
    for i, batch in enumerate(batches):
        shares[i % workers].extend(batch.jobs)
    return [tuple(share) for share in shares]
