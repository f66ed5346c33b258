"""The project file's schema: its identity, its version, and the ordered migrations.

A project file is an SQLite database whose ``application_id`` is ``APPLICATION_ID`` and whose
``user_version`` is the schema version. Migration ``MIGRATIONS[n]`` takes a file from version
``n`` to ``n + 1`` and runs inside one transaction together with the version bump.

The schema a file of version ``v`` must have is obtained by replaying ``MIGRATIONS[:v]`` on an
empty in-memory database, so the check that a file was not tampered with can never drift from
the migrations. Rule for future migrations: write every table's full ``CREATE`` statement
(rebuild tables rather than ``ALTER TABLE``), so stored schema text does not depend on the
SQLite version that ran the migration.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

import sqlite_utils

from storyboard_app.project.model import StorySettings
from storyboard_app.project.readouts import READOUT_TABLE_SQL, backfill
from storyboard_app.project.search import create_search_index

APPLICATION_ID = 0x53544954  # "STIT"
SCHEMA_VERSION = 5
# Pages of new files. Most bytes are PNG blobs spilling over many pages: 16 KiB pages halve
# the integrity check and commit times of 4 KiB ones, while small edits stay cheap, and a
# 1280-d float16 embedding still fits in its row without an overflow page.
PAGE_SIZE = 16384

# Tables every current project has, in the order a writer would read about them.
TABLES = (
    "story",
    "cast_member",
    "scene",
    "frame",
    "render_pass",
    "image",
    "image_png",
    "image_thumbnail",
    "image_embedding",
    "image_checksum",
    "pass_superseded",
    "image_readout",
)

_V1 = """
CREATE TABLE story (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    title TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    models_config TEXT,
    created TEXT NOT NULL,
    modified TEXT NOT NULL
) STRICT;

CREATE TABLE cast_member (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    color TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX cast_member_name ON cast_member (name COLLATE NOCASE);

CREATE TABLE frame (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    position INTEGER NOT NULL CHECK (position >= 0),
    character TEXT NOT NULL DEFAULT '',
    interaction TEXT NOT NULL DEFAULT '',
    scene TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    shot_label TEXT NOT NULL DEFAULT '',
    duration REAL NOT NULL DEFAULT 2.0 CHECK (duration >= 0),
    pose_json TEXT,
    seed_override INTEGER CHECK (seed_override IS NULL OR seed_override >= 0),
    locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    chosen_image_id INTEGER REFERENCES image (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX frame_position ON frame (position);
CREATE INDEX frame_chosen_image ON frame (chosen_image_id);

CREATE TABLE render_pass (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('running', 'complete', 'cancelled', 'failed', 'interrupted')),
    frame_ids_json TEXT NOT NULL,
    reference_image_ids_json TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    created TEXT NOT NULL,
    finished TEXT,
    error TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX render_pass_status ON render_pass (status);

CREATE TABLE image (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    frame_id INTEGER NOT NULL REFERENCES frame (id) ON DELETE CASCADE,
    pass_id INTEGER NOT NULL REFERENCES render_pass (id),
    round INTEGER NOT NULL CHECK (round >= 0),
    seed INTEGER NOT NULL,
    ip_scale REAL NOT NULL,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    created TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    record_json TEXT NOT NULL
) STRICT;
CREATE INDEX image_frame_round ON image (frame_id, round, id);
CREATE INDEX image_pass ON image (pass_id);

CREATE TABLE image_png (
    image_id INTEGER PRIMARY KEY REFERENCES image (id) ON DELETE CASCADE,
    png BLOB NOT NULL
) STRICT;

CREATE TABLE image_thumbnail (
    image_id INTEGER PRIMARY KEY REFERENCES image (id) ON DELETE CASCADE,
    png BLOB NOT NULL
) STRICT;

CREATE TABLE image_embedding (
    image_id INTEGER PRIMARY KEY REFERENCES image (id) ON DELETE CASCADE,
    dim INTEGER NOT NULL CHECK (dim > 0),
    dtype TEXT NOT NULL CHECK (dtype = 'float16'),
    data BLOB NOT NULL CHECK (length(data) = 2 * dim)
) STRICT;
"""


def _split_statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    """The first schema: story, cast, frames, passes, and images in four tables; the story
    row starts with default settings and a fresh random seed."""
    # One statement at a time: executescript() would COMMIT the migration's transaction.
    for statement in _split_statements(_V1):
        conn.execute(statement)
    stamp = datetime.now(UTC).isoformat(timespec="microseconds")
    conn.execute(
        "INSERT INTO story (id, title, settings_json, created, modified) VALUES (1, ?, ?, ?, ?)",
        ("Untitled story", json.dumps(StorySettings().to_dict()), stamp, stamp),
    )


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Board search: the full-text index ``frame_fts`` over the cards' text, filled from the
    frames, with the triggers that keep it current (``search.create_search_index``).

    Its schema text is sqlite-utils' (pinned): tests/project/test_search.py holds it fixed,
    so an upgrade that would change the text of this released migration fails a test."""
    create_search_index(conn)


_V3 = """
CREATE TABLE image_checksum (
    image_id INTEGER PRIMARY KEY REFERENCES image (id) ON DELETE CASCADE,
    png_sha256 BLOB NOT NULL CHECK (length(png_sha256) = 32),
    thumbnail_sha256 BLOB NOT NULL CHECK (length(thumbnail_sha256) = 32),
    embedding_sha256 BLOB NOT NULL CHECK (length(embedding_sha256) = 32)
) STRICT;

CREATE TABLE pass_superseded (
    pass_id INTEGER PRIMARY KEY REFERENCES render_pass (id) ON DELETE CASCADE,
    by_pass_id INTEGER NOT NULL REFERENCES render_pass (id) ON DELETE CASCADE,
    CHECK (by_pass_id > pass_id)
) STRICT;
"""


def _sha256(data: bytes | None) -> bytes | None:
    return None if data is None else hashlib.sha256(data).digest()


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    """SHA-256 checksums of every image's PNG, thumbnail and embedding (computed here for
    the images already stored), and the record of passes superseded by later ones."""
    for statement in _split_statements(_V3):
        conn.execute(statement)
    conn.create_function("storyiter_sha256", 1, _sha256, deterministic=True)
    try:
        # An image missing one of its parts was damaged before it had a checksum: it gets
        # none, and the verification reports it.
        conn.execute(
            "INSERT INTO image_checksum (image_id, png_sha256, thumbnail_sha256, "
            "embedding_sha256) SELECT i.id, storyiter_sha256(p.png), storyiter_sha256(t.png), "
            "storyiter_sha256(e.data) FROM image i JOIN image_png p ON p.image_id = i.id "
            "JOIN image_thumbnail t ON t.image_id = i.id "
            "JOIN image_embedding e ON e.image_id = i.id"
        )
    finally:
        conn.create_function("storyiter_sha256", 1, None)


def _migrate_3_to_4(conn: sqlite3.Connection) -> None:
    """Consistency read-outs: one row per image (alignment, cast consistency, change),
    computed for the images already stored from their embeddings (alignment stays empty)."""
    conn.execute(READOUT_TABLE_SQL)
    backfill(conn)


_V5_SCENE = """
CREATE TABLE scene (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    position INTEGER NOT NULL CHECK (position >= 0),
    heading TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL DEFAULT '',
    color TEXT NOT NULL DEFAULT ''
        CHECK (color = '' OR color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    notes TEXT NOT NULL DEFAULT '',
    heading_in_prompt INTEGER NOT NULL DEFAULT 0 CHECK (heading_in_prompt IN (0, 1))
) STRICT;
CREATE INDEX scene_position ON scene (position);
CREATE INDEX frame_scene ON frame (scene_id);
"""

# The frame table that sqlite-utils' transform() writes for version 5. The migration checks
# the rebuilt table against it, so a different sqlite-utils cannot silently change the
# schema text that the tamper check compares.
_V5_FRAME = """
CREATE TABLE "frame" (
   "id" INTEGER PRIMARY KEY AUTOINCREMENT,
   "position" INTEGER NOT NULL CHECK (position >= 0),
   "character" TEXT NOT NULL DEFAULT '',
   "interaction" TEXT NOT NULL DEFAULT '',
   "scene" TEXT NOT NULL DEFAULT '',
   "caption" TEXT NOT NULL DEFAULT '',
   "notes" TEXT NOT NULL DEFAULT '',
   "shot_label" TEXT NOT NULL DEFAULT '',
   "duration" REAL NOT NULL DEFAULT 2.0 CHECK (duration >= 0),
   "pose_json" TEXT,
   "seed_override" INTEGER CHECK (seed_override IS NULL OR seed_override >= 0),
   "locked" INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
   "chosen_image_id" INTEGER REFERENCES "image"("id") ON DELETE SET NULL,
   "scene_id" INTEGER NOT NULL REFERENCES "scene"("id")
) STRICT
"""


def _migrate_4_to_5(conn: sqlite3.Connection) -> None:
    """Scenes: a scene table, and every frame in a scene (existing frames all in one).

    The frame table is rebuilt by sqlite-utils' ``transform()`` to make ``scene_id`` a
    required reference. The caller has foreign keys off (a dropped parent table would
    otherwise cascade into the images) and checks them before committing; frame ids stay
    never-reused because the AUTOINCREMENT counter is carried over.
    """
    scene_table, *indexes = _split_statements(_V5_SCENE)
    conn.execute(scene_table)
    scene_id = conn.execute("INSERT INTO scene (position) VALUES (0)").lastrowid
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'frame'").fetchone()
    # The search index's triggers on frame go while the table is rebuilt (its text columns
    # and row ids do not change, so the index stays in step) and come back as they were.
    triggers = conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'frame' "
        "ORDER BY name"
    ).fetchall()
    for name, _ in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("ALTER TABLE frame ADD COLUMN scene_id INTEGER")
    conn.execute("UPDATE frame SET scene_id = ?", (scene_id,))
    rebuild = sqlite_utils.Database(conn)["frame"].transform_sql(
        not_null={"scene_id"},
        # Given explicitly: transform() would otherwise quote the numeric defaults as text.
        defaults={"duration": 2.0, "locked": 0},
        add_foreign_keys=[("scene_id", "scene", "id")],
        tmp_suffix="rebuild",
    )
    for statement in rebuild:
        conn.execute(statement)
    if row is not None:
        conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'frame'", row)
    for _, sql in triggers:
        conn.execute(sql)
    (frame_sql,) = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'frame'").fetchone()
    if normalize_sql(frame_sql) != normalize_sql(_V5_FRAME):
        raise RuntimeError(f"sqlite-utils rebuilt the frame table differently: {frame_sql}")
    for statement in indexes:
        conn.execute(statement)


# MIGRATIONS[n] takes a file from version n to n + 1. Append only; never edit a released one.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_0_to_1,
    _migrate_1_to_2,
    _migrate_2_to_3,
    _migrate_3_to_4,
    _migrate_4_to_5,
)
assert len(MIGRATIONS) == SCHEMA_VERSION


def normalize_sql(sql: str | None) -> str:
    """Schema text with runs of whitespace collapsed (what the tamper check compares)."""
    return re.sub(r"\s+", " ", sql or "").strip()


def schema_objects(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """The file's own schema objects: (type, name) -> normalised SQL.

    SQLite's internal objects (``sqlite_sequence``, automatic indexes, statistics) are left out.
    """
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    return {(str(kind), str(name)): normalize_sql(sql) for kind, name, sql in rows}


@cache
def expected_schema(version: int) -> dict[tuple[str, str], str]:
    """The schema objects a file of ``version`` has, from replaying the migrations in memory."""
    if not 0 <= version <= SCHEMA_VERSION:
        raise ValueError(f"No schema version {version}.")
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for migration in MIGRATIONS[:version]:
            migration(conn)
        return schema_objects(conn)
    finally:
        conn.close()


def schema_differences(conn: sqlite3.Connection, version: int) -> list[str]:
    """How the file's schema differs from what ``version`` should have (empty when it matches)."""
    expected = expected_schema(version)
    actual = schema_objects(conn)
    problems = []
    for kind, name in sorted(expected.keys() - actual.keys()):
        problems.append(f"the {kind} {name!r} is missing")
    for kind, name in sorted(actual.keys() - expected.keys()):
        problems.append(f"it has an unexpected {kind} {name!r}")
    for key in sorted(expected.keys() & actual.keys()):
        if expected[key] != actual[key]:
            problems.append(f"the {key[0]} {key[1]!r} was changed")
    return problems
