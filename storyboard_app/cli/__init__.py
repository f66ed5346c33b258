"""The ``storyboard`` command: create, inspect, render and export project files.

Each subcommand lives in its own module with a ``register(sub)`` function that adds its parser
and sets ``run`` to the function carrying it out.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from storyboard_app.cli import (
    export,
    models,
    project_commands,
    render,
    report,
    thumbnail,
    verify,
)
from storyboard_app.project.errors import ProjectError
from storyboard_app.versions import add_version_option

SUBCOMMAND_MODULES = (project_commands, render, export, models, report, verify, thumbnail)


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
    except BrokenPipeError:  # `storyboard info P | head`: the reader has what it wanted
        # Python would report the pipe again while flushing stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a shell reports a command ended by SIGPIPE
    except (sqlite3.Error, OSError) as exc:
        # The last line of defence: the store and the exporters name causes themselves;
        # anything they missed still names the file and the cause instead of a traceback.
        print(f"error: {_storage_failure(args, exc)}", file=sys.stderr)
        return 2


def _storage_failure(args: argparse.Namespace, exc: sqlite3.Error | OSError) -> str:
    from storyboard_app.project.connection import translate_sqlite_error
    from storyboard_app.project.storage import os_error_message

    path = Path(getattr(args, "path", None) or ".")
    if isinstance(exc, OSError):
        return os_error_message(path, exc, "be read or written")
    translated = translate_sqlite_error(path, exc, writing=True)
    return str(translated) if translated is not exc else f"{path}: SQLite reports: {exc}."
