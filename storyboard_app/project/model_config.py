"""Which models the app uses: the user's config file, or the preview models.

The config lives in the platform's config folder (``STORYITER_CONFIG_DIR`` overrides it);
preview models are generated once into the platform's cache folder (``STORYITER_CACHE_DIR``).
A project refers to models by nothing but their fingerprints in each image's record, so a
project file moves between machines whose model folders differ.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.json_limits import JsonLimitError, load_json
from storyboard_app.project.errors import ProjectError
from storyboard_app.project.safe_write import (
    FileWriteError,
    json_document,
    write_text,
)
from storyboard_app.project.storage import os_error_cause, os_error_message

if TYPE_CHECKING:
    from engine.api import ModelPaths, RuntimeSettings

APP_NAME = "storyiter-studio"
MAX_CONFIG_BYTES = 1 << 20  # a few hundred bytes in practice


class ModelConfigError(ProjectError):
    """The model configuration file is damaged or names impossible values."""


@dataclass(frozen=True)
class ModelConfig:
    """Model paths and how to run them. Empty ``base`` means "use the preview models"."""

    base: str = ""
    image_encoder: str = ""
    ip_adapter: str = ""
    controlnet: str = ""
    lcm: str = ""
    device: str = "auto"
    precision: str = "fp32"
    offload: str = "none"
    batch_size: int = 4
    preview_profile: str = "micro"

    @property
    def configured(self) -> bool:
        """True when real models are configured: a base and an adapter (the image encoder
        defaults to the one shipped beside the adapter)."""
        return bool(self.base and self.ip_adapter)


def stored_location(value: str) -> str:
    """What ``models set`` stores: an absolute path, or a repo id of the hub cache as given."""
    from engine.model_sources import looks_like_repo_id

    text = value.strip()
    path = Path(text).expanduser()
    if not text or (looks_like_repo_id(text) and not path.exists()):
        return text
    return str(path.absolute())


def config_dir() -> Path:
    env = os.environ.get("STORYITER_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def cache_dir() -> Path:
    env = os.environ.get("STORYITER_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME))


def config_path() -> Path:
    return config_dir() / "models.json"


def load_model_config(path: Path | None = None) -> ModelConfig:
    """The saved configuration (defaults when there is none); a damaged file is named."""
    path = path or config_path()
    if not path.exists():
        return ModelConfig()
    try:
        data = load_json(
            path.read_bytes(), f"Model settings file {path}", max_bytes=MAX_CONFIG_BYTES, kind=dict
        )
    except OSError as exc:
        raise ModelConfigError(os_error_message(path, exc, "be read", reading=True)) from None
    except JsonLimitError as exc:
        raise ModelConfigError(f"{exc} Fix or delete the file to start again.") from None
    known = {f.name: f.type for f in fields(ModelConfig)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            continue
        want = int if key == "batch_size" else str
        if not isinstance(value, want) or isinstance(value, bool):
            raise ModelConfigError(f"Model settings file {path}: {key} must be {want.__name__}.")
        values[key] = value
    return ModelConfig(**values)


def save_model_config(config: ModelConfig, path: Path | None = None) -> Path:
    """Write the configuration safely (``safe_write``: checked, fsynced, then renamed)."""
    path = path or config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileWriteError(
            f"Cannot create the settings folder {path.parent}: {os_error_cause(exc)}."
        ) from None
    text = json.dumps(asdict(config), indent=2)
    return write_text(path, text, "the model settings", suffixes=(".json",), verify=json_document)


def preview_models_dir(profile: str = "micro") -> Path:
    return cache_dir() / "preview-models" / profile


def resolve_models(
    config: ModelConfig | None = None, *, preview: bool = False, build: bool = True
) -> tuple[ModelPaths, RuntimeSettings]:
    """ModelPaths and RuntimeSettings to run with; preview models when asked or unconfigured.

    Preview models are built on first use (a few seconds) and reused afterwards; with
    ``build`` False only their place is given (the app's engine process builds them, so
    the app itself never imports torch).
    """
    from engine.api import ModelPaths, Offload, Precision, RuntimeSettings
    from engine.errors import EngineError

    config = config or load_model_config()
    try:
        runtime = RuntimeSettings(
            device=config.device,
            precision=Precision(config.precision),
            offload=Offload(config.offload),
            batch_size=config.batch_size,
        )
    except ValueError as exc:
        raise ModelConfigError(f"Model settings: {exc}.") from None
    if preview or not config.configured:
        from engine.preview_models import ensure_preview_models

        if not build:  # every part of the standard layout, whether built yet or not
            root = preview_models_dir(config.preview_profile)
            adapter = root / "ip-adapter" / "sdxl_models"
            return ModelPaths(
                base=root / "sdxl",
                image_encoder=adapter / "image_encoder",
                ip_adapter=adapter / "ip-adapter_sdxl.safetensors",
                controlnet=root / "controlnet-openpose",
                lcm=root / "lcm-unet",
                preview=True,
            ), runtime

        try:
            return ensure_preview_models(
                preview_models_dir(config.preview_profile), config.preview_profile
            ), runtime
        except EngineError as exc:
            raise ModelConfigError(str(exc)) from None

    def opt(p: str) -> Path | None:
        return Path(p).expanduser() if p else None

    paths = ModelPaths(
        base=Path(config.base).expanduser(),
        image_encoder=_image_encoder(config),
        ip_adapter=Path(config.ip_adapter).expanduser(),
        controlnet=opt(config.controlnet),
        lcm=opt(config.lcm),
    )
    return paths, runtime


def _image_encoder(config: ModelConfig) -> Path:
    """The configured image encoder, else the one h94 ships beside the adapter."""
    from engine.errors import EngineError
    from engine.model_sources import (
        Role,
        default_image_encoder,
        looks_like_repo_id,
        resolve_location,
    )

    if config.image_encoder:
        return Path(config.image_encoder).expanduser()
    adapter = Path(config.ip_adapter).expanduser()
    if looks_like_repo_id(config.ip_adapter) and not adapter.exists():
        return adapter  # the same repo: its sdxl_models/image_encoder
    try:
        beside = default_image_encoder(resolve_location(Role.IP_ADAPTER, adapter))
    except EngineError as exc:
        raise ModelConfigError(str(exc)) from None
    if beside is None:
        raise ModelConfigError(
            f"No image encoder is configured and there is none beside {adapter} "
            "(h94 ships it as sdxl_models/image_encoder). Set one with "
            "`storyboard models set --image-encoder PATH`."
        )
    return beside
