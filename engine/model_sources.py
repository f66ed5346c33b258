"""Where a model role's files are: a path (``~``, relative, spaces), or a Hugging Face repo id
found in the local hub cache — never downloaded.

Each configured value resolves to one local path; ``describe_layout`` then says which of the
accepted layouts it is (a diffusers folder, an fp16-variant folder, a single file, a LoRA).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from engine.errors import ModelError

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")


class Role(StrEnum):
    BASE = "base"
    IMAGE_ENCODER = "image_encoder"
    IP_ADAPTER = "ip_adapter"
    CONTROLNET = "controlnet"
    LCM = "lcm"

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {
    Role.BASE: "SDXL base model",
    Role.IMAGE_ENCODER: "IP-Adapter image encoder",
    Role.IP_ADAPTER: "IP-Adapter checkpoint",
    Role.CONTROLNET: "OpenPose ControlNet",
    Role.LCM: "LCM UNet / LCM-LoRA",
}


class Layout(StrEnum):
    FOLDER = "diffusers folder"
    FOLDER_FP16 = "diffusers folder (fp16 variant files)"
    SINGLE_FILE = "single file"
    LORA = "LoRA file"


def force_offline() -> None:
    """Hub libraries never touch the network: set the switches they read (env and constants)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import huggingface_hub.constants

    huggingface_hub.constants.HF_HUB_OFFLINE = True


def hub_cache_dir() -> Path:
    """The local Hugging Face cache, read from the environment at call time."""
    env = os.environ.get("HF_HUB_CACHE")
    if env:
        return Path(env).expanduser()
    home = os.environ.get("HF_HOME")
    if home:
        return Path(home).expanduser() / "hub"
    return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "huggingface" / "hub"


def looks_like_repo_id(text: str) -> bool:
    return bool(_REPO_ID.match(text)) and not text.startswith(("./", "../"))


def resolve_location(role: Role, value: str | Path) -> Path:
    """The local path a configured value names: an absolute path, or a repo's cached files."""
    text = str(value).strip()
    path = Path(text).expanduser()
    if path.exists() or not looks_like_repo_id(text):
        return path.absolute()
    return _from_hub_cache(role, text)


def _from_hub_cache(role: Role, repo_id: str) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    force_offline()
    cache = hub_cache_dir()
    try:
        snapshot = Path(snapshot_download(repo_id, cache_dir=cache, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError, OSError, ValueError):
        raise ModelError(
            f"{role.title}: {repo_id} is neither a file or folder here nor a model in the local "
            f"Hugging Face cache ({cache}). Download it first (e.g. `hf download {repo_id}`) "
            "or give the path of its files."
        ) from None
    return pick_in_repo(role, snapshot)


def pick_in_repo(role: Role, root: Path) -> Path:
    """The file or folder of a repository (a snapshot, or a downloaded copy) for ``role``."""
    if role is Role.IP_ADAPTER:
        for name in ("ip-adapter_sdxl.safetensors", "ip-adapter_sdxl.bin"):
            for candidate in (root / "sdxl_models" / name, root / name):
                if candidate.is_file():
                    return candidate
    if role is Role.IMAGE_ENCODER:
        for candidate in (root / "sdxl_models" / "image_encoder", root / "image_encoder"):
            if (candidate / "config.json").is_file():
                return candidate
    if role is Role.LCM and (root / "pytorch_lora_weights.safetensors").is_file():
        return root / "pytorch_lora_weights.safetensors"
    marker = "model_index.json" if role is Role.BASE else "config.json"
    if (root / marker).is_file() or (role is Role.LCM and (root / "unet").is_dir()):
        return root
    singles = sorted(root.glob("*.safetensors"))
    return singles[0] if len(singles) == 1 else root


def default_image_encoder(ip_adapter: Path) -> Path | None:
    """The image encoder h94 ships beside its adapters (``sdxl_models/image_encoder``)."""
    candidate = ip_adapter.parent / "image_encoder"
    return candidate if (candidate / "config.json").is_file() else None


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class FolderWeights:
    """The weight files of one diffusers/transformers component folder."""

    plain: tuple[Path, ...]
    fp16: tuple[Path, ...]

    @property
    def variant(self) -> str | None:
        """``"fp16"`` when the folder only has fp16-variant files (load with variant="fp16")."""
        return "fp16" if self.fp16 and not self.plain else None

    @property
    def files(self) -> tuple[Path, ...]:
        return self.plain or self.fp16


def folder_weights(folder: Path) -> FolderWeights:
    weights = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    fp16 = tuple(p for p in weights if p.stem.endswith(".fp16") or ".fp16-" in p.name)
    return FolderWeights(tuple(p for p in weights if p not in fp16), fp16)


def describe_layout(path: Path, *, lora: bool = False) -> Layout:
    """The layout of a resolved path (after its check)."""
    if path.is_file():
        return Layout.LORA if lora else Layout.SINGLE_FILE
    for sub in (path / "unet", path):
        if sub.is_dir() and (sub / "config.json").is_file():
            return Layout.FOLDER_FP16 if folder_weights(sub).variant else Layout.FOLDER
    return Layout.FOLDER
