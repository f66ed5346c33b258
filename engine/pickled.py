"""Pickled ``.bin``/``.pt`` weight files, opened safely or not at all.

They are unpickled with ``weights_only=True`` only. When that refuses a file, its pickle is
read as opcodes (never run) to say which it is: unsafe (it names Python objects other than
tensors, which would run code) or unreadable (damaged, truncated, not a weights file).
"""

from __future__ import annotations

import pickle
import pickletools
import zipfile
from pathlib import Path
from typing import Any

from engine.errors import ModelError

_SAFE_PREFIXES = ("torch.", "collections.OrderedDict", "_codecs.encode", "numpy.")


def load_pickled_weights(path: Path, what: str) -> Any:
    """The tensors of a pickled weights file; ModelError naming it unsafe or unreadable."""
    import warnings

    import torch

    try:
        with warnings.catch_warnings():  # torch's advice about pickle protocols is noise here
            warnings.simplefilter("ignore", UserWarning)
            try:
                return torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
            except RuntimeError as exc:  # the legacy (non-zip) format cannot be memory-mapped
                if "mmap" not in str(exc):
                    raise
                return torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        objects = _foreign_globals(path)
        if objects:
            raise ModelError(
                f"{what}: {path} is unsafe: besides weights it holds pickled Python objects "
                f"({', '.join(objects[:3])}) that would run code when opened, so it is refused. "
                "Use the .safetensors version of this model."
            ) from None
        reason = _first_line(exc) if not isinstance(exc, pickle.UnpicklingError) else ""
        raise ModelError(
            f"{what}: {path} is unreadable as a weights file{f' ({reason})' if reason else ''}. "
            "It may be damaged or truncated; use the .safetensors version if there is one."
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:160] if text else type(exc).__name__


def _pickle_of(path: Path) -> bytes:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("data.pkl")]
            return archive.read(names[0]) if names else b""
    with open(path, "rb") as fh:
        return fh.read(64 << 20)


def _foreign_globals(path: Path) -> list[str]:
    """Python objects other than tensor machinery that the file's pickle names (not run)."""
    try:
        data = _pickle_of(path)
        names: list[str] = []
        strings: list[str] = []
        for op, arg, _pos in pickletools.genops(data):
            if op.name in ("GLOBAL", "INST"):
                names.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL":
                names.append(".".join(strings[-2:]))
            elif isinstance(arg, str):
                strings.append(arg)
    except (OSError, ValueError, zipfile.BadZipFile, IndexError, KeyError):
        return []
    return sorted({n for n in names if not n.startswith(_SAFE_PREFIXES)})
