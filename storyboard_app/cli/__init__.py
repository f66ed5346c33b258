"""The ``storyboard`` command: create, inspect, render and export project files.

Each subcommand lives in its own module with a ``register(sub)`` function that adds its parser
and sets ``run`` to the function carrying it out.
"""

from __future__ import annotations

import argparse
import sys

from storyboard_app.cli import export, models, project_commands, render, thumbnail
from storyboard_app.project.errors import ProjectError
from storyboard_app.versions import add_version_option

SUBCOMMAND_MODULES = (project_commands, render, export, models, thumbnail)


def build_parser() -> argparse.ArgumentParser:
    """The full ``storyboard`` argument parser."""
    p = argparse.ArgumentParser(prog="storyboard", description=__doc__.split("\n")[0])
    add_version_option(p)
    sub = p.add_subparsers(dest="command", required=True)
    for module in SUBCOMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``storyboard`` console script."""
    from engine.errors import EngineError
    from storyboard_app.export.board import ExportError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ProjectError, EngineError, ExportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before a command set up its own cancelling
        print("Cancelled.", file=sys.stderr)
        return 130
