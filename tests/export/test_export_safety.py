"""``storyboard export`` under bad conditions, run as a user runs it: each leaves what was
saved before exactly as it was, and no temp file behind."""

from __future__ import annotations

import shlex
import shutil
import signal
import subprocess
import time

import pikepdf
import pytest

from tests.export.projects import (
    ROOT,
    command_env,
    digest,
    make_project,
    storyboard,
    storyboard_command,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("safety") / "kites.storyiter", frames=6)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_export_onto_the_project_is_refused_and_the_project_survives(project, tmp_path):
    before = digest(project)
    for flag in ("--pdf", "--zip"):
        result = storyboard("export", project, flag, project)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "is a StoryIter project" in result.stderr and str(project) in result.stderr
        assert "Traceback" not in result.stderr
    renamed = tmp_path / "renamed.pdf"  # judged by content, not by name
    shutil.copy(project, renamed)
    result = storyboard("export", project, "--pdf", renamed)
    assert result.returncode == 2 and "is a StoryIter project" in result.stderr
    assert digest(project) == before == digest(renamed)
    assert storyboard("info", project).returncode == 0


def test_a_suffix_that_contradicts_the_format_is_refused(project, tmp_path):
    result = storyboard("export", project, "--pdf", tmp_path / "out.png")
    assert result.returncode == 2
    assert "a .png name does not fit the PDF" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_missing_round_is_an_error_not_blank_panels(project, tmp_path):
    result = storyboard("export", project, "--pdf", tmp_path / "r.pdf", "--images", "round:5")
    assert result.returncode == 2
    assert "round 5" in result.stderr and "round 0" in result.stderr
    assert list(tmp_path.iterdir()) == []


def pdf_page_count(path):
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _start_export(command):
    """Start an export; returns the process once it says it is writing, and when it did."""
    proc = subprocess.Popen(
        command, env=command_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for line in proc.stderr:
        if line.startswith("Exporting"):
            return proc, time.monotonic()
    raise AssertionError("the export never started: " + proc.stdout.read())


def test_sigterm_and_ctrl_c_mid_export_cancel_cleanly(tmp_path):
    """Signals at several moments of a real export: each run either finishes or cancels, and
    a cancelled one leaves the previous PDF byte for byte and no temp file."""
    project = make_project(tmp_path / "big.storyiter", frames=24, size=(512, 288))
    out = tmp_path / "board.pdf"
    command = [*storyboard_command(), "export", str(project), "--pdf", str(out)]
    proc, started = _start_export(command)
    assert proc.wait(timeout=120) == 0
    painting = time.monotonic() - started
    previous = digest(out)
    cancelled = 0
    # Right after "Exporting" the first page has not been painted: that run always cancels.
    for fraction, signum in ((0.0, signal.SIGTERM), (0.4, signal.SIGINT)):
        proc, _ = _start_export(command)
        time.sleep(painting * fraction)
        proc.send_signal(signum)
        written, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        assert leftovers(tmp_path) == []
        if "Wrote" in written:  # it finished first (the signal may end its exit): a whole PDF
            assert proc.returncode in (0, 128 + signum, -signum) and pdf_page_count(out) == 8
            previous = digest(out)
            continue
        assert proc.returncode == 128 + signum, err
        assert "Export cancelled" in err and "unchanged" in err
        assert digest(out) == previous
        cancelled += 1
    assert cancelled, "no run was still exporting when the signal came"


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", probe], capture_output=True, text=True, check=False
    )
    return result.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="cannot mount a private tmpfs here")
def test_a_full_disk_keeps_the_previous_pdf(project, tmp_path):
    """A real full disk: a 512 KiB tmpfs in a private mount namespace, nearly filled."""
    disk = tmp_path / "disk"
    disk.mkdir()
    good = tmp_path / "good.pdf"
    assert storyboard("export", project, "--pdf", good).returncode == 0
    export = shlex.join([*storyboard_command(), "export", str(project), "--pdf"])
    script = f"""
        set -e
        mount -t tmpfs -o size=512k tmpfs {disk}
        cp {good} {disk}/board.pdf
        fill=$(( $(stat -f -c '%a*%S' {disk}) - 4096 ))
        head -c $fill /dev/zero > {disk}/filler || true
        set +e
        {export} {disk}/board.pdf 2> {tmp_path}/err.txt
        echo "rc=$?"
        sha256sum {disk}/board.pdf
        ls -a {disk}
    """
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    err = (tmp_path / "err.txt").read_text()
    assert "rc=2" in result.stdout, result.stdout + result.stderr + err
    assert "the disk is full" in err and "board.pdf" in err and "unchanged" in err
    assert "Traceback" not in err
    assert digest(good) in result.stdout
    assert ".part" not in result.stdout
