"""``verify``: every check a project file can get, with the damage listed by frame and round.

SQLite's integrity and foreign-key checks, the schema and constraint checks of the opening
check, then every stored image's PNG, thumbnail and embedding against their SHA-256. Reads
the whole file and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storyboard_app.project.checksums import ImageDamage
from storyboard_app.project.database import inspect_project_file
from storyboard_app.project.errors import DamagedProjectError, OutdatedProjectError
from storyboard_app.project.store import ProjectStore


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify_project`` found: file-level problems and damaged images."""

    path: Path
    file_problems: tuple[str, ...]
    damaged_images: tuple[ImageDamage, ...]
    images_checked: int

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
    try:
        with ProjectStore.open_reader(path) as store:
            damaged = store.damaged_images()
            checked = store.image_count()
    except DamagedProjectError as e:
        if str(e) not in problems:
            problems.append(str(e))
        damaged, checked = [], 0
    return VerifyReport(path, tuple(problems), tuple(damaged), checked)
