"""Shared test set-up: no test touches the network or a display; preview models built once."""

from __future__ import annotations

import os
from pathlib import Path
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


def require_loopback_only() -> None:
    """Skip unless this runs in a network namespace that has only ``lo``.

    Ray's GCS advertises the machine's outward address even when every node is given
    127.0.0.1, so its traffic stays on loopback only where no other interface exists:
    ``unshare -n sh -c 'ip link set lo up && make test'`` (as root) runs these tests.
    """
    import socket

    others = sorted({name for _, name in socket.if_nameindex()} - {"lo"})
    if others:
        pytest.skip(
            f"Ray tests need a network namespace with only lo (this one also has "
            f"{', '.join(others)}): run them under unshare -n."
        )


@pytest.fixture(scope="session")
def ray_cluster():
    """A two-node Ray cluster on this machine: one CPU each, every node on 127.0.0.1,
    token authentication on (a fresh token in RAY_AUTH_TOKEN), its files in a private
    temporary folder. Started once, on first use, for every test that draws on Ray."""
    import secrets
    import shutil
    import tempfile

    require_loopback_only()
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths are long
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_TMPDIR", temp)
        mp.setenv("RAY_AUTH_MODE", "token")
        mp.setenv("RAY_AUTH_TOKEN", secrets.token_hex(16))
        import ray  # after the variables: Ray reads its authentication mode once, on import
        from ray.cluster_utils import Cluster

        node = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False}
        cluster = Cluster(initialize_head=True, head_node_args=node)
        try:
            cluster.add_node(**node)
            cluster.wait_for_nodes()
            yield cluster
        finally:
            ray.shutdown()
            cluster.shutdown()
            shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="session")
def model_trees(preview_models: ModelPaths, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The micro preview models in every layout users have them (see tests/engine/layouts.py):
    ``single/``, ``fp16/``, ``hub/`` (a Hugging Face cache), ``ComfyUI/models``,
    ``A1111/models``, ``loras/``. Shared by every test: read them, never modify them."""
    from tests.engine.layouts import build_model_trees

    return build_model_trees(preview_models, tmp_path_factory.mktemp("model-trees"))
