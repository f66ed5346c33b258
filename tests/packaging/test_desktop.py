"""Desktop integration as a user installs it: ``make install-desktop`` into a fresh home."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storyboard_app.project.schema import APPLICATION_ID
from storyboard_app.project.store import ProjectStore

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "linux" / "install-desktop.sh"
BIN = Path(sys.executable).parent
APP_ID = "org.storyiter.Studio"
MIME_TYPE = "application/x-storyiter-project"


def run(cmd: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture
def home(tmp_path) -> dict[str, str]:
    """An environment whose home and XDG data folder are empty temp folders."""
    home = tmp_path / "home"
    home.mkdir()
    return os.environ | {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_DATA_DIRS": "/usr/local/share:/usr/share",
    }


def installed(env: dict[str, str]) -> dict[str, bytes]:
    data = Path(env["XDG_DATA_HOME"])
    files = [p for p in data.rglob("*") if p.is_file() and APP_ID in p.name]
    return {str(p.relative_to(data)): p.read_bytes() for p in files}


def install(env: dict[str, str]) -> None:
    result = run([str(SCRIPT), "--bindir", str(BIN)], env)
    assert result.returncode == 0, result.stderr


def test_install_is_idempotent_and_uninstall_removes_it_all(home):
    install(home)
    first = installed(home)
    assert {
        f"applications/{APP_ID}.desktop",
        f"metainfo/{APP_ID}.metainfo.xml",
        f"mime/packages/{APP_ID}.xml",
        f"thumbnailers/{APP_ID}.thumbnailer",
        f"icons/hicolor/scalable/apps/{APP_ID}.svg",
        f"icons/hicolor/48x48/apps/{APP_ID}.png",
        f"icons/hicolor/256x256/apps/{APP_ID}.png",
    } <= set(first)
    desktop = first[f"applications/{APP_ID}.desktop"].decode()
    assert f"Exec={BIN}/storyboard-app %f" in desktop
    assert f"MimeType={MIME_TYPE};" in desktop
    install(home)
    assert installed(home) == first  # again: the same files, nothing added

    for _ in range(2):  # uninstalling twice is fine too
        result = run([str(SCRIPT), "--uninstall"], home)
        assert result.returncode == 0, result.stderr
        assert installed(home) == {}


def test_bad_bindir_is_named(home, tmp_path):
    result = run([str(SCRIPT), "--bindir", str(tmp_path / "nowhere")], home)
    assert result.returncode == 2
    assert "nowhere is not a folder" in result.stderr
    result = run([str(SCRIPT), "--bindir", str(tmp_path)], home)
    assert result.returncode == 2
    assert f"{tmp_path}/storyboard is missing" in result.stderr
    assert installed(home) == {}


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils")
def test_desktop_entry_validates(home):
    install(home)
    data = Path(home["XDG_DATA_HOME"])
    result = run(["desktop-file-validate", str(data / "applications" / f"{APP_ID}.desktop")], home)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def screenshots(metainfo: Path) -> list[str]:
    return re.findall(r"<image>([^<]+)</image>", metainfo.read_text())


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream")
@pytest.mark.parametrize("url", [None, "https://studio.example.com/media/shots"])
def test_metainfo_validates_with_the_screenshots_address_a_publisher_sets(home, url):
    env = home if url is None else home | {"STORYITER_SCREENSHOTS_URL": url}
    install(env)
    data = Path(home["XDG_DATA_HOME"])
    metainfo = data / "metainfo" / f"{APP_ID}.metainfo.xml"
    result = run(["appstreamcli", "validate", "--no-net", "--pedantic", str(metainfo)], home)
    assert result.returncode == 0, result.stdout + result.stderr
    text = metainfo.read_text()
    assert '<screenshot type="default">' in text and "<release version=" in text
    assert "@" not in text
    # Every screenshot is one of docs/screenshots/, under the one address set (by default
    # the placeholder host).
    base = url or "https://storyiter.example.org/screenshots"
    images = screenshots(metainfo)
    assert len(images) == 3
    for image in images:
        folder, name = image.rsplit("/", 1)
        assert folder == base and (ROOT / "docs" / "screenshots" / name).is_file(), image


@pytest.mark.parametrize(
    "url", ["http://plain.example.com/shots", "https://example.com/shots/", "https://a b/c"]
)
def test_a_bad_screenshots_address_is_refused(home, url):
    result = run([str(SCRIPT), "--bindir", str(BIN)], home | {"STORYITER_SCREENSHOTS_URL": url})
    assert result.returncode == 2 and "STORYITER_SCREENSHOTS_URL" in result.stderr
    assert installed(home) == {}


def make_project(path: Path) -> Path:
    with ProjectStore.create(path, title="Mime") as store:
        store.add_frame(character="a keeper")
    return path


def detectors() -> list[list[str]]:
    found = []
    if shutil.which("gio"):
        found.append(["gio", "info", "-a", "standard::content-type"])
    if shutil.which("xdg-mime"):
        found.append(["xdg-mime", "query", "filetype"])
    return found


@pytest.mark.skipif(not shutil.which("update-mime-database") or not detectors(), reason="mime")
def test_projects_are_recognised_by_content_without_their_suffix(home, tmp_path):
    install(home)
    project = make_project(tmp_path / "board.storyiter")
    bare = tmp_path / "board-without-suffix"
    shutil.copyfile(project, bare)
    other = tmp_path / "other-program-db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    near_miss = tmp_path / "near-miss"  # SQLite with another application id
    conn = sqlite3.connect(near_miss)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID + 1}")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    env = home | {"XDG_CURRENT_DESKTOP": "GNOME"}  # xdg-mime then asks gio, not file(1)
    for detector in detectors():
        assert detected(detector, project, env) == MIME_TYPE
        assert detected(detector, bare, env) == MIME_TYPE
        assert detected(detector, other, env) == "application/vnd.sqlite3"
        assert detected(detector, near_miss, env) == "application/vnd.sqlite3"


def detected(detector: list[str], path: Path, env: dict[str, str]) -> str:
    """The MIME type ``gio`` / ``xdg-mime`` reports for ``path``."""
    result = run([*detector, str(path)], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().rsplit(" ", 1)[-1]


def test_thumbnailer_entry_runs_the_thumbnail_command(home, tmp_path):
    """The thumbnailer's Exec line, expanded as a file manager does, writes the cover."""
    install(home)
    entry = Path(home["XDG_DATA_HOME"]) / "thumbnailers" / f"{APP_ID}.thumbnailer"
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines() if "=" in line)
    assert fields["MimeType"] == f"{MIME_TYPE};"
    assert Path(fields["TryExec"]).is_file()
    project = make_project(tmp_path / "board.storyiter")
    out = tmp_path / "thumb.png"
    substitutions = {"%i": str(project), "%o": str(out), "%s": "128"}
    argv = [substitutions.get(word, word) for word in shlex.split(fields["Exec"])]
    result = run(argv, home)
    assert result.returncode == 0, result.stderr
    from PIL import Image

    with Image.open(out) as image:
        assert max(image.size) == 128
