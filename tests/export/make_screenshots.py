"""Write docs/screenshots/export-comic.png and export-film.png from a demo-like board.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.export.make_screenshots``
(needs poppler's pdftoppm). The pages are the real PDFs rendered back, not previews.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from storyboard_app.export import ExportBoard, ExportOptions, ExportPanel, export_pdf
from storyboard_app.export.qt import ensure_gui_app
from tests.export.boards import gradient_png

ROOT = Path(__file__).resolve().parents[2]
STORY = [
    (
        "Mara, in a yellow raincoat, steps off the night train",
        "This town again.",
        "Wide. Steam drifts across the platform.",
    ),
    (
        "She checks a folded map under the station clock",
        "Platform four... he said four.",
        "Insert on the map; clock reads 5:55.",
    ),
    ("A stray dog watches her from the ticket window", "", "Hold on the dog's eyes."),
    (
        "Mara follows the dog down the empty high street",
        "Fine. Lead the way.",
        "Tracking shot, low angle.",
    ),
    (
        "The dog stops at a shuttered bakery; a light flickers inside",
        "Hello? Anyone there?",
        "Push in on the window.",
    ),
    (
        "An old baker opens the door, flour on his hands",
        "We've been expecting you, Mara.",
        "Over-the-shoulder from Mara.",
    ),
    (
        "Inside, every wall is covered with her childhood drawings",
        "Where did you get these?",
        "Slow pan left to right.",
    ),
    (
        "The baker hands her a key shaped like a dog",
        "He kept them for you.",
        "Close-up on the key; warm light.",
    ),
]


def demo_board() -> ExportBoard:
    panels = tuple(
        ExportPanel(
            index=i + 1,
            image_png=gradient_png(i, (768, 768)),
            action=action,
            caption=caption,
            notes=notes,
            duration=2.0 + (i % 3),
        )
        for i, (action, caption, notes) in enumerate(STORY)
    )
    return ExportBoard("The Night Train", panels, "2026-03-14")


def main() -> int:
    ensure_gui_app()
    board = demo_board()
    out_dir = ROOT / "docs" / "screenshots"
    out_dir.mkdir(parents=True, exist_ok=True)
    layouts = {
        "comic": ExportOptions(layout="comic", page_size="comic"),
        "film": ExportOptions(layout="film", panels_per_page=3, shot_numbering="1A"),
    }
    with tempfile.TemporaryDirectory() as temp:
        for name, options in layouts.items():
            pdf = Path(temp) / f"{name}.pdf"
            export_pdf(board, options, pdf)
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    "110",
                    "-png",
                    "-singlefile",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    str(pdf),
                    str(out_dir / f"export-{name}"),
                ],
                check=True,
            )
            print(out_dir / f"export-{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
