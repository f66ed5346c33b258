"""Writing a benchmark's figures into its own section of docs/BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"


def write_section(heading: str, text: str, docs: Path = BENCHMARKS) -> None:
    """Replace the section that starts with ``heading`` (or append it); others stay as they are."""
    old = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
    text = text.rstrip("\n") + "\n\n"
    start = old.find(heading)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    else:
        end = old.find("\n## ", start + len(heading))
        new = old[:start] + text + (old[end + 1 :] if end >= 0 else "")
    docs.write_text(new, encoding="utf-8")
