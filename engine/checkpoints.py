"""Reading and checking model files before anything heavy is loaded.

Every check here reads headers and configs only, so `storyboard models check` is instant
even for multi-GB checkpoints, and a wrong file is named before a slow load starts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.api import ModelPaths
from engine.errors import ModelError

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")
_IP_KEY = re.compile(r"^(\d+)\.(to_k_ip|to_v_ip)\.weight$")


@dataclass(frozen=True)
class AdapterLayout:
    """The shape of an h94-layout IP-Adapter checkpoint."""

    tokens: int  # image tokens per reference image (4 for ip-adapter_sdxl)
    cross_attention_dim: int  # width of the tokens (2048 for SDXL)
    image_embed_dim: int  # CLIP image embedding width it expects (1280 for ViT-bigG)
    layer_keys: tuple[int, ...]  # 1, 3, 5, ...
    layer_widths: tuple[int, ...]  # hidden size of each layer


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{what}: {path} is missing.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{what}: {path} is not readable JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise ModelError(f"{what}: {path} does not hold a JSON object.")
    return data


def _require_dir(path: Path, what: str) -> None:
    if not path.exists():
        raise ModelError(f"{what}: folder {path} does not exist.")
    if not path.is_dir():
        raise ModelError(f"{what}: {path} is a file, expected a folder.")
    if not any(path.iterdir()):
        raise ModelError(f"{what}: folder {path} is empty.")


def _weights_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in WEIGHT_SUFFIXES)


def check_safetensors(path: Path, what: str) -> list[str]:
    """Keys of a .safetensors file; a truncated or damaged file raises ModelError."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return list(f.keys())
    except Exception as exc:  # safetensors raises its own SafetensorError and OSError
        raise ModelError(
            f"{what}: {path} is not a complete .safetensors file ({exc}). "
            "It may be truncated (an interrupted download?)."
        ) from None


def _check_folder_weights(folder: Path, what: str) -> None:
    weights = _weights_in(folder)
    if not weights:
        raise ModelError(f"{what}: no weight file (.safetensors/.bin) in {folder}.")
    for w in weights:
        if w.suffix == ".safetensors":
            check_safetensors(w, what)


def _single_file(path: Path, what: str, folder_kind: str) -> bool:
    """True (after checking it) when ``path`` is a single .safetensors file."""
    if not path.is_file():
        return False
    if path.suffix != ".safetensors":
        raise ModelError(f"{what}: {path} must be {folder_kind} or a .safetensors file.")
    check_safetensors(path, what)
    return True


def check_base(path: Path) -> None:
    """An SDXL base: a diffusers folder, or a single-file .safetensors checkpoint."""
    what = "SDXL base model"
    if _single_file(path, what, "a diffusers folder"):
        return
    _require_dir(path, what)
    index = _read_json(path / "model_index.json", what)
    cls = index.get("_class_name", "")
    if "XL" not in cls:
        raise ModelError(
            f"{what}: {path} holds a {cls or 'non-diffusers'} model, expected an SDXL pipeline "
            "(StableDiffusionXLPipeline). Is this an SD1.5 model?"
        )
    for part in ("unet", "vae", "text_encoder", "text_encoder_2"):
        _require_dir(path / part, f"{what} ({part})")
        _read_json(path / part / "config.json", f"{what} ({part})")
        _check_folder_weights(path / part, f"{what} ({part})")
    for part in ("tokenizer", "tokenizer_2"):
        _require_dir(path / part, f"{what} ({part})")


def check_image_encoder(path: Path) -> dict[str, Any]:
    """The IP-Adapter image encoder folder (CLIPVisionModelWithProjection); returns its config."""
    what = "IP-Adapter image encoder"
    _require_dir(path, what)
    config = _read_json(path / "config.json", what)
    archs = config.get("architectures") or []
    if config.get("model_type") not in ("clip_vision_model", "clip") or (
        archs and "CLIPVisionModelWithProjection" not in archs
    ):
        raise ModelError(
            f"{what}: {path} holds {archs or config.get('model_type')}, expected a "
            "CLIPVisionModelWithProjection (the image_encoder folder next to ip-adapter_sdxl)."
        )
    _check_folder_weights(path, what)
    return config


def load_adapter_state(path: Path) -> dict[str, dict[str, Any]]:
    """An h94 IP-Adapter checkpoint as ``{"image_proj": ..., "ip_adapter": ...}``.

    ``.bin`` files are unpickled with ``weights_only=True`` only: no code in a file runs.
    """
    what = "IP-Adapter checkpoint"
    if not path.exists():
        raise ModelError(f"{what}: {path} does not exist.")
    if not path.is_file():
        raise ModelError(f"{what}: {path} is a folder, expected ip-adapter_sdxl.safetensors/.bin.")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        check_safetensors(path, what)
        flat = load_file(str(path))
        state: dict[str, dict[str, Any]] = {"image_proj": {}, "ip_adapter": {}}
        for key, value in flat.items():
            group, _, rest = key.partition(".")
            if group not in state:
                raise ModelError(f"{what}: {path} has an unexpected key {key!r}.")
            state[group][rest] = value
        return state
    if path.suffix == ".bin":
        import torch

        try:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelError(
                f"{what}: {path} could not be read as a plain weights file ({exc})."
            ) from None
        if not isinstance(state, dict) or not {"image_proj", "ip_adapter"} <= set(state):
            raise ModelError(
                f"{what}: {path} does not have the image_proj/ip_adapter sections of an "
                "IP-Adapter checkpoint."
            )
        return state
    raise ModelError(f"{what}: {path} must be a .safetensors or .bin file.")


def adapter_layout(state: Mapping[str, Mapping[str, Any]], path: Path) -> AdapterLayout:
    """Read the geometry of an adapter; refuse layouts other than the plain h94 one."""
    what = f"IP-Adapter checkpoint {path}"
    proj = state["image_proj"]
    if "proj.weight" not in proj:
        kinds = ", ".join(sorted(proj)[:4])
        raise ModelError(
            f"{what} is not the plain ip-adapter_sdxl layout (image projection keys: {kinds}). "
            "Plus/FaceID adapters are not the method's adapter."
        )
    out_dim, embed_dim = (int(x) for x in proj["proj.weight"].shape)
    norm = proj.get("norm.weight")
    cross = int(norm.shape[0]) if norm is not None else out_dim // 4
    keys: dict[int, int] = {}
    for name, tensor in state["ip_adapter"].items():
        m = _IP_KEY.match(name)
        if not m:
            raise ModelError(f"{what} has an unexpected adapter key {name!r}.")
        keys[int(m.group(1))] = int(tensor.shape[0])
    ordered = tuple(sorted(keys))
    return AdapterLayout(
        tokens=out_dim // cross,
        cross_attention_dim=cross,
        image_embed_dim=embed_dim,
        layer_keys=ordered,
        layer_widths=tuple(keys[k] for k in ordered),
    )


def check_adapter_fits(
    layout: AdapterLayout,
    path: Path,
    unet_cross_dim: int,
    unet_layer_widths: tuple[int, ...],
    encoder_dim: int,
) -> None:
    """Refuse an adapter that does not belong to this UNet and image encoder, saying why."""
    expected_keys = tuple(range(1, 2 * len(unet_layer_widths), 2))
    hints = []
    if layout.cross_attention_dim == 768:
        hints.append("is this an SD1.5 adapter?")
    hint = f" — {hints[0]}" if hints else ""
    if layout.cross_attention_dim != unet_cross_dim:
        raise ModelError(
            f"IP-Adapter checkpoint {path} makes {layout.cross_attention_dim}-wide tokens but the "
            f"SDXL UNet attends to {unet_cross_dim}-wide ones{hint}"
        )
    if layout.layer_keys != expected_keys or layout.layer_widths != unet_layer_widths:
        raise ModelError(
            f"IP-Adapter checkpoint {path} has {len(layout.layer_keys)} of "
            f"{len(unet_layer_widths)} expected layers (or layers of other widths){hint}"
        )
    if layout.image_embed_dim != encoder_dim:
        raise ModelError(
            f"IP-Adapter checkpoint {path} expects {layout.image_embed_dim}-wide image embeddings "
            f"but the image encoder gives {encoder_dim}: they do not belong together."
        )


def check_controlnet(path: Path) -> None:
    what = "OpenPose ControlNet"
    _require_dir(path, what)
    config = _read_json(path / "config.json", what)
    if config.get("_class_name") != "ControlNetModel":
        raise ModelError(
            f"{what}: {path} holds {config.get('_class_name')}, not a ControlNetModel."
        )
    if config.get("addition_embed_type") != "text_time":
        raise ModelError(f"{what}: {path} is not an SDXL ControlNet (SD1.5 ControlNet?).")
    _check_folder_weights(path, what)


def check_lcm(path: Path) -> None:
    what = "LCM UNet / LCM-LoRA"
    if _single_file(path, what, "a UNet folder (or an LCM-LoRA)"):
        return
    _require_dir(path, what)
    unet_dir = path / "unet" if (path / "unet" / "config.json").exists() else path
    config = _read_json(unet_dir / "config.json", what)
    if not config.get("time_cond_proj_dim"):
        raise ModelError(
            f"{what}: {unet_dir} is a UNet without time_cond_proj_dim — not LCM-distilled."
        )
    _check_folder_weights(unet_dir, what)


def check_models(paths: ModelPaths) -> list[tuple[str, Path | None, str]]:
    """Check every configured path; ``(component, path, "ok" or the problem)`` per component."""
    rows: list[tuple[str, Path | None, str]] = []
    checks = [
        ("SDXL base", paths.base, check_base),
        ("image encoder", paths.image_encoder, check_image_encoder),
        ("IP-Adapter", paths.ip_adapter, lambda p: adapter_layout(load_adapter_state(p), p)),
        ("ControlNet (optional)", paths.controlnet, check_controlnet),
        ("LCM UNet (optional)", paths.lcm, check_lcm),
    ]
    for name, path, check in checks:
        if path is None:
            rows.append((name, None, "not configured"))
            continue
        try:
            check(path)
            rows.append((name, path, "ok"))
        except ModelError as exc:
            rows.append((name, path, str(exc)))
    return rows


def fingerprint(path: Path) -> str:
    """A cheap, stable identity of a model file or folder (sizes + first/last MiB of weights).

    Hashing whole multi-GB checkpoints would cost seconds per load; head, tail and size change
    whenever the weights do in practice.
    """
    h = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        rel = f.name if path.is_file() else str(f.relative_to(path))
        size = f.stat().st_size
        h.update(f"{rel}:{size}\n".encode())
        with open(f, "rb") as fh:
            h.update(fh.read(1 << 20))
            if size > 2 << 20:
                fh.seek(-(1 << 20), 2)
                h.update(fh.read())
    return h.hexdigest()[:16]
