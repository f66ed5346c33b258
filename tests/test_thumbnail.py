"""``storyboard thumbnail``: the cover a file manager shows, from good, empty and bad files."""

from __future__ import annotations

import io
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from storyboard_app.project.store import ProjectStore, make_thumbnail

BIN = Path(sys.executable).parent


def thumbnail(*args: str) -> subprocess.CompletedProcess:
    script = shutil.which("storyboard", path=str(BIN))
    assert script
    return subprocess.run([script, "thumbnail", *args], capture_output=True, text=True, timeout=60)


def png_of(color: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def commit(store: ProjectStore, frame_id: int, png: bytes, size: tuple[int, int]) -> int:
    pass_id = store.begin_pass("iterate", [frame_id], [], {"steps": 1})
    image_id = store.commit_image(
        pass_id=pass_id,
        frame_id=frame_id,
        round=0,
        png=png,
        embedding=np.ones(8, np.float32),
        record={},
        source_hash=store.source_hash(frame_id),
        seed=1,
        ip_scale=0.0,
        width=size[0],
        height=size[1],
    )
    store.finish_pass(pass_id, "complete")
    return image_id


@pytest.fixture
def drawn(tmp_path) -> Path:
    """A closed project whose first frame's current image is red (chosen over a later blue)."""
    path = tmp_path / "drawn.storyiter"
    with ProjectStore.create(path, title="Drawn") as store:
        first = store.add_frame(character="a keeper")
        second = store.add_frame(character="a ship")
        red = commit(store, first.id, png_of((220, 20, 20), (640, 360)), (640, 360))
        commit(store, first.id, png_of((20, 20, 220), (640, 360)), (640, 360))
        store.choose_image(first.id, red)
        commit(store, second.id, png_of((20, 220, 20), (640, 360)), (640, 360))
    return path


def files_beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("size", [128, 512])
def test_cover_is_the_first_frames_current_image(drawn, tmp_path, size):
    before = drawn.read_bytes()
    listing = files_beside(drawn)
    out = tmp_path / f"cover-{size}.png"
    result = thumbnail(str(drawn), str(out), "--size", str(size))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.size == (size, size * 9 // 16)
        assert image.convert("RGB").getpixel((size // 2, size // 4)) == (220, 20, 20)
    assert drawn.read_bytes() == before  # read-only: not one byte changed,
    assert files_beside(drawn) == sorted([*listing, out.name])  # no -wal / -shm left


def test_story_without_images_gets_a_title_card(tmp_path):
    empty = tmp_path / "empty.storyiter"
    ProjectStore.create(empty, title="The Lantern Keeper").close()
    cards = tmp_path / "cards.storyiter"
    with ProjectStore.create(cards, title="The Lantern Keeper") as store:
        store.add_frame(character="a keeper")
    for project in (empty, cards):
        out = tmp_path / f"{project.stem}.png"
        result = thumbnail(str(project), str(out), "--size", "256")
        assert result.returncode == 0, result.stderr
        with Image.open(out) as image:
            assert image.size == (256, 192)
            colours = image.convert("RGB").getcolors(maxcolors=256 * 192)
            assert len(colours) > 10  # text was drawn on the card
    assert out.read_bytes() != (tmp_path / "empty.png").read_bytes()  # "0 frames" vs "1 frame"


def damaged_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    files = {}
    files["not a database"] = tmp_path / "notes.storyiter"
    files["not a database"].write_bytes(b"Once upon a time " * 100)
    files["empty file"] = tmp_path / "zero.storyiter"
    files["empty file"].write_bytes(b"")
    files["truncated"] = tmp_path / "truncated.storyiter"
    files["truncated"].write_bytes(good.read_bytes()[:20000])
    files["another program's database"] = tmp_path / "other.storyiter"
    conn = sqlite3.connect(files["another program's database"])
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    scribbled = bytearray(good.read_bytes())
    scribbled[16384 : 16384 * 3] = b"\xff" * (16384 * 2)  # pages of the schema and tables
    files["pages overwritten"] = tmp_path / "scribbled.storyiter"
    files["pages overwritten"].write_bytes(bytes(scribbled))
    files["a folder"] = tmp_path / "folder.storyiter"
    files["a folder"].mkdir()
    files["missing"] = tmp_path / "missing.storyiter"
    return files


def test_damaged_and_foreign_files_get_a_message_and_no_thumbnail(drawn, tmp_path):
    for what, path in damaged_files(tmp_path, drawn).items():
        before = path.read_bytes() if path.is_file() else None
        out = tmp_path / "out" / "thumb.png"
        out.parent.mkdir(exist_ok=True)
        result = thumbnail(str(path), str(out))
        assert result.returncode == 2, (what, result.stdout, result.stderr)
        assert result.stderr.startswith("error: "), (what, result.stderr)
        assert "Traceback" not in result.stderr, what
        assert str(path) in result.stderr, (what, result.stderr)
        assert list(out.parent.iterdir()) == [], what  # nothing written, no temp file left
        if before is not None:
            assert path.read_bytes() == before, what


def test_a_damaged_cover_image_falls_back_to_the_title_card(drawn, tmp_path):
    conn = sqlite3.connect(drawn)
    conn.execute("UPDATE image_thumbnail SET png = X'89504E470D0A1A0A00'")
    conn.execute("UPDATE image_png SET png = X'89504E470D0A1A0A00'")
    conn.commit()
    conn.close()
    for size in ("128", "512"):
        out = tmp_path / f"fallback-{size}.png"
        result = thumbnail(str(drawn), str(out), "--size", size)
        assert result.returncode == 0, result.stderr
        assert "cover image is damaged" in result.stderr
        with Image.open(out) as image:
            assert image.width == int(size)


def test_bad_sizes_and_targets_are_refused(drawn, tmp_path):
    result = thumbnail(str(drawn), str(tmp_path / "t.png"), "--size", "4096")
    assert result.returncode == 2 and "--size must be between 16 and 1024" in result.stderr
    before = drawn.read_bytes()
    result = thumbnail(str(drawn), str(drawn))  # the project itself as the output
    assert result.returncode == 2 and "StoryIter project" in result.stderr
    assert drawn.read_bytes() == before
    assert not (tmp_path / "t.png").exists()


def test_a_project_in_an_older_file_format_gets_its_cover(tmp_path):
    """Files of the release before show their first frame's image, read through an upgraded
    copy in memory: the file is not changed and nothing appears beside it."""
    fixture = Path(__file__).parent / "fixtures" / "release-0.1.0.storyiter"
    older = tmp_path / "older.storyiter"
    shutil.copyfile(fixture, older)
    out = tmp_path / "older.png"
    result = thumbnail(str(older), str(out), "--size", "128")
    assert result.returncode == 0, result.stderr
    with ProjectStore.open_reader(older) as reader:
        first = reader.current_image_id(reader.frames()[0].id)
        expected = make_thumbnail(reader.thumbnail_png(first), 128)
    assert out.read_bytes() == expected
    assert older.read_bytes() == fixture.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["older.png", "older.storyiter"]


def test_a_big_project_in_an_older_file_format_gets_its_title_card(tmp_path, monkeypatch):
    """A file manager's quick look never copies a big older file to disk to upgrade it."""
    from storyboard_app.cli import main
    from storyboard_app.project import store as store_module

    monkeypatch.setattr(store_module, "MEMORY_COPY_MAX_BYTES", 64 * 1024)  # fixture: 640 KiB
    monkeypatch.setenv("STORYITER_CACHE_DIR", str(tmp_path / "cache"))
    fixture = Path(__file__).parent / "fixtures" / "release-0.1.0.storyiter"
    older = tmp_path / "older.storyiter"
    shutil.copyfile(fixture, older)
    out = tmp_path / "older.png"
    assert main(["thumbnail", str(older), str(out), "--size", "128"]) == 0
    with Image.open(out) as image:
        assert image.size == (128, 96)  # the title card's shape
    assert older.read_bytes() == fixture.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["older.png", "older.storyiter"]
