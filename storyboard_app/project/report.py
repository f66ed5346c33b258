"""The story's consistency report: per frame and round, per cast member, and in summary.

Built from the read-outs stored with every image (storyboard_app/project/readouts.py) and,
for the cast members' round-by-round consistency, from the stored image embeddings. Shared by
``storyboard report``, ``render --drifting`` and the app.

Rules (all relative to the story, see docs/METHOD.md):
- a frame is **drifting** when its image's alignment or consistency lies 1.5 robust standard
  deviations (scaled median absolute deviation) or more below the median of the story's
  images of the same selection (the current images, or round N);
- a frame has **converged** when it is not drifting, has been iterated at least twice, and
  its latest change is at most a quarter of the largest change it went through;
- its **suggested round** balances alignment and consistency over its own rounds
  (engine.embeddings.suggested_round).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from engine import embeddings as figures
from storyboard_app.project.readouts import Readout, ReadoutFrame, frame_cast
from storyboard_app.project.store import ProjectStore

# Converged: the latest change is at most this share of the frame's largest change.
CONVERGED_SHARE = 0.25


class FrameState(StrEnum):
    """What the board's quiet indicator says about a frame."""

    NONE = ""  # no figures yet (no image, or too few frames to compare)
    DRIFTING = "drifting"
    CONVERGED = "converged"
    SETTLING = "settling"


@dataclass(frozen=True)
class RoundFigures:
    """One round of one frame: its image (the newest of that round) and the figures."""

    round: int
    image_id: int
    alignment: float | None
    consistency: float | None
    change: float | None
    cast: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FrameReport:
    """One frame's figures over rounds, its state, and the suggested round."""

    index: int  # 1-based position in the story
    frame_id: int
    cast: tuple[str, ...]
    current_image_id: int | None
    rounds: tuple[RoundFigures, ...]
    state: FrameState
    reasons: tuple[str, ...]
    suggested_round: int | None
    suggested_image_id: int | None

    def figures_of(self, image_id: int | None) -> RoundFigures | None:
        return next((r for r in self.rounds if r.image_id == image_id), None)


@dataclass(frozen=True)
class CastReport:
    """A cast member's consistency across the story: mean pairwise similarity of the images
    of the frames featuring them, round by round."""

    name: str
    frames: tuple[int, ...]  # 1-based frame numbers
    by_round: dict[int, float | None]


@dataclass(frozen=True)
class Threshold:
    """The story's level of a figure and the limit below which a frame drifts."""

    median: float
    sigma: float
    limit: float


@dataclass(frozen=True)
class StoryReport:
    """Everything ``storyboard report`` prints."""

    title: str
    selection: str  # "current" | "round N"
    frames: tuple[FrameReport, ...]
    cast: tuple[CastReport, ...]
    alignment: Threshold | None
    consistency: Threshold | None
    summary: dict[str, Any]

    def drifting_frame_ids(self) -> list[int]:
        return [f.frame_id for f in self.frames if f.state is FrameState.DRIFTING]

    def to_json(self) -> dict[str, Any]:
        """The report as plain data (the ``--json`` contract, see docs/METHOD.md)."""

        def threshold(t: Threshold | None) -> dict[str, float] | None:
            return None if t is None else asdict(t)

        return {
            "title": self.title,
            "selection": self.selection,
            "thresholds": {
                "alignment": threshold(self.alignment),
                "consistency": threshold(self.consistency),
                "drift_z": figures.DRIFT_Z,
                "converged_share": CONVERGED_SHARE,
            },
            "summary": self.summary,
            "frames": [
                {
                    "index": f.index,
                    "frame_id": f.frame_id,
                    "cast": list(f.cast),
                    "current_image": f.current_image_id,
                    "state": f.state.value or None,
                    "reasons": list(f.reasons),
                    "suggested_round": f.suggested_round,
                    "suggested_image": f.suggested_image_id,
                    "rounds": [asdict(r) for r in f.rounds],
                }
                for f in self.frames
            ],
            "cast": [
                {
                    "name": c.name,
                    "frames": list(c.frames),
                    "by_round": {str(k): v for k, v in sorted(c.by_round.items())},
                }
                for c in self.cast
            ],
        }


def story_report(
    store: ProjectStore,
    round_number: int | None = None,
    *,
    frames: list[ReadoutFrame] | None = None,
    cast: bool = True,
) -> StoryReport:
    """The consistency report of a story: its current images, or its round ``round_number``.

    ``frames`` reuses a board snapshot the caller already read; ``cast=False`` leaves out the
    cast members' round-by-round figures (the only part that reads embeddings).
    """
    board = store.readout_frames() if frames is None else frames
    cast_names = [m.name for m in store.cast()]
    texts = {f.frame_id: f.text for f in board}
    cast_of = frame_cast(texts, cast_names)
    per_frame: dict[int, dict[int, RoundFigures]] = defaultdict(dict)
    for frame_id, image_id, rnd, readout in store.readout_rows():  # commit order: newest wins
        per_frame[frame_id][rnd] = _round_figures(rnd, image_id, readout)

    def selected(card: ReadoutFrame) -> RoundFigures | None:
        rounds = per_frame.get(card.frame_id, {})
        if round_number is not None:
            return rounds.get(round_number)
        return next((r for r in rounds.values() if r.image_id == card.current_image_id), None)

    chosen = {c.frame_id: selected(c) for c in board}
    align = _threshold([r.alignment for r in chosen.values() if r is not None])
    consist = _threshold([r.consistency for r in chosen.values() if r is not None])
    reports = []
    for index, card in enumerate(board, start=1):
        mine = per_frame.get(card.frame_id, {})
        rounds = tuple(mine[k] for k in sorted(mine))
        state, reasons = _state(chosen[card.frame_id], rounds, align, consist)
        best = figures.suggested_round(
            [r.round for r in rounds],
            [r.alignment for r in rounds],
            [r.consistency for r in rounds],
        )
        reports.append(
            FrameReport(
                index=index,
                frame_id=card.frame_id,
                cast=cast_of.get(card.frame_id, ()),
                current_image_id=card.current_image_id,
                rounds=rounds,
                state=state,
                reasons=reasons,
                suggested_round=best,
                suggested_image_id=next((r.image_id for r in rounds if r.round == best), None),
            )
        )
    members = _cast_reports(store, board, cast_of, per_frame, cast_names) if cast else ()
    selection = "current" if round_number is None else f"round {round_number}"
    return StoryReport(
        title=store.story().title,
        selection=selection,
        frames=tuple(reports),
        cast=members,
        alignment=align,
        consistency=consist,
        summary=_summary(chosen, reports, members),
    )


def _round_figures(rnd: int, image_id: int, readout: Readout | None) -> RoundFigures:
    r = readout or Readout()
    return RoundFigures(rnd, image_id, r.alignment, r.consistency, r.change, dict(r.cast))


def _threshold(values: list[float | None]) -> Threshold | None:
    story = figures.spread(values)
    if story is None:
        return None
    return Threshold(story.median, story.sigma, story.median + figures.DRIFT_Z * story.sigma)


def _state(
    picked: RoundFigures | None,
    rounds: tuple[RoundFigures, ...],
    align: Threshold | None,
    consist: Threshold | None,
) -> tuple[FrameState, tuple[str, ...]]:
    if picked is None:
        return FrameState.NONE, ()
    reasons = []
    if picked.alignment is not None and align is not None and picked.alignment <= align.limit:
        reasons.append(
            f"alignment {picked.alignment:.3f} is below the story's {align.limit:.3f} "
            f"(median {align.median:.3f})"
        )
    if (
        picked.consistency is not None
        and consist is not None
        and picked.consistency <= consist.limit
    ):
        reasons.append(
            f"consistency {picked.consistency:.3f} is below the story's {consist.limit:.3f} "
            f"(median {consist.median:.3f})"
        )
    if reasons:
        return FrameState.DRIFTING, tuple(reasons)
    changes = [r.change for r in rounds if r.change is not None]
    if len(changes) >= 2 and picked.change is not None:
        if picked.change <= CONVERGED_SHARE * max(changes):
            return FrameState.CONVERGED, ()
        return FrameState.SETTLING, ()
    return FrameState.NONE, ()


def _cast_reports(
    store: ProjectStore,
    board: list[ReadoutFrame],
    cast_of: dict[int, tuple[str, ...]],
    per_frame: dict[int, dict[int, RoundFigures]],
    cast_names: list[str],
) -> tuple[CastReport, ...]:
    ids = [r.image_id for rounds in per_frame.values() for r in rounds.values()]
    vectors: dict[int, np.ndarray] = {}
    if ids:
        try:
            vectors = dict(zip(ids, store.image_embeddings(ids), strict=True))
        except Exception:  # embeddings of different widths (models changed): no group figures
            vectors = {}
    number = {c.frame_id: k for k, c in enumerate(board, start=1)}
    reports = []
    for name in cast_names:
        featuring = [fid for fid in number if name in cast_of.get(fid, ())]
        all_rounds = sorted({r for fid in featuring for r in per_frame.get(fid, {})})
        by_round: dict[int, float | None] = {}
        for rnd in all_rounds:
            group = [
                vectors[per_frame[fid][rnd].image_id]
                for fid in featuring
                if rnd in per_frame.get(fid, {}) and per_frame[fid][rnd].image_id in vectors
            ]
            by_round[rnd] = figures.group_consistency(group)
        reports.append(CastReport(name, tuple(number[f] for f in featuring), by_round))
    return tuple(reports)


def _summary(
    chosen: dict[int, RoundFigures | None],
    frames: list[FrameReport],
    cast: tuple[CastReport, ...],
) -> dict[str, Any]:
    picked = [r for r in chosen.values() if r is not None]

    def mean(values: list[float | None]) -> float | None:
        return figures.mean_or_none([v for v in values if v is not None])

    latest_cast = [
        c.by_round[max(c.by_round)] for c in cast if c.by_round and c.by_round[max(c.by_round)]
    ]
    return {
        "frames": len(frames),
        "frames_with_images": len(picked),
        "text_alignment": mean([r.alignment for r in picked]),
        "character_consistency": mean([r.consistency for r in picked]),
        "cast_consistency_latest_round": mean(list(latest_cast)),
        "mean_change": mean([r.change for r in picked]),
        "drifting": sum(f.state is FrameState.DRIFTING for f in frames),
        "converged": sum(f.state is FrameState.CONVERGED for f in frames),
    }
