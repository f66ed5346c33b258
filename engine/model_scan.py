"""Finding model files: candidates per role under a ComfyUI or A1111 ``models/`` tree, a folder
of diffusers folders, or the local Hugging Face cache — by what their headers and configs say,
never by their names. Every candidate has passed its role's check.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.checkpoints import (
    check_adapter,
    check_base,
    check_controlnet,
    check_image_encoder,
    check_lcm,
)
from engine.errors import ModelError
from engine.model_sources import Role, describe_layout, hub_cache_dir, pick_in_repo
from engine.single_file import lora_format, read_header

_MAX_DEPTH = 6
_CHECKS = {
    Role.BASE: check_base,
    Role.IMAGE_ENCODER: check_image_encoder,
    Role.IP_ADAPTER: check_adapter,
    Role.CONTROLNET: check_controlnet,
    Role.LCM: check_lcm,
}


@dataclass(frozen=True)
class Candidate:
    """A file or folder that passed ``role``'s check; ``source`` is what to configure."""

    role: Role
    source: str  # an absolute path, or a repo id of the hub cache
    path: Path  # the local path it resolves to
    layout: str


@dataclass(frozen=True)
class Rejected:
    """A model file found under the folder that cannot serve (e.g. an SD1.5 checkpoint)."""

    path: Path
    reason: str


def scan(root: Path | None = None) -> tuple[list[Candidate], list[Rejected]]:
    """Candidates under ``root`` (or in the hub cache when None), best first per role."""
    found: list[Candidate] = []
    rejected: list[Rejected] = []
    items = _hub_items() if root is None else _tree_items(Path(root).expanduser().absolute())
    for source, path, roles in items:
        problems = []
        for role in roles:
            target = pick_in_repo(role, path) if root is None else path
            try:
                _CHECKS[role](target)
            except ModelError as exc:
                problems.append(str(exc))
                continue
            lora = role is Role.LCM and target.is_file()
            layout = str(describe_layout(target, lora=lora))
            found.append(Candidate(role, source if root is None else str(target), target, layout))
        if problems and not any(c.path == path or c.source == source for c in found):
            rejected.append(Rejected(path, problems[0]))
    found.sort(key=lambda c: (list(Role).index(c.role), _rank(c), c.source))
    return found, rejected


def best(candidates: list[Candidate]) -> dict[Role, Candidate]:
    """The first (best) candidate of each role."""
    out: dict[Role, Candidate] = {}
    for c in candidates:
        out.setdefault(c.role, c)
    return out


def _rank(c: Candidate) -> int:
    """Among passing candidates, the well-known downloads first (names only break ties)."""
    name = c.path.name.lower()
    if c.role is Role.LCM:
        return 0 if "lcm" in str(c.path).lower() else 1
    if c.role is Role.IP_ADAPTER:
        return 0 if name.startswith("ip-adapter_sdxl.") else 1
    return 0


def _roles_of_file(path: Path) -> list[Role]:
    if path.suffix == ".safetensors":
        try:
            header = read_header(path, "scan")
        except ModelError:
            return [Role.BASE]  # a damaged file: let the base check name it
        keys = header.shapes
        if any(k.startswith(("image_proj.", "ip_adapter.")) for k in keys):
            return [Role.IP_ADAPTER]
        if lora_format(header) is not None:
            return [Role.LCM]
        if header.has_prefix("controlnet_cond_embedding.") or header.has_prefix("control_model."):
            return [Role.CONTROLNET]
        if header.has_prefix("vision_model.") or header.has_prefix("visual."):
            return [Role.IMAGE_ENCODER]
        if header.has_prefix("model.diffusion_model.") or header.has_prefix("conditioner."):
            return [Role.BASE]
        return []
    if path.suffix == ".bin" and path.stat().st_size < 2 << 30:
        return [Role.IP_ADAPTER]  # the h94 adapter's .bin; anything else fails its check
    return []


def _roles_of_folder(path: Path) -> list[Role]:
    if (path / "model_index.json").is_file():
        return [Role.BASE]
    config_path = path / "config.json"
    if not config_path.is_file():
        return []
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []
    if not isinstance(config, dict):
        return []
    if config.get("_class_name") == "ControlNetModel":
        return [Role.CONTROLNET]
    if config.get("_class_name") == "UNet2DConditionModel":
        return [Role.LCM]
    if config.get("model_type") in ("clip_vision_model", "clip"):
        return [Role.IMAGE_ENCODER]
    return []


def _tree_items(root: Path) -> Iterator[tuple[str, Path, list[Role]]]:
    if not root.is_dir():
        raise ModelError(f"Scan: {root} is not a folder.")
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        depth = len(here.relative_to(root).parts)
        dirnames.sort()
        if depth >= _MAX_DEPTH:
            dirnames.clear()
        roles = _roles_of_folder(here)
        if roles:
            dirnames[:] = [d for d in dirnames if d == "unet" and roles == [Role.LCM]]
            yield str(here), here, roles
            if roles == [Role.BASE]:
                dirnames.clear()
                continue
        for name in sorted(filenames):
            path = here / name
            file_roles = _roles_of_file(path) if path.suffix in (".safetensors", ".bin") else []
            if file_roles and not roles:
                yield str(path), path, file_roles


def _hub_items() -> Iterator[tuple[str, Path, list[Role]]]:
    """Every cached model repo at its ``main`` snapshot, tried for every role."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(hub_cache_dir())
    except (CacheNotFound, OSError):
        return
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        revisions = sorted(repo.revisions, key=lambda r: "main" not in r.refs)
        if revisions:
            yield repo.repo_id, Path(revisions[0].snapshot_path), list(Role)
