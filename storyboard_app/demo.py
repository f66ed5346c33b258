"""``make demo``: build the demo story into a project, render it on preview models, summarise.

    python -m storyboard_app.demo [--out out/the-lantern-keeper.storyiter] [--rounds 2]

Uses configured real models when there are some (``storyboard models set``), otherwise the
preview models (random weights: the images are noise, everything else is real).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "projects" / "the-lantern-keeper"


def build_demo_project(out: Path, *, width: int = 256, height: int = 256, steps: int = 12) -> Path:
    """Create the demo project (replacing an earlier demo file) with its cast, frames and poses."""
    from storyboard_app.project.store import ProjectStore

    for stale in (out, out.with_name(out.name + "-wal"), out.with_name(out.name + "-shm")):
        stale.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    with ProjectStore.create(out, title="The Lantern Keeper") as store:
        store.import_story_text((DEMO / "story.txt").read_text(encoding="utf-8"))
        settings = store.settings()
        from dataclasses import replace

        store.update_story(
            settings=replace(settings, width=width, height=height, steps=steps, controlnet=True)
        )
        frames = store.frames()
        for pose_file in sorted((DEMO / "poses").glob("frame-*.json")):
            number = int(pose_file.stem.split("-")[1])
            store.update_frame(
                frames[number - 1].id, pose_json=pose_file.read_text(encoding="utf-8")
            )
        for i, frame in enumerate(store.frames(), 1):
            store.update_frame(frame.id, shot_label=str(i))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "the-lantern-keeper.storyiter")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)

    from storyboard_app import cli

    path = build_demo_project(args.out)
    print(f"Demo project: {path}")
    code = cli.main(["render", str(path), "--rounds", str(args.rounds)])
    if code:
        return code
    cli.main(["info", str(path)])
    pdf = path.with_suffix(".pdf")
    if cli.main(["export", str(path), "--pdf", str(pdf), "--layout", "comic"]) == 0:
        print(f"Comic PDF: {pdf}")
    print(f"\nProject file: {path}\nTry: .venv/bin/storyboard history {path} --frame 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
