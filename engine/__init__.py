"""The Story-Iter method on diffusers: training-free iterative story visualisation.

Never imports Qt, SQLite or the app; values in (``engine.api``), values out.
"""

__version__ = "0.1.0"
