"""packaging/install.sh as a user runs it: GPU detection, then a real install into a fresh home.

The detection tests run the installer's ``--plan`` against stand-in ``nvidia-smi`` / ROCm
files (no GPU here). The full install (a real venv with torch, the app, the desktop files)
takes minutes, so it runs in ``make packaging-test`` (STORYITER_PACKAGING_TESTS=1), which
CI runs after the suite.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "packaging" / "install.sh"
NVIDIA_SMI = """#!/bin/sh
if [ "$1" = "-L" ]; then
    i=0
    while [ $i -lt {gpus} ]; do echo "GPU $i: NVIDIA H200 (UUID: GPU-$i)"; i=$((i + 1)); done
    exit 0
fi
echo "| NVIDIA-SMI 570.86.15     Driver Version: 570.86.15     CUDA Version: {cuda}     |"
"""


def run_installer(env: dict[str, str], *args: str, timeout: int = 60):
    return subprocess.run(
        ["bash", str(INSTALL), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def home(tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    return env | {
        "HOME": str(home),
        "ROCM_PATH": str(tmp_path / "no-rocm"),
        # Keep the machine's pip cache, whatever HOME says.
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
    }


def with_nvidia(env: dict[str, str], tmp_path: Path, cuda: str, gpus: int = 1) -> dict[str, str]:
    folder = tmp_path / f"nvidia-{cuda}-{gpus}"
    folder.mkdir()
    smi = folder / "nvidia-smi"
    smi.write_text(NVIDIA_SMI.replace("{cuda}", cuda).replace("{gpus}", str(gpus)))
    smi.chmod(0o755)
    return env | {"PATH": f"{folder}:{env['PATH']}"}


def planned(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_no_gpu_plans_the_cpu_build(home):
    out = planned(run_installer(home, "--plan"))
    assert "found no NVIDIA or AMD GPU" in out
    assert "torch 2.13.0, cpu build\n" in out


@pytest.mark.parametrize(
    ("cuda", "build"), [("12.6", "cu126"), ("12.8", "cu128"), ("12.9", "cu128"), ("13.1", "cu130")]
)
def test_nvidia_driver_picks_the_newest_cuda_build_it_supports(home, tmp_path, cuda, build):
    out = planned(run_installer(with_nvidia(home, tmp_path, cuda), "--plan"))
    assert f"driver for CUDA {cuda}" in out
    assert f"{build} build from https://download.pytorch.org/whl/{build}" in out


def test_too_old_nvidia_driver_is_named(home, tmp_path):
    result = run_installer(with_nvidia(home, tmp_path, "11.8"), "--plan")
    assert result.returncode == 2
    assert "supports CUDA 11.8" in result.stderr and "--torch cpu" in result.stderr


def test_rocm_picks_its_build(home, tmp_path):
    info = tmp_path / "rocm" / ".info"
    info.mkdir(parents=True)
    (info / "version").write_text("6.4.1-120\n")
    out = planned(run_installer(home | {"ROCM_PATH": str(tmp_path / "rocm")}, "--plan"))
    assert "found ROCm 6.4" in out
    assert "rocm6.4 build from https://download.pytorch.org/whl/rocm6.4" in out


def test_choices_given_by_hand(home, tmp_path):
    out = planned(run_installer(with_nvidia(home, tmp_path, "12.8"), "--plan", "--torch", "cpu"))
    assert "cpu build\n" in out and "NVIDIA" not in out
    out = planned(run_installer(home, "--plan", "--torch", "cu126", "--torch-index", "file:///w"))
    assert "cu126 build from file:///w" in out
    out = planned(run_installer(home, "--plan", "--torch", "cpu", "--extras", ""))
    assert "the app into" in out and "extras" not in out
    bad = run_installer(home, "--plan", "--torch", "cuda12")
    assert bad.returncode == 2 and "--torch cuda12 is not a build" in bad.stderr
    bad = run_installer(home, "--plan", "--wheels", str(tmp_path / "none"))
    assert bad.returncode == 2 and "is not a folder" in bad.stderr
    bad = run_installer(home, "--frobnicate")
    assert bad.returncode == 2 and "unknown option --frobnicate" in bad.stderr


slow = pytest.mark.skipif(
    os.environ.get("STORYITER_PACKAGING_TESTS") != "1",
    reason="installs torch and the app into a fresh venv (minutes): make packaging-test",
)


@slow
@pytest.mark.timeout(1800)
def test_offline_install_upgrade_and_uninstall(home, tmp_path):
    wheels = tmp_path / "wheels"
    done = run_installer(home, "--torch", "cpu", "--download", str(wheels), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert any(p.name.startswith("torch-2.13.0") for p in wheels.iterdir())

    # Offline: nothing but the folder of wheels (no index at all).
    offline = home | {"PIP_INDEX_URL": "http://127.0.0.1:9/none", "PIP_EXTRA_INDEX_URL": ""}
    done = run_installer(offline, "--torch", "cpu", "--wheels", str(wheels), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    data = Path(home["HOME"]) / ".local" / "share"
    venv = data / "storyiter-studio" / "venv"
    version = subprocess.run(
        [str(Path(home["HOME"]) / ".local" / "bin" / "storyboard"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "torch:            2.13.0" in version and "(CPU)" in version
    desktop = (data / "applications" / "org.storyiter.Studio.desktop").read_text()
    assert f"Exec={venv}/bin/storyboard-app %f" in desktop

    # Running it again upgrades in place: the same venv, the app's copy replaced.
    marker = venv / "kept"
    marker.write_text("")
    (data / "storyiter-studio" / "app" / "stale-file").write_text("")
    done = run_installer(offline, "--torch", "cpu", "--wheels", str(wheels), timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert marker.exists()
    assert not (data / "storyiter-studio" / "app" / "stale-file").exists()

    done = run_installer(home, "--uninstall", timeout=600)
    assert done.returncode == 0, done.stderr
    assert not (data / "storyiter-studio").exists()
    assert not (data / "applications" / "org.storyiter.Studio.desktop").exists()
    assert not (Path(home["HOME"]) / ".local" / "bin" / "storyboard").exists()
