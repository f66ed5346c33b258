"""The h94 IP-Adapter file: its sections, its geometry, and whether it fits a UNet and encoder.

``.safetensors`` adapters are read through their header; ``.bin`` adapters are unpickled with
``weights_only=True`` only, so no code in a file ever runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ModelError
from engine.model_sources import Role
from engine.pickled import load_pickled_weights
from engine.single_file import read_header

_IP_KEY = re.compile(r"^(\d+)\.(to_k_ip|to_v_ip)\.weight$")


@dataclass(frozen=True)
class AdapterLayout:
    """The shape of an h94-layout IP-Adapter checkpoint."""

    tokens: int  # image tokens per reference image (4 for ip-adapter_sdxl)
    cross_attention_dim: int  # width of the tokens (2048 for SDXL)
    image_embed_dim: int  # CLIP image embedding width it expects (1280 for ViT-bigG)
    layer_keys: tuple[int, ...]  # 1, 3, 5, ...
    layer_widths: tuple[int, ...]  # hidden size of each layer


def load_adapter_state(path: Path) -> dict[str, dict[str, Any]]:
    """An h94 IP-Adapter checkpoint as ``{"image_proj": ..., "ip_adapter": ...}``.

    ``.bin`` files are unpickled with ``weights_only=True`` only: no code in a file runs.
    """
    what = Role.IP_ADAPTER.title
    _check_adapter_path(path, what)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        read_header(path, what)
        return _nest(load_file(str(path)), path, what)
    return _adapter_sections(load_pickled_weights(path, what), path, what)


def _check_adapter_path(path: Path, what: str) -> None:
    if not path.exists():
        raise ModelError(f"{what}: {path} does not exist.")
    if not path.is_file():
        raise ModelError(f"{what}: {path} is a folder, expected ip-adapter_sdxl.safetensors/.bin.")
    if path.suffix not in (".safetensors", ".bin"):
        raise ModelError(f"{what}: {path} must be a .safetensors or .bin file.")


def _nest(flat: Mapping[str, Any], path: Path, what: str) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {"image_proj": {}, "ip_adapter": {}}
    for key, value in flat.items():
        group, _, rest = key.partition(".")
        if group not in state:
            raise ModelError(f"{what}: {path} has an unexpected key {key!r} (not an IP-Adapter?).")
        state[group][rest] = value
    return state


def _adapter_sections(state: Any, path: Path, what: str) -> dict[str, dict[str, Any]]:
    if not isinstance(state, dict) or not {"image_proj", "ip_adapter"} <= set(state):
        raise ModelError(
            f"{what}: {path} does not have the image_proj/ip_adapter sections of an "
            "IP-Adapter checkpoint."
        )
    return state


def adapter_shapes(path: Path) -> dict[str, dict[str, tuple[int, ...]]]:
    """The tensor shapes of an adapter, from the header (safetensors) or a safe unpickling."""
    what = Role.IP_ADAPTER.title
    _check_adapter_path(path, what)
    if path.suffix == ".safetensors":
        flat = read_header(path, what).shapes
        return _nest(flat, path, what)
    state = _adapter_sections(load_pickled_weights(path, what), path, what)
    return {g: {k: tuple(v.shape) for k, v in state[g].items()} for g in state}


def adapter_layout(shapes: Mapping[str, Mapping[str, Any]], path: Path) -> AdapterLayout:
    """Read the geometry of an adapter (tensors or shapes); refuse other layouts than h94's."""
    what = f"IP-Adapter checkpoint {path}"
    proj = shapes["image_proj"]
    if "proj.weight" not in proj:
        kinds = ", ".join(sorted(proj)[:4])
        raise ModelError(
            f"{what} is not the plain ip-adapter_sdxl layout (image projection keys: {kinds}). "
            "Plus/FaceID adapters are not the method's adapter."
        )
    out_dim, embed_dim = (int(x) for x in _shape(proj["proj.weight"]))
    norm = proj.get("norm.weight")
    cross = int(_shape(norm)[0]) if norm is not None else out_dim // 4
    keys: dict[int, int] = {}
    for name, tensor in shapes["ip_adapter"].items():
        m = _IP_KEY.match(name)
        if not m:
            hint = " (a FaceID adapter?)" if "lora" in name else ""
            raise ModelError(f"{what} has an unexpected adapter key {name!r}{hint}.")
        keys[int(m.group(1))] = int(_shape(tensor)[0])
    ordered = tuple(sorted(keys))
    return AdapterLayout(
        tokens=out_dim // cross,
        cross_attention_dim=cross,
        image_embed_dim=embed_dim,
        layer_keys=ordered,
        layer_widths=tuple(keys[k] for k in ordered),
    )


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(value.shape) if hasattr(value, "shape") else tuple(value)


def ip_layer_widths(unet_config: Mapping[str, Any]) -> tuple[int, ...]:
    """Hidden size of every cross-attention layer of a UNet config, in h94's key order
    (down blocks, up blocks, mid block: the order of ``unet.attn_processors``)."""
    widths = list(unet_config["block_out_channels"])
    levels = len(widths)
    per_block = unet_config.get("layers_per_block", 2)
    per_block = [per_block] * levels if isinstance(per_block, int) else list(per_block)
    depth = unet_config.get("transformer_layers_per_block", 1)
    depth = [depth] * levels if isinstance(depth, int) else list(depth)
    reverse_depth = unet_config.get("reverse_transformer_layers_per_block") or depth[::-1]
    out: list[int] = []
    for i, kind in enumerate(unet_config["down_block_types"]):
        if kind.startswith("CrossAttn"):
            out += [widths[i]] * (per_block[i] * depth[i])
    for i, kind in enumerate(unet_config["up_block_types"]):
        if kind.startswith("CrossAttn"):
            d = reverse_depth[i] if isinstance(reverse_depth[i], int) else len(reverse_depth[i])
            out += [widths[::-1][i]] * ((per_block[::-1][i] + 1) * d)
    if unet_config.get("mid_block_type", "UNetMidBlock2DCrossAttn") == "UNetMidBlock2DCrossAttn":
        out += [widths[-1]] * depth[-1]
    return tuple(out)


def check_adapter_fits(
    layout: AdapterLayout,
    path: Path,
    unet_cross_dim: int,
    unet_layer_widths: tuple[int, ...],
    encoder_dim: int,
) -> None:
    """Refuse an adapter that does not belong to this UNet and image encoder, saying why."""
    expected_keys = tuple(range(1, 2 * len(unet_layer_widths), 2))
    hint = " — is this an SD1.5 adapter?" if layout.cross_attention_dim == 768 else ""
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
        vit_h = (
            " (a ViT-H adapter with the ViT-bigG encoder?)"
            if layout.image_embed_dim == 1024
            else ""
        )
        raise ModelError(
            f"IP-Adapter checkpoint {path} expects {layout.image_embed_dim}-wide image embeddings "
            f"but the image encoder gives {encoder_dim}: they do not belong together{vit_h}."
        )
