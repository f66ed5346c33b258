"""``storyboard --version`` and the version report behind Help → About."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from storyboard_app.versions import version_report

BIN = Path(sys.executable).parent


def test_storyboard_version_names_the_app_and_its_libraries():
    script = shutil.which("storyboard", path=str(BIN))
    assert script
    out = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    lines = dict(line.split(":", 1) for line in out.splitlines())
    lines = {k: v.strip() for k, v in lines.items()}
    assert lines["StoryIter Studio"] == importlib.metadata.version("storyiter-studio")
    assert lines["Python"].startswith(".".join(map(str, sys.version_info[:3])))
    torch = importlib.metadata.version("torch")
    assert lines["torch"].startswith(torch)
    for name in ("diffusers", "transformers", "accelerate"):
        assert lines[name] == importlib.metadata.version(name)
    assert lines["PySide6"] == importlib.metadata.version("PySide6-Essentials")


def test_the_report_imports_neither_torch_nor_qt():
    code = (
        "import sys; from storyboard_app.versions import version_report; "
        "version_report().text(); "
        "print(sorted(m for m in ('torch', 'PySide6', 'diffusers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_torch_build_is_read_from_torch_version_file(tmp_path):
    """CUDA and ROCm builds are told apart from the text of torch/version.py (not imported)."""
    cases = {
        "cuda: Optional[str] = '12.8'\nhip: Optional[str] = None\n": "CUDA 12.8",
        "cuda = None\nhip = '6.4.43482'\n": "ROCm 6.4.43482",
        "cuda: Optional[str] = None\nhip: Optional[str] = None\n": "CPU",
    }
    for i, (text, expected) in enumerate(cases.items()):
        package = tmp_path / str(i) / "torch"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("raise SystemExit('torch must not be imported')\n")
        (package / "version.py").write_text(text)
        code = "from storyboard_app.versions import torch_build; print(torch_build())"
        env = os.environ | {"PYTHONPATH": str(package.parent)}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == expected


def test_report_lists_qt_and_model_fingerprints():
    report = version_report(qt_runtime="6.11.3", models={"base": "0123456789abcdef"})
    labels = [label for label, _ in report.lines]
    assert labels.index("Qt") == labels.index("PySide6") + 1
    assert ("model base", "0123456789abcdef") in report.lines
    assert "model base:" in report.text()


def test_active_model_fingerprints_are_the_engines(preview_models, tmp_path, monkeypatch):
    from engine.checkpoints import fingerprint
    from storyboard_app.versions import active_model_fingerprints

    monkeypatch.setenv("STORYITER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("STORYITER_CACHE_DIR", str(tmp_path / "cache"))
    assert active_model_fingerprints() == {
        "fingerprints": "none yet: the micro preview models are not built"
    }

    shutil.copytree(preview_models.base.parent, tmp_path / "cache" / "preview-models" / "micro")
    preview = active_model_fingerprints()
    assert preview["base (preview)"] == fingerprint(preview_models.base)

    (tmp_path / "config").mkdir()
    config = {
        "base": str(preview_models.base),
        "image_encoder": str(preview_models.image_encoder),
        "ip_adapter": str(preview_models.ip_adapter),
        "controlnet": str(tmp_path / "gone"),
    }
    (tmp_path / "config" / "models.json").write_text(json.dumps(config))
    found = active_model_fingerprints()
    assert found["base"] == fingerprint(preview_models.base)
    assert found["ip_adapter"] == fingerprint(preview_models.ip_adapter)
    assert found["controlnet"] == f"missing: {tmp_path / 'gone'}"
