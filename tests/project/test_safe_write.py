"""The one safe writer: refusals before writing, failures that leave the old file, no temp files."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from storyboard_app.project import safe_write, storage
from storyboard_app.project.model_config import ModelConfig, load_model_config, save_model_config
from storyboard_app.project.safe_write import (
    FileWriteError,
    OutputCheckError,
    safe_output,
    write_bytes,
    write_text,
)
from storyboard_app.project.store import ProjectStore


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_replace_the_old_file_and_keep_its_mode(tmp_path):
    out = tmp_path / "notes.json"
    out.write_text("old")
    out.chmod(0o640)
    assert write_text(out, '{"a": 1}', "the notes", suffixes=(".json",)) == out
    assert json.loads(out.read_text()) == {"a": 1}
    assert out.stat().st_mode & 0o777 == 0o640
    assert names(tmp_path) == ["notes.json"]


def test_a_project_is_refused_by_content_whatever_its_name(tmp_path):
    project = tmp_path / "story.storyiter"
    ProjectStore.create(project, title="Weeks of work").close()
    disguised = tmp_path / "board.pdf"
    disguised.write_bytes(project.read_bytes())
    before = {p: p.read_bytes() for p in (project, disguised)}
    for target in (project, disguised, tmp_path / "story.storyiter-wal"):
        with pytest.raises(FileWriteError, match=r"StoryIter project|part of the project"):
            write_bytes(target, b"%PDF-1.4", "the PDF")
    assert {p: p.read_bytes() for p in before} == before
    assert names(tmp_path) == ["board.pdf", "story.storyiter"]


def test_the_open_project_is_refused_while_it_is_open(tmp_path):
    project = tmp_path / "open.storyiter"
    with ProjectStore.create(project, title="Open") as store:
        store.add_frame(character="a lighthouse")
        before = project.read_bytes()
        with pytest.raises(FileWriteError, match="StoryIter project"):
            write_bytes(store.path, b"GIF89a", "the animatic")
        assert project.read_bytes() == before
        assert [f.character for f in store.frames()] == ["a lighthouse"]


def test_a_suffix_that_contradicts_the_format_is_refused(tmp_path):
    with pytest.raises(FileWriteError, match=r"\.png name does not fit the PDF.*\.pdf"):
        write_bytes(tmp_path / "out.png", b"%PDF", "the PDF", suffixes=(".pdf",))
    assert write_bytes(tmp_path / "OUT.PDF", b"%PDF", "the PDF", suffixes=(".pdf",)).exists()
    assert names(tmp_path) == ["OUT.PDF"]


def test_destination_problems_are_named(tmp_path):
    (tmp_path / "in-the-way.zip").mkdir()
    with pytest.raises(FileWriteError, match="folder of that name"):
        write_bytes(tmp_path / "in-the-way.zip", b"x", "the ZIP")
    with pytest.raises(FileWriteError, match="does not exist"):
        write_bytes(tmp_path / "missing" / "a.zip", b"x", "the ZIP")


def test_a_failed_check_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    out = tmp_path / "board.pdf"
    out.write_bytes(b"previous export")

    def never(_path: Path) -> None:
        raise OutputCheckError("it has 3 pages instead of 9")

    with pytest.raises(FileWriteError, match=r"board\.pdf.*3 pages instead of 9.*unchanged"):
        write_bytes(out, b"%PDF-truncated", "the PDF", verify=never)
    assert out.read_bytes() == b"previous export"
    assert names(tmp_path) == ["board.pdf"]


@pytest.mark.parametrize(
    ("code", "cause"),
    [
        (errno.ENOSPC, "the disk is full"),
        (errno.EIO, "an input/output error"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_os_errors_name_the_file_and_the_cause(tmp_path, monkeypatch, code, cause):
    """Injected at the last step before the rename (the tmpfs test covers a real full disk)."""
    out = tmp_path / "shots.zip"
    out.write_bytes(b"previous")

    def fail(_path: Path) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(safe_write, "fsync_file", fail)
    with pytest.raises(FileWriteError, match=rf"shots\.zip failed: {cause}.*unchanged") as info:
        write_bytes(out, b"new", "the ZIP")
    assert str(out) in str(info.value)
    assert out.read_bytes() == b"previous"
    assert names(tmp_path) == ["shots.zip"]


def test_ctrl_c_inside_the_block_removes_the_temp_file(tmp_path):
    out = tmp_path / "a.gif"
    out.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), safe_output(out, "the animatic") as temp:
        temp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert out.read_bytes() == b"old"
    assert names(tmp_path) == ["a.gif"]


def test_a_symlink_target_writes_through_the_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text(link, '{"b": 2}', "the notes")
    assert link.is_symlink() and json.loads(real.read_text()) == {"b": 2}


def test_model_settings_are_written_by_the_safe_writer(tmp_path):
    path = tmp_path / "config" / "models.json"
    save_model_config(ModelConfig(base="/models/sdxl"), path)
    assert load_model_config(path).base == "/models/sdxl"
    with pytest.raises(FileWriteError, match="does not fit"):
        save_model_config(ModelConfig(), tmp_path / "models.txt")


def test_save_as_may_replace_another_project_but_not_itself(tmp_path):
    first = tmp_path / "a.storyiter"
    other = tmp_path / "b.storyiter"
    ProjectStore.create(other, title="Other").close()
    with ProjectStore.create(first, title="First") as store:
        store.save_as(other)
        with pytest.raises(Exception, match="this project itself"):
            store.save_as(first)
    with ProjectStore.open_reader(other) as copy:
        assert copy.story().title == "First"
    assert not [n for n in names(tmp_path) if n.endswith(safe_write.TEMP_SUFFIX)]


@pytest.mark.parametrize("code", sorted(storage.CAUSES))
def test_one_table_of_causes_for_exports_and_the_project(tmp_path, monkeypatch, code):
    """An export and the project file name the same operating-system error in the same words."""
    out = tmp_path / "sheet.png"

    def fail(_path: Path) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(safe_write, "fsync_file", fail)
    with pytest.raises(FileWriteError) as info:
        write_bytes(out, b"new", "the contact sheet")
    project = tmp_path / "p.storyiter"
    said = storage.os_error_message(project, OSError(code, os.strerror(code)), "be written")
    assert storage.CAUSES[code] in str(info.value)
    assert storage.CAUSES[code] in said
    assert not out.exists()
