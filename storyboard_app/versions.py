"""What this installation is made of, for ``--version``, Help → About and bug reports.

Versions come from the installed packages' metadata (``importlib.metadata``), never from
importing them: reading torch's version this way costs microseconds where ``import torch``
costs seconds. The CUDA or ROCm version a torch build was made for is read from the text of
its ``torch/version.py`` for the same reason.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storyboard_app.project.model_config import ModelConfig

APP_DISTRIBUTION = "storyiter-studio"
# (label, distribution) of the libraries a bug report needs, in the order a reader wants them.
LIBRARIES = (
    ("PySide6", "PySide6-Essentials"),
    ("torch", "torch"),
    ("diffusers", "diffusers"),
    ("transformers", "transformers"),
    ("accelerate", "accelerate"),
)
NOT_INSTALLED = "not installed"
_BUILD_LINE = re.compile(r"^(cuda|hip)\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


def app_version() -> str:
    """The installed StoryIter Studio version ("unknown" when run from a bare source tree)."""
    return distribution_version(APP_DISTRIBUTION) or "unknown"


def distribution_version(name: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    import importlib.metadata  # here: the thumbnailer's start-up does without it

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def torch_build() -> str:
    """What torch was built for: "CUDA 12.8", "ROCm 6.4", "CPU", or "" when unknown.

    Read from ``torch/version.py`` as text, so torch is not imported.
    """
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return ""
    if spec is None or not spec.submodule_search_locations:
        return ""
    for folder in spec.submodule_search_locations:
        try:
            text = (Path(folder) / "version.py").read_text(encoding="utf-8")
        except OSError:
            continue
        found = dict(_BUILD_LINE.findall(text))
        if "cuda" in found:
            return f"CUDA {found['cuda']}"
        if "hip" in found:
            return f"ROCm {found['hip']}"
        return "CPU"
    return ""


@dataclass(frozen=True)
class VersionReport:
    """The versions of the app and what it runs on, as ``(label, value)`` lines."""

    lines: tuple[tuple[str, str], ...]

    def text(self) -> str:
        """The report as plain text, one ``label: value`` per line (for pasting in a bug)."""
        width = max(len(label) for label, _ in self.lines)
        return "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in self.lines)


def version_report(
    *, qt_runtime: str | None = None, models: dict[str, str] | None = None
) -> VersionReport:
    """The app's, Python's and the libraries' versions, plus the OS.

    ``qt_runtime`` is the running Qt's version where Qt is already loaded (the app passes
    ``qVersion()``); ``models`` adds one line per model fingerprint.
    """
    lines = [
        ("StoryIter Studio", app_version()),
        ("Python", f"{platform.python_version()} ({sys.executable})"),
        ("OS", f"{platform.system()} {platform.release()} {platform.machine()}"),
    ]
    for label, distribution in LIBRARIES:
        version = distribution_version(distribution) or NOT_INSTALLED
        if label == "torch" and version != NOT_INSTALLED:
            build = torch_build()
            version = f"{version} ({build})" if build else version
        lines.append((label, version))
        if label == "PySide6" and qt_runtime:
            lines.append(("Qt", qt_runtime))
    for role, fingerprint in (models or {}).items():
        lines.append((f"model {role}", fingerprint))
    return VersionReport(tuple(lines))


def active_model_fingerprints(
    config: ModelConfig | None = None, *, preview: bool = False
) -> dict[str, str]:
    """Fingerprints of the models the app draws with: ``config``'s (by default the saved
    configuration), or the preview models when ``preview`` or nothing is configured.

    The same fingerprints the engine writes into every image's record, so a report can be
    matched to the images it is about. Reads the model files' heads and tails (not the
    weights), so it takes a moment on multi-GB folders: call it off the UI thread.
    """
    from engine.api import ModelPaths
    from engine.checkpoints import fingerprint
    from engine.preview_models import preview_profile
    from storyboard_app.project.errors import ProjectError
    from storyboard_app.project.model_config import (
        load_model_config,
        preview_models_dir,
        resolve_models,
    )

    try:
        config = load_model_config() if config is None else config
        preview = preview or not config.configured
        if not preview:
            paths, _ = resolve_models(config)  # configured models are never built or loaded
        else:
            root = preview_models_dir(config.preview_profile)
            if preview_profile(root) != config.preview_profile:
                profile = config.preview_profile
                return {"fingerprints": f"none yet: the {profile} preview models are not built"}
            paths = ModelPaths.from_models_dir(root)
    except ProjectError as exc:
        return {"fingerprints": f"unknown: {exc}"}
    found: dict[str, str] = {}
    for role in ("base", "image_encoder", "ip_adapter", "controlnet", "lcm"):
        path = getattr(paths, role)
        if path is None:
            continue
        try:
            found[role] = fingerprint(path) if path.exists() else f"missing: {path}"
        except OSError as exc:
            found[role] = f"unreadable: {path} ({exc.strerror or exc})"
    if preview:
        found = {f"{role} (preview)": value for role, value in found.items()}
    return found


class _VersionAction(argparse.Action):
    """``--version``: print the version report and exit (computed only when asked)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="print the versions of the app, Python and its libraries, then exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(version_report().text())
        parser.exit()


def add_version_option(parser: argparse.ArgumentParser) -> None:
    """Give a command line ``--version``."""
    parser.add_argument("--version", action=_VersionAction)
