"""The Story-Iter method on diffusers: training-free iterative story visualisation.

Never imports Qt, SQLite or the app; values in (``engine.api``), values out. Never reaches the
network: the Hugging Face libraries are switched offline before any of them is imported.
"""

import os as _os

_os.environ["HF_HUB_OFFLINE"] = "1"
_os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
