"""Every `storyboard` command under bad storage: a read-only file, a read-only folder, a
read-only mount, a missing folder, a full disk and a file the user may not read.

Each condition is real: permission bits are judged as an unprivileged user (the superuser
ignores them, so as root the commands run under ``setpriv`` as nobody); the read-only mount
and the full disk are a bind mount and a small tmpfs in a private mount namespace
(``unshare``). Every command ends with a message naming the file and the cause, never a
traceback; reading works wherever the file can be read; nothing saved is changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from storyboard_app.project.store import ProjectStore
from tests.project.crash_writer import small_png

ROOT = Path(__file__).resolve().parent.parent
WALK = Path(__file__).with_name("storage_walk.py")
READS = ("info", "history", "export", "verify", "thumbnail")
OLDER = ROOT / "tests" / "fixtures" / "release-0.1.0.storyiter"  # file format 1
WRITES = ("settings", "choose", "render")
NOBODY = 65534

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and mounts")


def _as_other_user() -> list[str]:
    """A command prefix under which permission bits apply (empty when not root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permission bits cannot be tested")
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.fixture(scope="module")
def world(preview_models) -> Iterator[Path]:
    """A folder every user may read: the preview models, a config home, a good project."""
    base = Path(tempfile.mkdtemp(prefix="storyiter-storage-"))
    try:
        base.chmod(0o755)
        shutil.copytree(preview_models.base.parent, base / "cache" / "preview-models" / "micro")
        for name in ("home", "out"):
            (base / name).mkdir()
            (base / name).chmod(0o777)
        good = base / "good.storyiter"
        with ProjectStore.create(good, title="Good") as store:
            store.add_frames([{"character": "a kite"}, {"character": "a lighthouse"}])
            frame = store.frames()[0].id
            pass_id = store.begin_pass("test", [frame], [], {})
            png = small_png(random.Random(1), (32, 32))
            store.commit_image(
                pass_id=pass_id,
                frame_id=frame,
                round=0,
                png=png,
                embedding=np.ones(8, dtype=np.float32),
                record={},
                source_hash=store.source_hash(frame),
                seed=1,
                ip_scale=0.0,
                width=32,
                height=32,
            )
            store.finish_pass(pass_id, "complete")
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _env(world: Path) -> dict[str, str]:
    return os.environ | {
        "STORYITER_CACHE_DIR": str(world / "cache"),
        "STORYITER_CONFIG_DIR": str(world / "home" / "config"),
        "HOME": str(world / "home"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }


def _walk(world: Path, project: Path, prefix: list[str], setup: str = "") -> dict:
    """Run every command on ``project``, after the shell ``setup`` (in the same namespace)."""
    walk = f"{sys.executable} {WALK} {project} {world / 'out'}"
    script = f"set -e; {setup}\n exec {' '.join(prefix)} {walk}"
    result = subprocess.run(
        ["sh", "-c", script]
        if not setup.startswith("#ns")
        else ["unshare", "-rm", "sh", "-c", script],
        env=_env(world),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def _check(results: dict, project: Path, ok: tuple[str, ...], causes: dict[str, str]) -> None:
    for name, outcome in results.items():
        assert not outcome["traceback"], f"{name}: {outcome['traceback']}"
        assert "Traceback" not in outcome["stderr"], f"{name}: {outcome['stderr']}"
        if name in ok:
            assert outcome["rc"] == 0, f"{name}: {outcome['stderr']}"
        else:
            assert outcome["rc"] == 2, f"{name}: {outcome}"
            message = outcome["stderr"]
            assert message.startswith("error: "), f"{name}: {message}"
            cause = causes.get(name, causes["*"])
            assert cause in message, f"{name}: {message!r} lacks {cause!r}"
            assert str(project.parent) in message, f"{name}: {message!r} names no file"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _place(
    world: Path,
    name: str,
    folder_mode: int = 0o777,
    file_mode: int = 0o644,
    source: Path | None = None,
) -> Path:
    folder = world / name
    folder.mkdir()
    project = folder / "p.storyiter"
    shutil.copy(source or world / "good.storyiter", project)
    project.chmod(file_mode)
    folder.chmod(folder_mode)
    return project


def test_read_only_file(world: Path) -> None:
    """The file is 0444 and belongs to someone else; its folder is writable."""
    project = _place(world, "ro-file", file_mode=0o444)
    before = _digest(project)
    results = _walk(world, project, _as_other_user())
    # ``new`` makes another file in the writable folder: that works.
    _check(results, project, (*READS, "new"), {"*": "is read-only for you"})
    assert "Read-only here: the file" in results["info"]["stdout"]
    assert _digest(project) == before


def test_read_only_folder(world: Path) -> None:
    """The folder is 0555: reading works without SQLite's -shm file, writing is refused."""
    project = _place(world, "ro-folder", folder_mode=0o555)
    before = _digest(project)
    results = _walk(world, project, _as_other_user())
    _check(
        results, project, READS, {"*": f"you may not create files in the folder {project.parent}"}
    )
    assert sorted(p.name for p in project.parent.iterdir()) == ["p.storyiter"]
    assert _digest(project) == before


def test_read_only_mount(world: Path) -> None:
    if not _can_unshare():
        pytest.skip("no private mount namespace here (unshare -rm)")
    project = _place(world, "ro-mount")
    before = _digest(project)
    folder = project.parent
    mounts = f"mount --bind {folder} {folder}; mount -o remount,bind,ro {folder}"
    results = _walk(world, project, [], mounts)
    _check(results, project, READS, {"*": "is on read-only storage"})
    assert f"Read-only here: {folder} is on read-only storage." in results["info"]["stdout"]
    assert _digest(project) == before


def test_missing_folder(world: Path) -> None:
    project = world / "nowhere" / "dir" / "p.storyiter"
    results = _walk(world, project, _as_other_user())
    _check(results, project, (), {"*": f"the folder {project.parent} does not exist"})


def test_disk_full(world: Path) -> None:
    if not _can_unshare():
        pytest.skip("no private mount namespace here (unshare -rm)")
    folder = world / "full"
    folder.mkdir()
    project = folder / "p.storyiter"
    mounts = (
        f"mount -t tmpfs -o size=1m tmpfs {folder}; cp {world / 'good.storyiter'} {project};"
        f" dd if=/dev/zero of={folder}/filler bs=4k 2>/dev/null || true"
    )
    results = _walk(world, project, [], mounts)
    # Reading needs no space (the -shm file cannot be sized: the file is read as immutable).
    _check(results, project, READS, {"*": "full"})


def test_permission_denied(world: Path) -> None:
    """The file belongs to someone else and is 0600: the user may not even read it."""
    project = _place(world, "denied", file_mode=0o600)
    if os.geteuid() != 0:
        pytest.skip("needs a file of another user")
    results = _walk(world, project, _as_other_user())
    _check(results, project, ("new",), {"*": "ermission denied", "settings": "ermission denied"})


def _older_format_read(results: dict, project: Path, before: tuple[str, int], cause: str) -> None:
    """The reads of a format-1 file worked through an upgraded copy; nothing was written."""
    _check(results, project, READS, {"*": cause})
    info = results["info"]["stdout"]
    assert "Older file format (1; this version writes" in info, info
    assert "It cannot be upgraded here" in info, info
    assert "Release 0.1.0 fixture — 4 frames" in info, info
    assert "Frame 1: " in results["history"]["stdout"]
    assert "Older file format (1)" in results["verify"]["stdout"]
    assert ": ok (12 images checked)." in results["verify"]["stdout"]
    assert (_digest(project), project.stat().st_mtime_ns) == before
    assert sorted(p.name for p in project.parent.iterdir()) == ["p.storyiter"]


def _cover_is_an_image(world: Path) -> None:
    """The thumbnail is the first frame's image, not the title card of an unreadable file."""
    from PIL import Image

    with Image.open(world / "out" / "cover.png") as cover:
        colours = cover.convert("RGB").getcolors(maxcolors=100_000)
    assert colours is None or len(colours) > 200  # a picture, not a two-colour title card


def test_older_format_in_a_read_only_folder(world: Path) -> None:
    """A format-1 project in a 0555 folder: every read works through an upgraded copy."""
    project = _place(world, "old-folder", folder_mode=0o555, source=OLDER)
    before = (_digest(project), project.stat().st_mtime_ns)
    results = _walk(world, project, _as_other_user())
    _older_format_read(results, project, before, "you may not create files in the folder")
    _cover_is_an_image(world)


def test_older_format_on_a_read_only_mount(world: Path) -> None:
    if not _can_unshare():
        pytest.skip("no private mount namespace here (unshare -rm)")
    project = _place(world, "old-mount", source=OLDER)
    before = (_digest(project), project.stat().st_mtime_ns)
    folder = project.parent
    mounts = f"mount --bind {folder} {folder}; mount -o remount,bind,ro {folder}"
    results = _walk(world, project, [], mounts)
    _older_format_read(results, project, before, "is on read-only storage")
    _cover_is_an_image(world)
