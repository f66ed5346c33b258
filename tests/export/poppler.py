"""Reading real PDFs back with poppler's command-line tools."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image


def _run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def info(pdf: Path) -> dict[str, str]:
    fields = {}
    for line in _run("pdfinfo", pdf).splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def page_count(pdf: Path) -> int:
    return int(info(pdf)["Pages"])


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    n = page_count(pdf)
    out = _run("pdfinfo", "-f", "1", "-l", str(n), pdf)
    return [
        (float(w), float(h))
        for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out)
    ]


def text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    pages = []
    if first:
        pages += ["-f", str(first)]
    if last:
        pages += ["-l", str(last)]
    return _run("pdftotext", *pages, "-enc", "UTF-8", pdf, "-")


def words(pdf: Path) -> str:
    """The PDF's text with all whitespace collapsed to single spaces."""
    return " ".join(text(pdf).split())


@dataclass(frozen=True)
class PdfImage:
    page: int
    width: int
    height: int
    x_ppi: int
    y_ppi: int


def images(pdf: Path) -> list[PdfImage]:
    rows = _run("pdfimages", "-list", pdf).splitlines()[2:]
    found = []
    for row in rows:
        cols = row.split()
        found.append(
            PdfImage(int(cols[0]), int(cols[3]), int(cols[4]), int(cols[12]), int(cols[13]))
        )
    return found


def fonts(pdf: Path) -> list[tuple[str, bool]]:
    rows = _run("pdffonts", pdf).splitlines()[2:]
    return [(row.split()[0], row.split()[-5] == "yes") for row in rows]


def render(pdf: Path, page: int, out_dir: Path, dpi: int = 50) -> Image.Image:
    prefix = out_dir / f"render-p{page}"
    _run(
        "pdftoppm",
        "-r",
        str(dpi),
        "-png",
        "-singlefile",
        "-f",
        str(page),
        "-l",
        str(page),
        pdf,
        prefix,
    )
    with Image.open(f"{prefix}.png") as image:
        return image.convert("RGB")


def sample(image: Image.Image, x_pt: float, y_pt: float, dpi: int = 50) -> tuple[int, int, int]:
    """The colour at a point given in PDF points."""
    return image.getpixel((round(x_pt * dpi / 72), round(y_pt * dpi / 72)))


def close(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))
