"""Pickled ``.bin``/``.pt`` weight files, opened safely or not at all."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

from engine.errors import ModelError

_UNSAFE_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")


def load_pickled_weights(path: Path, what: str) -> Any:
    """A pickled ``.bin``/``.pt`` file, unpickled with ``weights_only=True`` (no code runs).

    A file that holds anything but tensors is named unsafe; one that cannot be read at all is
    named unreadable. Either way the message says what to do, never to unpickle it anyway.
    """
    import torch

    try:
        try:
            return torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:  # the legacy (non-zip) format cannot be memory-mapped
            if "mmap" not in str(exc):
                raise
            return torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = _UNSAFE_GLOBAL.search(str(exc))
        what_else = f" ({found.group(1)})" if found else ""
        raise ModelError(
            f"{what}: {path} is unsafe: besides weights it holds pickled Python objects"
            f"{what_else} that would run code when opened, so it is refused. Use the "
            ".safetensors version of this model."
        ) from None
    except Exception as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ModelError(
            f"{what}: {path} is unreadable as a weights file ({reason}). It may be damaged or "
            "truncated; use the .safetensors version if there is one."
        ) from None
