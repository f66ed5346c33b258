"""Content checksums: every image's PNG, thumbnail and embedding carry a SHA-256 written with
them; a flipped bit inside a blob (which SQLite cannot see) is found on reading, by ``verify``,
and refused by rendering and export with the frame, the round and the intact earlier round.
Also the migration that added the checksums, run on a file written by the release before.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from storyboard_app.project.errors import DamagedImageError
from storyboard_app.project.imaging import make_thumbnail
from storyboard_app.project.runner import plan_iterate
from storyboard_app.project.schema import SCHEMA_VERSION
from storyboard_app.project.store import ProjectStore
from storyboard_app.project.verification import verify_project
from tests.project.crash_writer import embedding_for, small_png

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _two_rounds(path: Path) -> dict[str, int]:
    """Two frames, each with a round 0 and a round 1 image; returns their ids by name."""
    rng = random.Random(5)
    ids = {}
    with ProjectStore.create(path) as store:
        store.add_frames([{"character": "a"}, {"character": "b"}])
        frames = [f.id for f in store.frames()]
        for rnd in (0, 1):
            pass_id = store.begin_pass("test", frames, [], {})
            for k, frame_id in enumerate(frames):
                png = small_png(rng, (40, 30))
                ids[f"f{k + 1}r{rnd}"] = store.commit_image(
                    pass_id=pass_id,
                    frame_id=frame_id,
                    round=rnd,
                    png=png,
                    thumbnail_png=make_thumbnail(png, 16),
                    embedding=embedding_for(png),
                    record={},
                    source_hash=store.source_hash(frame_id),
                    seed=1,
                    ip_scale=0.3 if rnd else 0.0,
                    width=40,
                    height=30,
                )
            store.finish_pass(pass_id, "complete")
    return ids


def _flip_byte_inside(path: Path, blob: bytes) -> None:
    """Flip one bit in the middle of ``blob`` where it lies in the (closed) project file."""
    data = bytearray(path.read_bytes())
    at = data.find(blob)
    assert at > 0 and data.find(blob, at + 1) < 0, "the blob is stored once, in one piece"
    data[at + len(blob) // 2] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_flipped_bit_in_a_current_image_is_found_and_refused(tmp_path: Path) -> None:
    path = tmp_path / "flip.storyiter"
    ids = _two_rounds(path)
    with ProjectStore.open_reader(path) as store:
        png = store.image_png(ids["f2r1"])
    _flip_byte_inside(path, png)
    # SQLite sees nothing wrong: its own check passes.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()

    report = verify_project(path)
    assert not report.ok and report.images_checked == 4 and not report.file_problems
    [damage] = report.damaged_images
    assert (damage.image_id, damage.frame_number, damage.round) == (ids["f2r1"], 2, 1)
    assert damage.problems == ("its PNG does not match its checksum",)

    with ProjectStore.open(path) as store:
        with pytest.raises(DamagedImageError) as caught:
            store.image_png(ids["f2r1"])
        message = str(caught.value)
        assert "Frame 2's image" in message and "(round 1)" in message
        assert f"round 0 (image {ids['f2r0']}) is intact" in message
        assert caught.value.earlier == (ids["f2r0"], 0)
        store.image_png(ids["f1r1"])  # the others read as before
        # Rendering attends to every current image: it refuses before a pass begins.
        with pytest.raises(DamagedImageError, match="Frame 2's image"):
            plan_iterate(store)
        assert len(store.passes()) == 2
        # Choosing the intact earlier round is the way out the message offers.
        store.choose_image(store.frames()[1].id, ids["f2r0"])
        assert plan_iterate(store).reference_image_ids == (ids["f1r1"], ids["f2r0"])


def test_damaged_thumbnail_and_embedding_are_found(tmp_path: Path) -> None:
    path = tmp_path / "parts.storyiter"
    ids = _two_rounds(path)
    with ProjectStore.open_reader(path) as store:
        thumbnail = store.thumbnail_png(ids["f1r1"])
        embedding = store.image_embedding(ids["f2r0"]).astype("<f2").tobytes()
    _flip_byte_inside(path, thumbnail)
    _flip_byte_inside(path, embedding)
    report = verify_project(path)
    found = {(d.frame_number, d.round): d.problems for d in report.damaged_images}
    assert found == {
        (1, 1): ("its thumbnail does not match its checksum",),
        (2, 0): ("its embedding does not match its checksum",),
    }
    with ProjectStore.open_reader(path) as store:
        cards = store.board()
        assert cards[0].thumbnail_damaged and cards[0].thumbnail_png is None
        assert not cards[1].thumbnail_damaged and cards[1].thumbnail_png is not None
        with pytest.raises(DamagedImageError, match="No earlier round of this frame is intact"):
            store.image_embeddings([ids["f1r0"], ids["f2r0"]])


@pytest.mark.parametrize(
    ("fixture", "version", "rounds", "images"),
    [("release-0.1.0.storyiter", 1, [0, 1, 2], 12), ("format-2.storyiter", 2, [0, 1], 3)],
    ids=["release-0.1.0", "format-2"],
)
def test_older_files_get_checksums_when_opened_for_writing(
    tmp_path: Path, fixture: str, version: int, rounds: list[int], images: int
) -> None:
    """Files written before the checksums: by release 0.1.0 (format 1) and by the version
    just before them (format 2, board search)."""
    path = tmp_path / "old.storyiter"
    shutil.copy(FIXTURES / fixture, path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone() == (version,)
    before = {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in ("image_png", "image_thumbnail", "image_embedding", "image", "render_pass")
    }
    conn.close()
    with ProjectStore.open(path) as store:
        assert [i.round for i in store.images_of_frame(store.frames()[0].id)] == rounds
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    for table, rows in before.items():
        assert conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() == rows
    sums = conn.execute("SELECT * FROM image_checksum ORDER BY image_id").fetchall()
    conn.close()
    assert [s[0] for s in sums] == [r[0] for r in before["image_png"]]
    assert len(sums) == images
    sha = lambda b: hashlib.sha256(b).digest()  # noqa: E731
    for (image_id, png, thumb, emb), (_, png_row), (_, thumb_row), (_, _, _, emb_row) in zip(
        sums, before["image_png"], before["image_thumbnail"], before["image_embedding"]
    ):
        assert (png, thumb, emb) == (sha(png_row), sha(thumb_row), sha(emb_row)), image_id
    assert verify_project(path).ok
