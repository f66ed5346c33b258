"""Choosing how many frames go into one pipeline call from the memory that is free.

With ``RuntimeSettings.batch_size = 0`` the engine draws the first batch of a pass with one
frame, measures how much device memory that frame took at its peak, and sizes the remaining
batches to fit the free memory with a safety margin. Out-of-memory still halves and retries.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

MAX_AUTO_BATCH = 16
SAFETY = 0.8  # use at most this share of the free memory


@dataclass(frozen=True)
class MemoryProbe:
    """Peak memory of one measured call: the device's memory before and at its peak."""

    baseline_bytes: int
    peak_bytes: int
    frames: int

    @property
    def per_frame_bytes(self) -> int:
        return max(1, (self.peak_bytes - self.baseline_bytes) // max(1, self.frames))


def batch_from_memory(free_bytes: int, per_frame_bytes: int, cap: int = MAX_AUTO_BATCH) -> int:
    """Frames per call that fit ``free_bytes`` (at least 1, at most ``cap``)."""
    if per_frame_bytes <= 0:
        return cap
    return max(1, min(cap, int(free_bytes * SAFETY) // per_frame_bytes))


def free_device_bytes(device: torch.device) -> int | None:
    """Free memory of a CUDA device; None where it cannot be known (CPU, MPS)."""
    if device.type != "cuda":
        return None
    free, _total = torch.cuda.mem_get_info(device)
    return int(free)


class PeakMemory:
    """Context manager measuring a CUDA call's peak memory above its starting point."""

    def __init__(self, device: torch.device, frames: int) -> None:
        self.device = device
        self.frames = frames
        self.probe: MemoryProbe | None = None
        self._start = 0

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda" and exc[0] is None:
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
            self.probe = MemoryProbe(self._start, peak, self.frames)
