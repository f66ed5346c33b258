"""The model settings file: damaged, huge, deeply nested or mistyped files are named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storyboard_app.project.model_config import (
    ModelConfig,
    ModelConfigError,
    load_model_config,
    save_model_config,
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 100_000, "nested deeper than 64 levels"),
        (json.dumps({"base": {"a": [[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]}}).encode(), None),
        (b"{" + b" " * (2 << 20) + b"}", "larger than the limit of 1 MB"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "not an object but a list"),
        (json.dumps({"batch_size": "4"}).encode(), "batch_size must be int"),
    ],
    ids=["deep", "nested-value", "huge", "binary", "list", "mistyped"],
)
def test_bad_settings_files_are_named(tmp_path: Path, data: bytes, message: str | None) -> None:
    path = tmp_path / "models.json"
    path.write_bytes(data)
    if message is None:
        with pytest.raises(ModelConfigError, match="base must be str"):
            load_model_config(path)
        return
    with pytest.raises(ModelConfigError, match=message) as caught:
        load_model_config(path)
    assert str(path) in str(caught.value)


def test_saved_settings_read_back(tmp_path: Path) -> None:
    config = ModelConfig(base="/m/sdxl", image_encoder="/m/enc", ip_adapter="/m/a.safetensors")
    assert load_model_config(save_model_config(config, tmp_path / "models.json")) == config
