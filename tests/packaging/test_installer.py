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
# A stand-in nvidia-smi: its GPU list, its compute-capability query (a driver too old for
# that query fails it, as a real one does) and its banner with the driver's CUDA version.
NVIDIA_SMI = """#!/bin/sh
if [ "$1" = "-L" ]; then
    i=0
    for cap in {caps}; do echo "GPU $i: NVIDIA GPU (UUID: GPU-$i)"; i=$((i + 1)); done
    exit 0
fi
if [ "$1" = "--query-gpu=compute_cap" ]; then
    [ "{query}" = yes ] || { echo 'Field "compute_cap" is not a valid field to query.'; exit 2; }
    for cap in {caps}; do echo "$cap"; done
    exit 0
fi
echo "| NVIDIA-SMI 580.65.06     Driver Version: 580.65.06     CUDA Version: {cuda}     |"
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


def with_nvidia(
    env: dict[str, str], tmp_path: Path, cuda: str, caps: str = "9.0", query: bool = True
) -> dict[str, str]:
    """A PATH with a stand-in nvidia-smi: driver for CUDA `cuda`, one GPU per capability."""
    folder = tmp_path / f"nvidia-{cuda}-{caps.replace(' ', '-')}"
    folder.mkdir()
    smi = folder / "nvidia-smi"
    text = NVIDIA_SMI.replace("{cuda}", cuda).replace("{caps}", caps)
    smi.write_text(text.replace("{query}", "yes" if query else "no"))
    smi.chmod(0o755)
    return env | {"PATH": f"{folder}:{env['PATH']}"}


def planned(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_no_gpu_plans_the_cpu_build(home):
    out = planned(run_installer(home, "--plan"))
    assert "found no NVIDIA or AMD GPU" in out
    # From PyTorch's CPU index: PyPI's Linux torch is a CUDA build.
    assert "torch 2.13.0, cpu build from https://download.pytorch.org/whl/cpu\n" in out


@pytest.mark.parametrize(
    ("cuda", "caps", "build"),
    [
        ("12.6", "8.6", "cu126"),
        ("12.8", "8.9", "cu126"),  # torch 2.13.0 has no cu128 build
        ("12.9", "9.0", "cu126"),
        ("13.0", "8.6", "cu130"),
        ("13.1", "9.0 9.0", "cu130"),
        ("13.2", "12.0", "cu130"),  # cu132 is experimental: only by hand
        ("13.0", "6.1", "cu126"),  # Pascal: the CUDA 13 builds start at Turing (7.5)
        ("13.0", "6.1 8.6", "cu126"),  # every GPU must be served
    ],
)
def test_nvidia_driver_and_gpus_pick_the_newest_build_they_support(
    home, tmp_path, cuda, caps, build
):
    out = planned(run_installer(with_nvidia(home, tmp_path, cuda, caps), "--plan"))
    count = len(caps.split())
    assert f"found {count} NVIDIA GPU(s) of compute capability" in out
    assert f"driver for CUDA {cuda}" in out
    assert f"{build} build from https://download.pytorch.org/whl/{build}\n" in out


def test_driver_without_the_capability_query_is_judged_by_its_cuda_version(home, tmp_path):
    env = with_nvidia(home, tmp_path, "12.4", query=False)
    result = run_installer(env, "--plan")
    assert result.returncode == 2
    assert "supports CUDA 12.4" in result.stderr and "CUDA 12.6 or newer" in result.stderr
    env = with_nvidia(home, tmp_path, "13.0", caps="8.0", query=False)
    assert "cu130 build" in planned(run_installer(env, "--plan"))


def test_too_old_nvidia_driver_is_named(home, tmp_path):
    result = run_installer(with_nvidia(home, tmp_path, "11.8"), "--plan")
    assert result.returncode == 2
    assert "supports CUDA 11.8" in result.stderr and "--torch cpu" in result.stderr
    # A Blackwell GPU has only the CUDA 13 builds: a CUDA 12.8 driver must be updated.
    result = run_installer(with_nvidia(home, tmp_path, "12.8", caps="12.0"), "--plan")
    assert result.returncode == 2
    assert "(cu130) needs a driver for CUDA 13.0 or newer" in result.stderr


def test_gpus_no_single_build_serves_are_named(home, tmp_path):
    result = run_installer(with_nvidia(home, tmp_path, "13.0", caps="6.1 12.0"), "--plan")
    assert result.returncode == 2
    assert "no CUDA build for GPUs of compute capability 6.1 12.0" in result.stderr


@pytest.mark.parametrize(
    ("installed", "build"), [("7.1.0-52", "rocm7.1"), ("7.2.1-81", "rocm7.2"), ("7.3.0", "rocm7.2")]
)
def test_rocm_picks_the_newest_build_not_above_it(home, tmp_path, installed, build):
    info = tmp_path / "rocm" / ".info"
    info.mkdir(parents=True)
    (info / "version").write_text(f"{installed}\n")
    out = planned(run_installer(home | {"ROCM_PATH": str(tmp_path / "rocm")}, "--plan"))
    assert f"found ROCm {installed[:3]}" in out
    assert f"{build} build from https://download.pytorch.org/whl/{build}\n" in out


def test_too_old_rocm_is_named(home, tmp_path):
    info = tmp_path / "rocm" / ".info"
    info.mkdir(parents=True)
    (info / "version").write_text("6.4.1-120\n")
    result = run_installer(home | {"ROCM_PATH": str(tmp_path / "rocm")}, "--plan")
    assert result.returncode == 2 and "ROCm 6.4 is older" in result.stderr


def test_choices_given_by_hand(home, tmp_path):
    out = planned(run_installer(with_nvidia(home, tmp_path, "12.8"), "--plan", "--torch", "cpu"))
    assert "cpu build from" in out and "NVIDIA" not in out
    out = planned(run_installer(home, "--plan", "--torch", "cu126", "--torch-index", "file:///w"))
    assert "cu126 build from file:///w" in out
    out = planned(run_installer(home, "--plan", "--torch", "cu132"))
    assert "cu132 build from https://download.pytorch.org/whl/cu132" in out
    bad = run_installer(home, "--plan", "--torch", "cu128")
    assert bad.returncode == 2 and "cu128 is not a build of torch 2.13.0" in bad.stderr
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
    # PyTorch's CPU index is out of reach here: pip's own index as this machine configures
    # it (which serves the CPU build of torch and its dependencies) stands in for it.
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple")
    torch = ["--torch", "cpu", "--torch-index", index]
    done = run_installer(home, *torch, "--download", str(wheels), timeout=900)
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
