"""Crash safety of the real `storyboard render`: N kills at random points, then checks.

    .venv/bin/python bench/crash_safety.py [--kills 20] [--frames 6] [--seed 1] [--write-docs]

A project of F frames (64×64, preview models) is rendered by the `storyboard` command, which
is killed N times at a random moment while a pass is running: with SIGKILL (a crash), and
every fourth time (the 2nd, 6th, ...) with SIGTERM (a polite kill, which must cancel
cleanly: exit 130, pass "cancelled", lock file gone). After every kill: SQLite's integrity
check on the file as the kill left it, `verify` (every image's checksums: a partial image
would show there), and every fifth kill a `render --resume`. At the end `render --resume`
finishes what is left. Figures: kills, corruptions, partial (damaged) images, failed
resumes, unclean SIGTERMs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HEADING = "## Crash safety: kills of a running `storyboard render`"


@dataclass
class CrashReport:
    kills: int = 0
    sigterms: int = 0
    corruptions: int = 0
    partial_images: int = 0
    failed_resumes: int = 0
    unclean_sigterms: int = 0
    resumes: int = 0
    images: int = 0
    problems: list[str] = field(default_factory=list)


def _storyboard() -> list[str]:
    script = shutil.which("storyboard", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "storyboard_app.cli"]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_storyboard(), *args], env=env, capture_output=True, text=True, timeout=600
    )


def _last_pass_id(path: Path) -> int:
    from storyboard_app.project.store import ProjectStore

    with ProjectStore.open_reader(path) as reader:
        return max((p.id for p in reader.passes()), default=0)


def _wait_for_running_pass(path: Path, proc: subprocess.Popen, after: int, deadline: float) -> bool:
    """Until ``proc`` runs a pass of its own (a killed render's pass still says running until
    the next writer opens the file: that one does not count)."""
    from storyboard_app.project.errors import ProjectError
    from storyboard_app.project.store import ProjectStore

    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with ProjectStore.open_reader(path) as reader:
                if any(p.status == "running" and p.id > after for p in reader.passes()):
                    return True
        except ProjectError:
            pass  # the writer is just creating its -wal; look again
        time.sleep(0.1)
    return False


def _check_file(path: Path, report: CrashReport, when: str) -> None:
    from storyboard_app.project.verification import verify_project

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
            report.corruptions += 1
            report.problems.append(f"{when}: integrity check failed")
    finally:
        conn.close()
    result = verify_project(path)
    if result.damaged_images or result.file_problems:
        report.partial_images += len(result.damaged_images)
        report.problems.append(f"{when}: verify: {result.file_problems, result.damaged_images}")


def _resume(env: dict[str, str], path: Path, report: CrashReport, when: str) -> None:
    report.resumes += 1
    done = _run(env, "render", str(path), "--resume", "--quiet", "--preview-models")
    nothing_left = done.returncode == 2 and "no interrupted, cancelled or failed" in done.stderr
    if done.returncode != 0 and not nothing_left:
        report.failed_resumes += 1
        report.problems.append(f"{when}: resume exit {done.returncode}: {done.stderr[-300:]}")


def crash_safety(
    workdir: Path, *, kills: int, frames: int, seed: int, env: dict[str, str]
) -> CrashReport:
    """Kill ``storyboard render`` ``kills`` times at random points; check after each."""
    rng = random.Random(seed)
    report = CrashReport()
    path = workdir / "crash.storyiter"
    story = workdir / "story.txt"
    story.write_text("\n".join(f"a lighthouse at dusk, panel {i}" for i in range(frames)))
    for args in (
        ("new", str(path), "--from-text", str(story)),
        ("settings", str(path), "--size", "64x64", "--steps", "6", "--batch", "1", "--rounds", "3"),
    ):
        made = _run(env, *args)
        if made.returncode != 0:
            raise SystemExit(made.stderr)
    for k in range(kills):
        polite = k % 4 == 1
        after = _last_pass_id(path)
        proc = subprocess.Popen(
            [*_storyboard(), "render", str(path), "--quiet", "--preview-models"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if not _wait_for_running_pass(path, proc, after, time.monotonic() + 300):
            proc.communicate()
            continue  # the schedule is complete: nothing left to kill
        time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGTERM if polite else signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
        report.kills += 1
        when = f"kill {k + 1} ({'SIGTERM' if polite else 'SIGKILL'})"
        if polite:
            report.sigterms += 1
            lock = path.with_name(path.name + ".lock")
            if proc.returncode not in (0, 130) or lock.exists() or "Traceback" in err:
                report.unclean_sigterms += 1
                report.problems.append(f"{when}: exit {proc.returncode}, {err[-300:]}")
        _check_file(path, report, when)
        if (k + 1) % 5 == 0:
            _resume(env, path, report, when)
            _check_file(path, report, f"{when}, after resume")
    _resume(env, path, report, "final")
    _check_file(path, report, "final")
    info = json.loads(_run(env, "info", str(path), "--json").stdout)
    report.images = sum(len(f["images"]) for f in info["frames"])
    return report


def _table(report: CrashReport) -> str:
    columns = (
        ("kills", report.kills),
        ("of them SIGTERM", report.sigterms),
        ("corruptions", report.corruptions),
        ("partial/damaged images", report.partial_images),
        ("failed resumes", report.failed_resumes),
        ("unclean SIGTERMs", report.unclean_sigterms),
        ("resumes", report.resumes),
        ("images at the end", report.images),
    )
    header = "| " + " | ".join(name for name, _ in columns) + " |"
    values = "| " + " | ".join(str(value) for _, value in columns) + " |"
    return "\n".join((header, "|---" * len(columns) + "|", values))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--frames", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--write-docs", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        report = crash_safety(
            Path(tmp), kills=args.kills, frames=args.frames, seed=args.seed, env=dict(os.environ)
        )
        seconds = time.perf_counter() - started
    print(json.dumps(asdict(report), indent=2))
    if args.write_docs:
        from bench.docs import write_section

        command = (
            f"`.venv/bin/python bench/crash_safety.py --kills {args.kills} "
            f"--frames {args.frames} --seed {args.seed} --write-docs`"
        )
        write_section(
            HEADING,
            f"""{HEADING}

{command}
({seconds:.0f} s, preview models, 64×64, 6 steps, batch 1, 3 rounds; 2-core CPU shared with
other work). Each kill lands at a random moment (0–1.5 s) after a pass started;
every fourth kill (the 2nd, 6th, ...) is a SIGTERM, the rest SIGKILL.

{_table(report)}

"Corruptions": SQLite's integrity check on the file as the kill left it. "Partial images":
images `storyboard verify` finds damaged or lacking a part (PNG, thumbnail, embedding,
checksum). "Unclean SIGTERMs": an exit other than 130/0, a lock file left behind, or a
traceback. The suite runs the same with 2 kills (tests/test_crash_safety.py).
""",
        )


if __name__ == "__main__":
    main()
