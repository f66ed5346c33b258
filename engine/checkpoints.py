"""Reading and checking model files before anything heavy is loaded.

Every check here reads headers and configs only, so `storyboard models check` is instant
even for multi-GB checkpoints, and a wrong file — or a wrong pair of files — is named before
a slow load starts. Pickled ``.bin`` files are opened with ``weights_only=True`` only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.adapter_file import (
    AdapterLayout,
    adapter_layout,
    adapter_shapes,
    check_adapter_fits,
    ip_layer_widths,
)
from engine.api import ModelPaths
from engine.errors import ModelError
from engine.model_sources import Layout, Role, folder_weights, resolve_location
from engine.pickled import load_pickled_weights
from engine.single_file import (
    check_base_file,
    component_config,
    controlnet_file_architecture,
    encoder_file_architecture,
    lora_format,
    read_header,
)


@dataclass(frozen=True)
class Checked:
    """What a check found out about one model path, for loading and for cross-checks."""

    path: Path
    layout: Layout
    config: Mapping[str, Any] = field(default_factory=dict)  # the relevant (UNet/encoder) config
    architecture: str | None = None  # config set of a single file (engine.single_file)

    @property
    def variant(self) -> str | None:
        return "fp16" if self.layout is Layout.FOLDER_FP16 else None


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


def check_safetensors(path: Path, what: str) -> list[str]:
    """Keys of a .safetensors file; a truncated or damaged file raises ModelError."""
    return list(read_header(path, what).shapes)


def _check_weight_file(path: Path, what: str) -> None:
    if path.suffix == ".safetensors":
        read_header(path, what)
    else:
        load_pickled_weights(path, what)


def _check_folder(folder: Path, what: str) -> Layout:
    """Every weight file of a component folder is complete and safe; its layout."""
    weights = folder_weights(folder)
    if not weights.files:
        raise ModelError(f"{what}: no weight file (.safetensors/.bin) in {folder}.")
    for w in weights.files:
        _check_weight_file(w, what)
    return Layout.FOLDER_FP16 if weights.variant else Layout.FOLDER


def _single_file(path: Path, what: str, folder_kind: str) -> bool:
    """True when ``path`` is a file (it must then be a .safetensors file)."""
    if not path.is_file():
        return False
    if path.suffix != ".safetensors":
        raise ModelError(f"{what}: {path} must be {folder_kind} or a .safetensors file.")
    return True


def check_base(path: Path) -> Checked:
    """An SDXL base: a diffusers folder (fp16 variant too), or a single-file checkpoint."""
    what = Role.BASE.title
    if _single_file(path, what, "a diffusers folder"):
        architecture = check_base_file(read_header(path, what), what)
        unet = component_config(architecture, "unet")
        return Checked(path, Layout.SINGLE_FILE, unet, architecture)
    _require_dir(path, what)
    index = _read_json(path / "model_index.json", what)
    cls = index.get("_class_name", "")
    if "XL" not in cls or "Img2Img" in cls or "Inpaint" in cls:
        raise ModelError(
            f"{what}: {path} holds a {cls or 'non-diffusers'} model, expected an SDXL pipeline "
            "(StableDiffusionXLPipeline). Is this an SD1.5 model?"
        )
    layouts = set()
    for part in ("unet", "vae", "text_encoder", "text_encoder_2"):
        _require_dir(path / part, f"{what} ({part})")
        _read_json(path / part / "config.json", f"{what} ({part})")
        layouts.add(_check_folder(path / part, f"{what} ({part})"))
    for part in ("tokenizer", "tokenizer_2"):
        _require_dir(path / part, f"{what} ({part})")
    if len(layouts) > 1:
        raise ModelError(
            f"{what}: {path} mixes fp16-variant and plain weight files across its components; "
            "keep one kind."
        )
    unet = _read_json(path / "unet" / "config.json", what)
    if unet.get("in_channels", 4) != 4:
        raise ModelError(
            f"{what}: {path} has a {unet['in_channels']}-channel UNet (an inpainting model?), "
            "not an SDXL base model."
        )
    return Checked(path, layouts.pop(), unet)


def check_image_encoder(path: Path) -> Checked:
    """The image encoder: a CLIPVisionModelWithProjection folder, or a ComfyUI clip_vision
    single file; its ``config`` is the vision config (``projection_dim`` = embedding width)."""
    what = Role.IMAGE_ENCODER.title
    if _single_file(path, what, "an image_encoder folder"):
        architecture, _dim = encoder_file_architecture(read_header(path, what), what)
        config = component_config(architecture, "image_encoder")
        return Checked(path, Layout.SINGLE_FILE, config, architecture)
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
    layout = _check_folder(path, what)
    vision = config.get("vision_config", config) if config.get("model_type") == "clip" else config
    return Checked(path, layout, {**vision, "projection_dim": config.get("projection_dim")})


def check_controlnet(path: Path) -> Checked:
    what = Role.CONTROLNET.title
    if _single_file(path, what, "a ControlNet folder"):
        architecture, config = controlnet_file_architecture(read_header(path, what), what)
        return Checked(path, Layout.SINGLE_FILE, config, architecture)
    _require_dir(path, what)
    config = _read_json(path / "config.json", what)
    if config.get("_class_name") != "ControlNetModel":
        raise ModelError(
            f"{what}: {path} holds {config.get('_class_name')}, not a ControlNetModel."
        )
    if config.get("addition_embed_type") != "text_time":
        raise ModelError(f"{what}: {path} is not an SDXL ControlNet (SD1.5 ControlNet?).")
    return Checked(path, _check_folder(path, what), config)


def check_lcm(path: Path) -> Checked:
    """An LCM-distilled UNet folder, or an LCM-LoRA file (kohya or diffusers key names)."""
    what = Role.LCM.title
    if _single_file(path, what, "a UNet folder (or an LCM-LoRA)"):
        header = read_header(path, what)
        if lora_format(header) is None:
            raise ModelError(
                f"{what}: {path} is not a LoRA (no lora_down/lora_A keys); give an LCM-LoRA "
                "(pytorch_lora_weights.safetensors) or an LCM UNet folder."
            )
        return Checked(path, Layout.LORA)
    _require_dir(path, what)
    unet_dir = path / "unet" if (path / "unet" / "config.json").exists() else path
    config = _read_json(unet_dir / "config.json", what)
    if not config.get("time_cond_proj_dim"):
        raise ModelError(
            f"{what}: {unet_dir} is a UNet without time_cond_proj_dim — not LCM-distilled."
        )
    return Checked(path, _check_folder(unet_dir, what), config)


def check_adapter(path: Path) -> AdapterLayout:
    return adapter_layout(adapter_shapes(path), path)


CHECKS: tuple[tuple[str, Role, Callable[[Path], Any]], ...] = (
    ("SDXL base", Role.BASE, check_base),
    ("image encoder", Role.IMAGE_ENCODER, check_image_encoder),
    ("IP-Adapter", Role.IP_ADAPTER, check_adapter),
    ("ControlNet (optional)", Role.CONTROLNET, check_controlnet),
    ("LCM UNet (optional)", Role.LCM, check_lcm),
)


def check_models(paths: ModelPaths) -> list[tuple[str, Path | None, str]]:
    """Check every configured path, then that they belong together; ``(component, path,
    "ok" or the problem)`` per component. Reads headers and configs only."""
    rows: dict[Role, tuple[str, Path | None, str]] = {}
    found: dict[Role, Any] = {}
    for name, role, check in CHECKS:
        path = getattr(paths, role.value)
        if path is None:
            rows[role] = (name, None, "not configured")
            continue
        try:
            path = resolve_location(role, path)
            found[role] = check(path)
            rows[role] = (name, path, "ok")
        except ModelError as exc:
            rows[role] = (name, path, str(exc))
    for role, problem in mismatches(found, rows[Role.IP_ADAPTER][1]):
        name, path, _ = rows[role]
        rows[role] = (name, path, problem)
    return list(rows.values())


def mismatches(found: Mapping[Role, Any], adapter_path: Path | None) -> list[tuple[Role, str]]:
    """Checked models that cannot work together: (the role to blame, the problem)."""
    out: list[tuple[Role, str]] = []
    base, encoder, adapter = (
        found.get(r) for r in (Role.BASE, Role.IMAGE_ENCODER, Role.IP_ADAPTER)
    )
    if adapter is not None and encoder is not None and adapter_path is not None:
        # The adapter's layers go into the base UNet and into the LCM UNet of fast mode.
        for role in (Role.BASE, Role.LCM):
            unet = found.get(role)
            if unet is None or not unet.config:
                continue
            try:
                check_adapter_fits(
                    adapter,
                    adapter_path,
                    int(unet.config["cross_attention_dim"]),
                    ip_layer_widths(unet.config),
                    int(encoder.config["projection_dim"]),
                )
            except ModelError as exc:
                out.append((Role.IP_ADAPTER if role is Role.BASE else role, str(exc)))
                break
    net = found.get(Role.CONTROLNET)
    if base is not None and net is not None:
        ours, theirs = base.config.get("cross_attention_dim"), net.config.get("cross_attention_dim")
        if ours != theirs:
            out.append(
                (
                    Role.CONTROLNET,
                    f"{Role.CONTROLNET.title}: {net.path} reads {theirs}-wide text embeddings but "
                    f"the base model makes {ours}-wide ones: they are not of one model family.",
                )
            )
    return out


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
