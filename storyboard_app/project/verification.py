"""``verify``: every check a project file can get, with the damage listed by frame and round.

SQLite's integrity and foreign-key checks, the schema and constraint checks of the opening
check, then every stored image's PNG, thumbnail and embedding against their SHA-256. Reads
the whole file and changes nothing. A file of an older format is checked as it is, then its
images through the reader's upgraded copy: formats before ``CHECKSUMS_SINCE`` stored no
checksums (the copy computes them from the bytes as they are), so damage from before cannot
be told there, only SQLite's own checks apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyboard_app.project.checksums import ImageDamage
from storyboard_app.project.database import inspect_project_file
from storyboard_app.project.errors import DamagedProjectError, OutdatedProjectError
from storyboard_app.project.store import ProjectStore

CHECKSUMS_SINCE = 3  # the first file format that stores image checksums


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify_project`` found: file-level problems and damaged images."""

    path: Path
    file_problems: tuple[str, ...]
    damaged_images: tuple[ImageDamage, ...]
    images_checked: int
    older_format: int | None = None  # the file's format, when older than the current one

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.damaged_images


def verify_project(path: Path | str) -> VerifyReport:
    """Check all of ``path``; raises ProjectError only when it is not a readable project
    at all (not a project, newer format, unreadable). Damage is reported, not raised."""
    path = Path(path)
    problems: list[str] = []
    try:
        inspect_project_file(path, check_integrity=True)
    except OutdatedProjectError:
        raise
    except DamagedProjectError as e:
        problems.append(str(e))
    older = None
    try:
        with ProjectStore.open_reader(path) as store:
            damaged = store.damaged_images()
            checked = store.image_count()
            older = store.older_format
    except DamagedProjectError as e:
        if str(e) not in problems:
            problems.append(str(e))
        damaged, checked = [], 0
    return VerifyReport(path, tuple(problems), tuple(damaged), checked, older)
