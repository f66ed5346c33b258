"""Shared fixtures for export tests: a Qt application, synthetic boards, poppler tools."""

from __future__ import annotations

import shutil

import pytest

from tests.export.boards import make_board


@pytest.fixture(autouse=True)
def _gui_app(qapp):
    """Export paints with QtGui; pytest-qt's application serves (it is a QGuiApplication)."""
    return qapp


@pytest.fixture
def board():
    return make_board(8)


@pytest.fixture(scope="session")
def poppler() -> None:
    missing = [
        t
        for t in ("pdfinfo", "pdftotext", "pdfimages", "pdftoppm", "pdffonts")
        if shutil.which(t) is None
    ]
    if missing:
        pytest.skip(f"poppler-utils not installed (missing {', '.join(missing)})")
