"""``storyboard-app [PROJECT]`` / ``python -m storyboard_app``: the desktop app."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``storyboard-app`` GUI script."""
    from storyboard_app.ui.app import main as run_app

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
