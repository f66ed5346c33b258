"""The project store's error family. Every message is written for the writer and names the file.

Opening errors (``NotAProjectError``, ``NewerVersionError``, ``DamagedProjectError``,
``ProjectLockedError``) are raised before anything is written: the file is left as it was.
"""

from __future__ import annotations

from pathlib import Path


class ProjectError(Exception):
    """Base of every error the project store raises on purpose; its message is for the writer."""

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class NotAProjectError(ProjectError):
    """The file is not a StoryIter project (not SQLite at all, or another program's database)."""


class NewerVersionError(ProjectError):
    """The file was saved by a newer version of the app, with a file format this one cannot read."""

    def __init__(self, message: str, *, path: Path | str | None = None, version: int = 0) -> None:
        super().__init__(message, path=path)
        self.version = version


class OutdatedProjectError(ProjectError):
    """A read-only open met an older file format; opening it for writing upgrades it."""


class DamagedProjectError(ProjectError):
    """The file is truncated, corrupt, or its tables were changed outside the app."""


class DamagedImageError(DamagedProjectError):
    """A stored image whose bytes no longer match their checksum (or that lost a part).

    ``damage`` is a ``checksums.ImageDamage`` (frame number, round, problems); ``earlier`` the
    (image id, round) of the frame's newest intact earlier image, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        damage: object = None,
        earlier: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(message, path=path)
        self.damage = damage
        self.earlier = earlier


class ProjectLockedError(ProjectError):
    """Another process (or another open in this one) is already writing this project."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        pid: int | None = None,
        host: str | None = None,
    ) -> None:
        super().__init__(message, path=path)
        self.pid = pid
        self.host = host


class ProjectExistsError(ProjectError):
    """Creating a project where a file already exists (the store never overwrites on create)."""


class ReadOnlyProjectError(ProjectError):
    """A write was attempted through a read-only store (``ProjectStore.open_reader``)."""


class NotFoundError(ProjectError, LookupError):
    """A frame, cast member, image or pass id that is not in the project."""


class InvalidValueError(ProjectError, ValueError):
    """A field value of the wrong type or out of range; nothing was stored."""


class CastNameTakenError(InvalidValueError):
    """A cast member with this name (ignoring case) already exists."""


class InvalidPoseError(InvalidValueError):
    """A frame's pose is not valid OpenPose JSON; the message is the pose parser's."""


class InvalidImageError(InvalidValueError):
    """Image bytes that are not a PNG, are damaged, or are too large to decode safely."""


class PassStateError(ProjectError):
    """A pass operation that its current status does not allow (e.g. finishing a finished pass)."""


class StoryTextError(InvalidValueError):
    """Story text that does not follow the import format; ``problems`` lists (line, message)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = tuple(problems)
        shown = [f"line {line}: {message}" for line, message in self.problems[:10]]
        if len(self.problems) > 10:
            shown.append(f"... and {len(self.problems) - 10} more")
        super().__init__("The story text has problems:\n" + "\n".join(shown))
