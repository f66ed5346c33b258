"""Batch planning: the one function that says which frames share a pipeline call."""

from __future__ import annotations

import numpy as np

from engine.api import FrameJob, GenerationSettings, PassRequest, ReferenceSet
from engine.batches import deal_batches, plan_batches

SETTINGS = GenerationSettings(steps=2, width=64, height=64)


def _ids(jobs) -> tuple[str, ...]:
    return tuple(j.frame_id for j in jobs)


def test_frames_are_grouped_by_scale_in_request_order_and_cut_at_the_batch_size():
    jobs = tuple(
        FrameJob(f"{i}", "p", 1, round=1, ip_scale=0.3 if i % 3 else 0.4) for i in range(7)
    )
    request = PassRequest(jobs, SETTINGS, ReferenceSet(("a",), np.zeros((1, 32))))
    batches = plan_batches(request, 2)
    assert [_ids(b.jobs) for b in batches] == [("0", "3"), ("6",), ("1", "2"), ("4", "5")]
    assert [b.ip_scale for b in batches] == [0.4, 0.4, 0.3, 0.3]


def test_each_share_rebatches_into_the_one_device_batches():
    rng = np.random.default_rng(3)
    for _ in range(40):
        n = int(rng.integers(1, 14))
        jobs = tuple(
            FrameJob(f"{i}", "p", 1, round=1, ip_scale=float(rng.choice([0.3, 0.4])))
            for i in range(n)
        )
        request = PassRequest(jobs, SETTINGS, ReferenceSet(("a",), np.zeros((1, 32))))
        size, devices = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        whole = [_ids(b.jobs) for b in plan_batches(request, size)]
        shares = deal_batches(request, size, devices)
        assert sorted(j.frame_id for s in shares for j in s) == sorted(j.frame_id for j in jobs)
        redrawn, counts = [], []
        for share in shares:
            batches = [
                _ids(b.jobs)
                for b in plan_batches(PassRequest(share, SETTINGS, request.references), size)
            ]
            redrawn += batches
            counts.append(len(batches))
        assert sorted(redrawn) == sorted(whole)
        assert max(counts) - min(counts) <= 1  # round-robin: at most one batch more
