"""Consistency read-outs from stored embeddings: the arithmetic, with no model in sight.

Story-Iter's aim is frames that converge on one look (character consistency between frames)
while staying true to their text (text-image alignment). Every image's CLIP image embedding is
kept, and SDXL's second text encoder (OpenCLIP ViT-bigG/14, pooled and projected) shares the
embedding space of h94's SDXL image encoder (the same ViT-bigG/14 vision tower with its
projection), so all three figures below are cosines in one space:

- **alignment**: cosine of an image's embedding with its card's text embedding;
- **consistency**: for each cast member in a frame, the mean cosine of the image with the
  current images of the other frames featuring that member, averaged over the members;
- **change**: ``1 - cosine`` with the frame's previous current image.

Thresholds are relative to the story (median and median absolute deviation of the story's
own figures), never absolute numbers: random preview models, SDXL fine-tunes and styles all
sit at different levels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# A frame drifts when its alignment or consistency lies this many scaled MADs below the
# story's median (about 1.5 standard deviations for normally spread figures).
DRIFT_Z = -1.5
# Scale that makes the median absolute deviation estimate the standard deviation.
_MAD_TO_SIGMA = 1.4826
# Spread used when every figure is (nearly) equal, so identical frames never look drifting.
_MIN_SPREAD = 1e-3


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two vectors (0 when either is zero)."""
    return float(np.dot(unit(a), unit(b)))


def alignment(image_embedding: np.ndarray, text_embedding: np.ndarray | None) -> float | None:
    """Text alignment: cosine of the image with its card's text, None when widths differ."""
    if text_embedding is None or np.shape(text_embedding) != np.shape(image_embedding):
        return None
    return cosine(image_embedding, text_embedding)


def change(image_embedding: np.ndarray, previous: np.ndarray | None) -> float | None:
    """Change from the frame's previous current image: ``1 - cosine``; None for a first image."""
    if previous is None or np.shape(previous) != np.shape(image_embedding):
        return None
    return 1.0 - cosine(image_embedding, previous)


def cast_consistency(
    image_embedding: np.ndarray,
    frame_id: int,
    frame_cast: Mapping[int, Sequence[str]],
    current: Mapping[int, np.ndarray],
) -> dict[str, float]:
    """Per cast member of the frame: mean cosine with the other frames featuring them.

    ``frame_cast`` maps frame ids to the cast members they feature; ``current`` maps frame
    ids to the embeddings of their current images. Members no other drawn frame features are
    left out.
    """
    mine = unit(image_embedding)
    out: dict[str, float] = {}
    for member in frame_cast.get(frame_id, ()):
        others = [
            current[other]
            for other, members in frame_cast.items()
            if other != frame_id and member in members and other in current
        ]
        others = [e for e in others if np.shape(e) == np.shape(image_embedding)]
        if others:
            out[member] = float(np.mean(unit(np.stack(others)) @ mine))
    return out


def mean_or_none(values: Sequence[float] | Mapping[str, float]) -> float | None:
    """The mean of some figures, None when there are none."""
    items = list(values.values()) if isinstance(values, Mapping) else list(values)
    return float(np.mean(items)) if items else None


def group_consistency(embeddings: Sequence[np.ndarray]) -> float | None:
    """Mean pairwise cosine within a group of images (a cast member's frames of one round)."""
    if len(embeddings) < 2:
        return None
    u = unit(np.stack(embeddings))
    sims = u @ u.T
    n = len(embeddings)
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1)))


@dataclass(frozen=True)
class Spread:
    """A story's median and robust spread of one figure."""

    median: float
    sigma: float

    def z(self, value: float) -> float:
        """How many robust standard deviations ``value`` lies from the median."""
        return (value - self.median) / self.sigma


def spread(values: Sequence[float | None]) -> Spread | None:
    """Median and MAD-based spread of the known values; None with fewer than three."""
    known = np.array([v for v in values if v is not None], dtype=np.float64)
    if known.size < 3:
        return None
    median = float(np.median(known))
    mad = float(np.median(np.abs(known - median))) * _MAD_TO_SIGMA
    return Spread(median, max(mad, _MIN_SPREAD))


def is_drifting(
    value_alignment: float | None,
    value_consistency: float | None,
    alignments: Spread | None,
    consistencies: Spread | None,
) -> bool:
    """True when alignment or consistency is far below the story's own level."""
    for value, story in ((value_alignment, alignments), (value_consistency, consistencies)):
        if value is not None and story is not None and story.z(value) <= DRIFT_Z:
            return True
    return False


def suggested_round(
    rounds: Sequence[int],
    alignments: Sequence[float | None],
    consistencies: Sequence[float | None],
) -> int | None:
    """The round with the best balance of alignment and consistency for one frame.

    Each figure is rescaled to 0..1 over the frame's own rounds (min to max); the round whose
    weaker rescaled figure is highest wins (a max-min balance: neither may be sacrificed for
    the other); ties go to the later round. With only one figure known, it decides alone.
    None when no round has a figure.
    """
    if not rounds:
        return None
    columns = []
    for figures in (alignments, consistencies):
        known = [f for f in figures if f is not None]
        if not known:
            continue
        low, high = min(known), max(known)
        width = high - low
        columns.append(
            [None if f is None else (1.0 if width == 0 else (f - low) / width) for f in figures]
        )
    if not columns:
        return None
    best: tuple[float, int] | None = None
    for k, round_number in enumerate(rounds):
        scores = [col[k] for col in columns]
        if any(s is None for s in scores):
            continue
        key = (min(scores), round_number)  # type: ignore[type-var]
        if best is None or key >= best:
            best = key  # type: ignore[assignment]
    return None if best is None else best[1]
