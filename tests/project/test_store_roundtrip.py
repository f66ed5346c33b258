"""Every entity of a project survives a round trip through a real file on disk."""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from storyboard_app.project.errors import (
    CastNameTakenError,
    InvalidImageError,
    InvalidPoseError,
    InvalidValueError,
    NotFoundError,
    PassStateError,
    ProjectExistsError,
    ReadOnlyProjectError,
)
from storyboard_app.project.model import StorySettings
from storyboard_app.project.schema import (
    APPLICATION_ID,
    PAGE_SIZE,
    SCHEMA_VERSION,
    expected_schema,
)
from storyboard_app.project.store import ProjectStore, make_thumbnail
from tests.project.crash_writer import commit_test_image, embedding_for, small_png

POSE = json.dumps(
    {
        "canvas_width": 512,
        "canvas_height": 512,
        "people": [{"pose_keypoints_2d": [v for i in range(18) for v in (100 + i, 200 + i, 1.0)]}],
    }
)


@pytest.fixture
def store(tmp_path: Path):
    with ProjectStore.create(tmp_path / "story.storyiter", title="The Lighthouse") as s:
        yield s


def snapshot(s: ProjectStore) -> dict:
    """Everything a store can say about its project, as comparable values."""
    images = {f.id: [dataclasses.asdict(i) for i in s.images_of_frame(f.id)] for f in s.frames()}
    blobs = {
        i["id"]: (
            s.image_png(i["id"]),
            s.thumbnail_png(i["id"]),
            s.image_embedding(i["id"]).tobytes(),
        )
        for history in images.values()
        for i in history
    }
    return {
        "story": s.story(),
        "cast": s.cast(),
        "frames": s.frames(),
        "images": images,
        "blobs": blobs,
        "passes": s.passes(),
        "board": s.board(),
        "json": s.to_json(),
    }


def test_create_stores_a_random_seed_once_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "a.storyiter"
    with ProjectStore.create(path) as first:
        seed = first.story().settings.seed
        assert first.story().title == "Untitled story"
    with ProjectStore.open(path) as again:
        assert again.story().settings.seed == seed
    before = path.read_bytes()
    with pytest.raises(ProjectExistsError, match="already exists"):
        ProjectStore.create(path)
    assert path.read_bytes() == before
    seeds = {StorySettings().seed for _ in range(8)}
    assert len(seeds) > 1 and all(0 <= s < 2**32 for s in seeds)


def test_file_identity_and_pragmas(store: ProjectStore) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
    conn.close()
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    # The writer runs the file's own triggers (the search index) once its schema matched;
    # a reader, and every connection before that check, trusts nothing in the file.
    assert store._conn.execute("PRAGMA trusted_schema").fetchone()[0] == 1
    assert store._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    with ProjectStore.open_reader(store.path) as reader:
        assert reader._conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0


def test_every_entity_round_trips_through_reopen(tmp_path: Path) -> None:
    path = tmp_path / "full.storyiter"
    rng = random.Random(7)
    settings = StorySettings(rounds=3, steps=4, guidance=7.5, width=512, height=768, seed=42,
                             style="film", fast=True, controlnet=True, seed_policy="per_frame",
                             batch_size=2)  # fmt: skip
    with ProjectStore.create(path, title="Round trip", settings=settings) as s:
        s.set_models_config("my-sdxl")
        mira = s.add_cast_member("Mira", "a young inventor with goggles", "#AABBCC")
        s.add_cast_member("Otto", "a brass robot")
        a = s.add_frame(character="@Mira", interaction="repairs @Otto", scene="in a workshop",
                        caption="Almost there.", notes="close-up", shot_label="CU",
                        duration=3.5, pose_json=POSE, seed_override=99)  # fmt: skip
        b = s.add_frame(character="A lighthouse at dusk", locked=True)
        p0 = s.begin_pass("round0", [a.id, b.id], [], {"steps": 4})
        first = commit_test_image(s, p0, a.id, rng, rnd=0)
        commit_test_image(s, p0, b.id, rng, rnd=0)
        s.finish_pass(p0, "complete")
        p1 = s.begin_pass("iterate", [a.id], [first], {"steps": 4, "scale": 0.3})
        commit_test_image(s, p1, a.id, rng, rnd=1)
        s.finish_pass(p1, "cancelled", "stopped by the writer")
        s.choose_image(a.id, first)
        before = snapshot(s)
    assert mira.color == "#aabbcc"
    with ProjectStore.open(path) as s:
        assert snapshot(s) == before
    with ProjectStore.open_reader(path) as r:
        assert snapshot(r) == before
    story = before["story"]
    assert story.title == "Round trip" and story.settings == settings
    assert story.models_config == "my-sdxl"
    frame_a = before["frames"][0]
    assert (frame_a.pose_json, frame_a.seed_override, frame_a.duration) == (POSE, 99, 3.5)
    assert before["frames"][1].locked is True
    assert before["board"][0].posed and not before["board"][1].posed


def test_image_history_current_image_and_choice(store: ProjectStore) -> None:
    rng = random.Random(1)
    f = store.add_frame(character="a cat")
    other = store.add_frame(character="a dog")
    p = store.begin_pass("round0", [f.id, other.id], [], {})
    r0 = commit_test_image(store, p, f.id, rng, rnd=0)
    r2 = commit_test_image(store, p, f.id, rng, rnd=2)
    r1 = commit_test_image(store, p, f.id, rng, rnd=1)
    r2b = commit_test_image(store, p, f.id, rng, rnd=2)
    dog = commit_test_image(store, p, other.id, rng)
    assert [i.id for i in store.images_of_frame(f.id)] == [r0, r1, r2, r2b]
    assert store.current_image_id(f.id) == r2b  # highest round, then newest
    store.choose_image(f.id, r1)
    assert store.current_image_id(f.id) == r1
    with pytest.raises(InvalidValueError, match="another frame"):
        store.choose_image(f.id, dog)
    with pytest.raises(NotFoundError):
        store.choose_image(f.id, 12345)
    store.choose_image(f.id, None)
    assert store.current_image_id(f.id) == r2b
    info = store.image_info(r1)
    assert (info.frame_id, info.pass_id, info.round, info.width, info.height) == (
        f.id,
        p,
        1,
        24,
        16,
    )
    assert info.has_embedding and info.ip_scale == 0.3
    png = store.image_png(r1)
    assert info.record["png_sha256"] == __import__("hashlib").sha256(png).hexdigest()
    # float32 in, float16 stored: equal to float16 precision
    np.testing.assert_allclose(store.image_embedding(r1), embedding_for(png), rtol=1e-3, atol=1e-3)
    assert store.image_embedding(r1).dtype == np.float32
    assert [i.id for i in store.images_of_pass(p)] == [r0, r2, r1, r2b, dog]
    ids, matrix = store.current_embeddings()
    assert ids == [r2b, dog] and matrix.shape == (2, 64) and matrix.dtype == np.float32
    ids, matrix = store.current_embeddings([other.id])
    assert ids == [dog] and matrix.shape == (1, 64)
    np.testing.assert_array_equal(store.image_embeddings([dog, r0])[0], store.image_embedding(dog))


def test_staleness_follows_prompt_pose_seed_and_cast(store: ProjectStore) -> None:
    rng = random.Random(2)
    store.add_cast_member("Mira", "a girl in a red scarf")
    f = store.add_frame(character="@Mira", interaction="waves")
    never_drawn = store.add_frame(character="a boat")
    assert store.compiled_prompt(f) == "a girl in a red scarf, waves"
    p = store.begin_pass("round0", [f.id], [], {})
    commit_test_image(store, p, f.id, rng)
    assert store.stale_frame_ids() == [] and not store.is_stale(f.id)
    store.update_frame(f.id, notes="notes do not change the image", caption="nor captions")
    assert store.stale_frame_ids() == []
    store.update_frame(f.id, interaction="waves goodbye")
    assert store.stale_frame_ids() == [f.id] and store.is_stale(f.id)
    store.update_frame(f.id, interaction="waves")  # back to what the image was made from
    assert store.stale_frame_ids() == []
    for change, undo in (
        ({"pose_json": POSE}, {"pose_json": None}),
        ({"seed_override": 5}, {"seed_override": None}),
    ):
        store.update_frame(f.id, **change)
        assert store.is_stale(f.id)
        store.update_frame(f.id, **undo)
        assert not store.is_stale(f.id)
    (mira,) = store.cast()
    store.update_cast_member(mira.id, description="a girl in a blue scarf")
    assert store.is_stale(f.id) and not store.is_stale(never_drawn.id)


def test_cast_rules_and_rename_rewrites_mentions(store: ProjectStore) -> None:
    mira = store.add_cast_member("@Mira", "an inventor")
    assert mira.name == "Mira" and mira.color.startswith("#")
    with pytest.raises(CastNameTakenError):
        store.add_cast_member("MIRA", "someone else")
    with pytest.raises(InvalidValueError, match="one word"):
        store.add_cast_member("Old Man", "two words")
    with pytest.raises(InvalidValueError, match="rrggbb"):
        store.add_cast_member("Otto", "robot", color="red")
    otto = store.add_cast_member("Otto", "a robot")
    f = store.add_frame(
        character="@mira and @Otto", scene="@Miranda is not @Mira's", caption="@Mira!"
    )
    before = store.compiled_prompt(f)
    with pytest.raises(CastNameTakenError):
        store.update_cast_member(otto.id, name="mira")
    store.update_cast_member(mira.id, name="Ada")
    frame = store.frame(f.id)
    assert frame.character == "@Ada and @Otto"
    assert frame.scene == "@Miranda is not @Ada's" and frame.caption == "@Ada!"
    assert store.compiled_prompt(frame) == before
    store.remove_cast_member(otto.id)
    assert [m.name for m in store.cast()] == ["Ada"]
    assert "@Otto" in store.compiled_prompt(f.id)  # unknown mentions stay as written
    with pytest.raises(NotFoundError):
        store.remove_cast_member(otto.id)


def test_frame_positions_stay_dense(store: ProjectStore) -> None:
    frames = [store.add_frame(character=f"frame {i}") for i in range(5)]
    first = store.add_frame(position=0, character="new first")
    assert [f.character for f in store.frames()][:2] == ["new first", "frame 0"]
    store.move_frame(frames[0].id, 5)
    store.move_frame(frames[4].id, 1)
    store.delete_frame(frames[2].id)
    copy = store.duplicate_frame(frames[3].id)
    order = store.frames()
    assert [f.position for f in order] == list(range(len(order)))
    assert [f.character for f in order] == [
        "new first", "frame 4", "frame 1", "frame 3", "frame 3", "frame 0",
    ]  # fmt: skip
    assert order[4].id == copy.id and copy.id not in {f.id for f in frames} | {first.id}
    for bad in (-1, 6, 1.5, True):
        with pytest.raises(InvalidValueError):
            store.move_frame(copy.id, bad)
    with pytest.raises(InvalidValueError):
        store.add_frame(position=7)


def test_ids_are_stable_and_never_reused(store: ProjectStore) -> None:
    a = store.add_frame(character="a")
    b = store.add_frame(character="b")
    store.delete_frame(b.id)
    c = store.add_frame(character="c")
    assert c.id > b.id
    store.move_frame(c.id, 0)
    assert store.frame(a.id).character == "a" and store.frame(c.id).position == 0


def test_duplicate_copies_card_not_images(store: ProjectStore) -> None:
    f = store.add_frame(character="x", pose_json=POSE, seed_override=3, duration=1.5, locked=True)
    p = store.begin_pass("round0", [f.id], [], {})
    commit_test_image(store, p, f.id, random.Random(3))
    copy = store.duplicate_frame(f.id)
    assert (copy.character, copy.pose_json, copy.seed_override, copy.duration) == (
        "x",
        POSE,
        3,
        1.5,
    )
    assert copy.locked is False and store.images_of_frame(copy.id) == []
    assert copy.position == f.position + 1


def test_deleting_a_frame_deletes_its_images(store: ProjectStore) -> None:
    rng = random.Random(4)
    f = store.add_frame(character="doomed")
    keep = store.add_frame(character="kept")
    p = store.begin_pass("round0", [f.id, keep.id], [], {})
    doomed_image = commit_test_image(store, p, f.id, rng)
    kept_image = commit_test_image(store, p, keep.id, rng)
    with pytest.raises(PassStateError, match="being drawn"):
        store.delete_frame(f.id)
    store.finish_pass(p, "complete")
    store.delete_frame(f.id)
    with pytest.raises(NotFoundError):
        store.image_png(doomed_image)
    for table in ("image", "image_png", "image_thumbnail", "image_embedding"):
        column = "id" if table == "image" else "image_id"
        rows = store._conn.execute(f"SELECT {column} FROM {table}").fetchall()
        assert rows == [(kept_image,)]
    assert store.images_of_pass(p)[0].id == kept_image


def test_frame_fields_are_validated_and_nothing_is_stored(store: ProjectStore) -> None:
    f = store.add_frame(character="ok")
    for fields in (
        {"character": 5},
        {"duration": "long"},
        {"duration": float("nan")},
        {"duration": -1},
        {"seed_override": 1.5},
        {"seed_override": -1},
        {"locked": 1},
        {"position": 3},
        {"chosen_image_id": 1},
        {"colour": "red"},
    ):
        with pytest.raises(InvalidValueError):
            store.update_frame(f.id, **fields)
    with pytest.raises(InvalidPoseError, match="Pose JSON"):
        store.update_frame(f.id, pose_json="{not json")
    with pytest.raises(InvalidPoseError):
        store.add_frame(character="posed", pose_json='{"people": [{"pose_keypoints_2d": [1, 2]}]}')
    assert store.frames() == [f]
    assert store.update_frame(f.id, duration=4).duration == 4.0


def test_passes_lifecycle(store: ProjectStore) -> None:
    rng = random.Random(5)
    a = store.add_frame(character="a")
    b = store.add_frame(character="b")
    p = store.begin_pass("round0", [a.id, b.id], [], {"steps": 4})
    with pytest.raises(PassStateError, match="one pass runs at a time"):
        store.begin_pass("round0", [a.id], [], {})
    first = commit_test_image(store, p, a.id, rng)
    assert store.pending_frame_ids(p) == (b.id,)
    info = store.finish_pass(p, "cancelled", "stopped")
    assert (info.status, info.error) == ("cancelled", "stopped") and info.finished is not None
    assert [u.id for u in store.unfinished_passes()] == [p]
    with pytest.raises(PassStateError, match="takes no more images"):
        commit_test_image(store, p, b.id, rng)
    with pytest.raises(PassStateError):
        store.finish_pass(p, "complete")
    reopened = store.reopen_pass(p)
    assert reopened.status == "running" and reopened.finished is None
    commit_test_image(store, p, b.id, rng)
    assert store.pending_frame_ids(p) == ()
    store.finish_pass(p, "complete")
    assert store.unfinished_passes() == []
    with pytest.raises(PassStateError):
        store.reopen_pass(p)
    with pytest.raises(InvalidValueError):
        store.finish_pass(p, "interrupted")
    with pytest.raises(NotFoundError):
        store.begin_pass("iterate", [a.id], [first, 999], {})
    with pytest.raises(NotFoundError):
        store.begin_pass("iterate", [a.id, 999], [], {})
    with pytest.raises(InvalidValueError, match="JSON"):
        store.begin_pass("iterate", [a.id], [], {"bad": object()})
    p2 = store.begin_pass("iterate", [a.id], [first], {"scale": 0.3})
    assert store.pass_info(p2).reference_image_ids == (first,)


def test_a_pass_left_running_is_interrupted_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "p.storyiter"
    with ProjectStore.create(path) as s:
        f = s.add_frame(character="a")
        p = s.begin_pass("round0", [f.id], [], {})
    with ProjectStore.open_reader(path) as r:  # a reader never changes anything
        assert r.pass_info(p).status == "running"
    with ProjectStore.open(path) as s:
        info = s.pass_info(p)
        assert info.status == "interrupted" and "stopped" in info.error
        assert [u.id for u in s.unfinished_passes()] == [p]
        assert s.pending_frame_ids(p) == (f.id,)


def test_commit_image_refuses_bad_input_and_stores_nothing(store: ProjectStore) -> None:
    rng = random.Random(6)
    f = store.add_frame(character="a")
    p = store.begin_pass("round0", [f.id], [], {})
    png = small_png(rng)
    good = dict(pass_id=p, frame_id=f.id, round=0, png=png, embedding=embedding_for(png),
                record={}, source_hash="h", seed=1, ip_scale=0.0, width=24, height=16)  # fmt: skip
    for change, error in (
        ({"png": b"GIF89a...."}, InvalidImageError),
        ({"png": png[:40]}, InvalidImageError),
        ({"width": 25}, InvalidImageError),
        ({"thumbnail_png": b"not a png"}, InvalidImageError),
        ({"embedding": np.array([np.nan, 1.0])}, InvalidValueError),
        ({"embedding": np.zeros((2, 3))}, InvalidValueError),
        ({"embedding": np.array([1e6])}, InvalidValueError),
        ({"record": {"x": float("inf")}}, InvalidValueError),
        ({"round": -1}, InvalidValueError),
        ({"seed": "1"}, InvalidValueError),
        ({"source_hash": ""}, InvalidValueError),
        ({"frame_id": 999}, NotFoundError),
        ({"pass_id": 999}, NotFoundError),
    ):
        with pytest.raises(error):
            store.commit_image(**{**good, **change})
    assert store.images_of_frame(f.id) == []
    assert store.commit_image(**good) > 0


def test_thumbnails(store: ProjectStore) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1024, 512), "red").save(buffer, format="PNG")
    thumb = Image.open(io.BytesIO(make_thumbnail(buffer.getvalue())))
    assert thumb.size == (256, 128) and thumb.format == "PNG"
    # A PNG that claims a huge size is refused from its header, before any decoding.
    bomb = bytearray(buffer.getvalue())
    bomb[16:24] = (100_000).to_bytes(4, "big") + (100_000).to_bytes(4, "big")
    with pytest.raises(InvalidImageError):
        make_thumbnail(bytes(bomb))
    with pytest.raises(InvalidImageError, match="not a PNG"):
        make_thumbnail(b"\xff\xd8\xff\xe0 jpeg")


def test_board_reads_thumbnails_not_full_images(store: ProjectStore) -> None:
    rng = random.Random(8)
    f = store.add_frame(character="a", pose_json=POSE)
    empty = store.add_frame(character="b")
    p = store.begin_pass("round0", [f.id], [], {})
    image = commit_test_image(store, p, f.id, rng, rnd=3)
    traced: list[str] = []
    store._conn.set_trace_callback(traced.append)
    cards = store.board()
    store._conn.set_trace_callback(None)
    assert not any("image_png" in sql for sql in traced)
    assert [c.frame.id for c in cards] == [f.id, empty.id]
    card = cards[0]
    assert (card.current_image_id, card.image_count, card.latest_round) == (image, 1, 3)
    assert card.thumbnail_png == store.thumbnail_png(image) and card.posed and not card.stale
    assert (cards[1].current_image_id, cards[1].thumbnail_png, cards[1].latest_round) == (
        None, None, None,
    )  # fmt: skip


def test_seed_policy(store: ProjectStore) -> None:
    f = store.add_frame(character="a")
    g = store.add_frame(character="b", seed_override=7)
    store.update_story(settings=dataclasses.replace(store.settings(), seed=100))
    assert store.frame_seed(f) == 100 and store.frame_seed(g) == 7
    store.update_story(settings=dataclasses.replace(store.settings(), seed_policy="per_frame"))
    assert store.frame_seed(f) == 100 + f.id and store.frame_seed(g.id) == 7


def test_update_story(store: ProjectStore) -> None:
    modified = store.story().modified
    story = store.update_story(title="  New title ")
    assert story.title == "New title" and story.modified > modified
    with pytest.raises(InvalidValueError):
        store.update_story(title="  ")
    with pytest.raises(InvalidValueError):
        store.set_models_config(5)  # type: ignore[arg-type]
    assert store.set_models_config(None).models_config is None


def test_to_json_has_the_cli_keys(store: ProjectStore) -> None:
    rng = random.Random(9)
    f = store.add_frame(character="a cat", interaction="sleeps")
    p = store.begin_pass("round0", [f.id], [], {})
    image = commit_test_image(store, p, f.id, rng)
    data = json.loads(json.dumps(store.to_json()))
    assert data["title"] == "The Lighthouse"
    (frame,) = data["frames"]
    assert {k: frame[k] for k in ("index", "id", "prompt", "locked", "stale", "current_image")} == {
        "index": 1, "id": f.id, "prompt": "a cat, sleeps", "locked": False, "stale": False,
        "current_image": image,
    }  # fmt: skip
    assert frame["images"] == [{"id": image, "pass": p, "round": 0}]
    assert data["passes"][0]["id"] == p and data["passes"][0]["status"] == "running"
    assert data["passes"][0]["frames"] == [f.id]


def test_reader_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "r.storyiter"
    ProjectStore.create(path).close()
    with ProjectStore.open_reader(path) as r:
        assert r.read_only
        with pytest.raises(ReadOnlyProjectError):
            r.add_frame(character="x")
        with pytest.raises(sqlite3.OperationalError):
            r._conn.execute("INSERT INTO cast_member (name, color) VALUES ('x', '#000000')")


def test_migrations_from_an_empty_file(tmp_path: Path) -> None:
    """A file with our identity at version 0 (no tables) is brought to the current schema."""
    path = tmp_path / "v0.storyiter"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("CREATE TABLE t (x)")  # SQLite writes no header for an empty database
    conn.execute("DROP TABLE t")
    conn.close()
    with ProjectStore.open(path) as s:
        assert s.story().title == "Untitled story"
        s.add_frame(character="works")
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    from storyboard_app.project.schema import schema_objects

    assert schema_objects(conn) == expected_schema(SCHEMA_VERSION)
    conn.close()


def test_store_import_stays_free_of_torch_and_qt() -> None:
    code = (
        "import sys, storyboard_app.project.store, storyboard_app.project.textimport;"
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers', 'PySide6') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
