"""JSON from outside with bounds: a size limit before parsing, a nesting limit after.

Python's parser recurses per nesting level: ``[`` × 200,000 raises RecursionError from deep
inside it, and a structure just under the interpreter's limit breaks the next recursive
consumer (``json.dumps``, a copy). Every JSON the app reads from a file or a project goes
through ``load_json``; already-parsed data can be checked with ``check_depth``.
"""

from __future__ import annotations

import json
from typing import Any

from engine.errors import EngineError

MAX_JSON_DEPTH = 64  # stories, poses and model settings are a few levels deep


class JsonLimitError(EngineError, ValueError):
    """JSON that is not valid, too large, too deeply nested, or of the wrong shape."""


def _problem(what: str, problem: str) -> JsonLimitError:
    return JsonLimitError(f"{what}: {problem}" if what else problem)


def check_depth(value: Any, what: str = "", max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``value`` unchanged if its lists and objects nest at most ``max_depth`` deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > max_depth:
            raise _problem(what, f"nested deeper than {max_depth} levels.")
        stack.extend((child, depth + 1) for child in children)
    return value


def load_json(
    text: str | bytes,
    what: str = "",
    *,
    max_bytes: int,
    max_depth: int = MAX_JSON_DEPTH,
    kind: type | None = None,
) -> Any:
    """Parse ``text`` as JSON within ``max_bytes`` and ``max_depth``; ``kind`` checks the
    top level's type. Raises JsonLimitError, its message starting with ``what``."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise _problem(
            what, f"{size / 2**20:.1f} MB, larger than the limit of {max_bytes / 2**20:.0f} MB."
        )
    try:
        value = json.loads(text)
    except RecursionError:
        raise _problem(what, f"nested deeper than {max_depth} levels.") from None
    except json.JSONDecodeError as exc:
        raise _problem(
            what, f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})."
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _problem(what, f"not valid JSON ({exc}).") from None
    check_depth(value, what, max_depth)
    if kind is not None and not isinstance(value, kind):
        names = {dict: "an object", list: "a list"}
        raise _problem(what, f"not {names.get(kind, kind.__name__)} but a {type(value).__name__}.")
    return value
