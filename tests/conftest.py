"""Shared test set-up: no test touches the network or a display; preview models built once."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

# Before anything imports Qt or the Hugging Face libraries (they read these at import time).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# The test models are tiny: one thread is as fast, and on a busy machine torch's OpenMP
# workers spin against other processes (2-step micro runs went from 0.3 s to 15 s).
os.environ.setdefault("OMP_NUM_THREADS", "1")

if TYPE_CHECKING:
    from engine.api import ModelPaths


@pytest.fixture(scope="session")
def preview_models(tmp_path_factory: pytest.TempPathFactory) -> ModelPaths:
    """Micro-profile preview models (random weights), built once per test session.

    Shared by every test: read them, never modify them.
    """
    from engine.preview_models import make_preview_models

    return make_preview_models(tmp_path_factory.mktemp("preview-micro") / "models", "micro")


@pytest.fixture(scope="session")
def preview_models_sdxl(tmp_path_factory: pytest.TempPathFactory) -> ModelPaths:
    """Preview models with SDXL's exact UNet block layout (70 IP-Adapter layers), built once.

    Shared by every test: read them, never modify them.
    """
    from engine.preview_models import make_preview_models

    return make_preview_models(tmp_path_factory.mktemp("preview-sdxl") / "models", "sdxl")
