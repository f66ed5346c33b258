"""``storyboard verify``: check a whole project file and list damaged images by frame and round."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the ``storyboard`` parser."""
    v = sub.add_parser("verify", help="check every byte of a project; list damaged images")
    v.add_argument("path", type=Path)
    v.add_argument("--json", action="store_true")
    v.set_defaults(run=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    from storyboard_app.project.verification import verify_project

    report = verify_project(args.path)
    if args.json:
        data = {
            "path": str(report.path),
            "ok": report.ok,
            "images_checked": report.images_checked,
            "older_format": report.older_format,
            "file_problems": list(report.file_problems),
            "damaged_images": [
                {
                    "image": d.image_id,
                    "frame": d.frame_number,
                    "round": d.round,
                    "problems": list(d.problems),
                }
                for d in report.damaged_images
            ],
        }
        print(json.dumps(data, indent=2))
        return 0 if report.ok else 1
    if report.older_format is not None:
        print(_older_note(report.older_format))
    for problem in report.file_problems:
        print(f"damaged: {problem}")
    for damage in report.damaged_images:
        print(f"damaged: {damage.describe()}")
    if report.ok:
        print(f"{args.path}: ok ({report.images_checked} images checked).")
        return 0
    print(
        f"{args.path}: {len(report.damaged_images)} damaged image(s) of "
        f"{report.images_checked}, {len(report.file_problems)} file problem(s). Make an intact "
        "earlier round the frame's image (storyboard choose), or re-draw those frames."
    )
    return 1


def _older_note(version: int) -> str:
    from storyboard_app.project.verification import CHECKSUMS_SINCE

    note = f"Older file format ({version}): checked as it is, its images through an upgraded copy"
    if version < CHECKSUMS_SINCE:
        note += (
            f"; formats before {CHECKSUMS_SINCE} store no image checksums, so only SQLite's "
            "own checks can find damage inside its images"
        )
    return note + ". The file was not changed."
