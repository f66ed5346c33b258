"""Speed and memory levers that keep the method exact: batch sizing, NaN guard, NHWC."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.api import FrameJob, GenerationSettings, PassRequest, Precision, RuntimeSettings
from engine.batches import Batch, rebatch
from engine.memory import MemoryProbe, batch_from_memory
from engine.story_iter import StoryFrame, StoryIterEngine, run_story

SETTINGS = GenerationSettings(steps=2, width=64, height=64)
FRAMES = [StoryFrame(f"f{i}", f"a lighthouse keeper, scene {i}") for i in range(3)]


def test_batch_from_memory():
    gib = 1 << 30
    assert batch_from_memory(free_bytes=40 * gib, per_frame_bytes=2 * gib) == 16  # capped
    assert batch_from_memory(free_bytes=10 * gib, per_frame_bytes=2 * gib) == 4  # 80 % of free
    assert batch_from_memory(free_bytes=1 * gib, per_frame_bytes=2 * gib) == 1  # never 0
    assert MemoryProbe(baseline_bytes=5, peak_bytes=65, frames=3).per_frame_bytes == 20


def test_rebatch_keeps_order_and_never_mixes_scales_or_pose_use():
    jobs = [FrameJob(str(i), "p", 1) for i in range(7)]
    queue = [Batch((j,), 0.3, False) for j in jobs[:5]] + [Batch((j,), 0.3, True) for j in jobs[5:]]
    out = rebatch(queue, 2)
    assert [[j.frame_id for j in b.jobs] for b in out] == [
        ["0", "1"],
        ["2", "3"],
        ["4"],
        ["5", "6"],
    ]
    assert [b.posed for b in out] == [False, False, False, True]


def test_auto_batch_on_cpu_uses_the_default(preview_models, monkeypatch):
    engine = StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=0))
    sizes = []
    original = StoryIterEngine._call_pipeline

    def spy(self, pipe, **kwargs):
        sizes.append(len(kwargs["generator"]))
        return original(self, pipe, **kwargs)

    monkeypatch.setattr(StoryIterEngine, "_call_pipeline", spy)
    jobs = tuple(FrameJob(str(i), "a fox", 3) for i in range(6))
    assert len(list(engine.run_pass(PassRequest(jobs, SETTINGS)))) == 6
    assert sizes == [4, 2]


def test_half_precision_vae_overflow_is_decoded_again_in_fp32(preview_models, monkeypatch):
    engine = StoryIterEngine(
        preview_models, RuntimeSettings(device="cpu", precision=Precision.BF16)
    )
    decoded_in = []
    original = StoryIterEngine._vae_decode

    def overflowing(vae, latents, dtype):
        decoded_in.append(dtype)
        image = original(vae, latents, dtype)
        return torch.full_like(image, float("nan")) if dtype != torch.float32 else image

    monkeypatch.setattr(StoryIterEngine, "_vae_decode", staticmethod(overflowing))
    result = next(engine.run_pass(PassRequest((FrameJob("a", "a fox", 3),), SETTINGS)))
    assert decoded_in == [torch.bfloat16, torch.float32]
    pixels = np.asarray(result.image)
    assert pixels.std() > 0  # not a black (NaN -> 0) image
    assert engine.models.base.vae.dtype == torch.bfloat16  # the VAE went back to its dtype


def test_channels_last_keeps_parity(preview_models):
    plain = StoryIterEngine(preview_models, RuntimeSettings(device="cpu"))
    nhwc = StoryIterEngine(preview_models, RuntimeSettings(device="cpu", channels_last=True))
    a = run_story(plain, FRAMES, SETTINGS, rounds=1, seed=11)
    b = run_story(nhwc, FRAMES, SETTINGS, rounds=1, seed=11)
    for ra, rb in zip(a, b, strict=True):
        for x, y in zip(ra, rb, strict=True):
            diff = np.abs(np.asarray(x.image, np.int16) - np.asarray(y.image, np.int16)).max()
            assert diff <= 1


@pytest.mark.parametrize("batch", [1, 3])
def test_batch_size_does_not_change_images(preview_models, batch):
    one = StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=1))
    other = StoryIterEngine(preview_models, RuntimeSettings(device="cpu", batch_size=batch))
    a = run_story(one, FRAMES, SETTINGS, rounds=1, seed=4)
    b = run_story(other, FRAMES, SETTINGS, rounds=1, seed=4)
    for x, y in zip(a[-1], b[-1], strict=True):
        diff = np.abs(np.asarray(x.image, np.int16) - np.asarray(y.image, np.int16)).max()
        assert diff <= 1
