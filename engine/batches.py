"""Which frames of a pass share one pipeline call, and which device draws which batch.

Pure planning on request values (no torch), used by the in-process engine and by the
scale-out driver alike, so a batch drawn on any device is the very call one device makes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from engine.api import FrameJob, PassRequest

DEFAULT_BATCH = 4  # frames per call when the batch size is "from free memory" and unknown yet


@dataclass(frozen=True)
class Batch:
    """Frames drawn by one pipeline call: one adapter scale, with or without ControlNet."""

    jobs: tuple[FrameJob, ...]
    ip_scale: float
    posed: bool


def plan_batches(request: PassRequest, batch_size: int) -> list[Batch]:
    """The pass's batches: frames grouped by adapter scale and pose use, in request order,
    cut at ``batch_size`` (only the last batch of a group can be short)."""
    use_pose = request.settings.controlnet
    groups: OrderedDict[tuple[float, bool], list[FrameJob]] = OrderedDict()
    for job in request.jobs:
        posed = bool(use_pose and job.pose is not None and job.pose.figures)
        groups.setdefault((job.ip_scale, posed), []).append(job)
    return _cut(groups, batch_size)


def rebatch(batches: Iterable[Batch], batch_size: int) -> list[Batch]:
    """Regroup batches into batches of ``batch_size`` (same scale and pose use only)."""
    groups: OrderedDict[tuple[float, bool], list[FrameJob]] = OrderedDict()
    for batch in batches:
        groups.setdefault((batch.ip_scale, batch.posed), []).extend(batch.jobs)
    return _cut(groups, batch_size)


def deal_batches(request: PassRequest, batch_size: int, devices: int) -> list[tuple[FrameJob, ...]]:
    """Each device's frames: the pass's batches dealt round-robin (device k gets batches
    k, k+N, …).

    A device's share, planned again at the same ``batch_size``, gives back exactly those
    batches, so every frame shares its pipeline call with the frames it would share it with
    on one device. Round-robin keeps groups of slower ControlNet batches spread.
    """
    shares: list[list[FrameJob]] = [[] for _ in range(devices)]
    for i, batch in enumerate(plan_batches(request, batch_size)):
        shares[i % devices].extend(batch.jobs)
    return [tuple(share) for share in shares]


def _cut(groups: OrderedDict[tuple[float, bool], list[FrameJob]], size: int) -> list[Batch]:
    return [
        Batch(tuple(jobs[i : i + size]), scale, posed)
        for (scale, posed), jobs in groups.items()
        for i in range(0, len(jobs), size)
    ]
