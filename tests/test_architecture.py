"""The dependency direction holds: ui -> project -> engine, export -> project."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
    return found


def _top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def test_engine_never_imports_qt_sqlite_or_the_app():
    tops = _top(_imports("engine"))
    assert not tops & {"PySide6", "qasync", "sqlite3", "sqlite_utils", "storyboard_app"}


def test_project_never_imports_qt_ui_or_export():
    names = _imports("storyboard_app/project")
    assert not _top(names) & {"PySide6", "qasync"}
    assert not {n for n in names if n.startswith(("storyboard_app.ui", "storyboard_app.export"))}


def test_export_never_imports_ui_or_widgets():
    names = _imports("storyboard_app/export")
    assert not {n for n in names if n.startswith(("storyboard_app.ui", "PySide6.QtWidgets"))}


def test_importing_the_engine_loads_no_qt_or_sqlite_at_runtime():
    code = (
        "import sys, engine.story_iter, engine.models, engine.preview_models, engine.__main__;"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'sqlite3', '_sqlite3', 'storyboard_app')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_project_layer_loads_no_qt():
    code = (
        "import sys, storyboard_app.project.store, storyboard_app.project.runner;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
