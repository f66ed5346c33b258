"""The engine's error family. Every message is written for the writer, naming the problem."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose; its message is for the writer."""


class ModelError(EngineError):
    """A model path is missing, empty, damaged or of the wrong architecture."""


class PoseError(EngineError):
    """A pose (OpenPose JSON) is malformed or out of bounds."""


class StyleError(EngineError):
    """An unknown style, or a damaged style preset file."""


class RequestError(EngineError):
    """A pass request is inconsistent (e.g. references of the wrong width)."""


class OutOfMemoryError(EngineError):
    """The device ran out of memory even at batch size 1."""


class EngineLostError(EngineError):
    """The process drawing a pass died (the engine process, or a Ray actor or node).

    Frames finished before it are kept; the pass can be resumed.
    """
