"""The full-scale benchmark's models: published SDXL shapes, and a build path that runs."""

from __future__ import annotations

from engine.api import GenerationSettings, RuntimeSettings
from engine.models import unet_ip_layer_widths
from engine.story_iter import StoryFrame, run_story


def test_full_size_configs_have_the_published_parameter_counts():
    from bench.sdxl_full import param_counts

    millions = {k: round(v / 1e6) for k, v in param_counts().items()}
    assert millions == {
        "unet": 2567,
        "vae": 84,
        "text_encoder": 123,
        "text_encoder_2": 695,
        "image_encoder": 1845,
        "controlnet": 1251,
    }


def test_models_built_from_configs_run_every_mode():
    from bench.sdxl_full import build_full_models, tiny_configs

    engine = build_full_models(RuntimeSettings(device="cpu", batch_size=2), configs=tiny_configs())
    assert len(unet_ip_layer_widths(engine.models.base.unet)) == 70
    frames = [StoryFrame("a", "a fox"), StoryFrame("b", "a cat")]
    for fast in (False, True):
        settings = GenerationSettings(steps=2, width=64, height=64, fast=fast)
        history = run_story(engine, frames, settings, rounds=1, seed=3)
        assert [len(h) for h in history] == [2, 2]
