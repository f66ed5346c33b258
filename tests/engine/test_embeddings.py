"""The read-out arithmetic on constructed embeddings (preview-model figures mean nothing)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import embeddings as fig


def _axis(k: int, dim: int = 8) -> np.ndarray:
    v = np.zeros(dim, np.float32)
    v[k] = 1.0
    return v


def test_identical_images_are_fully_consistent_and_orthogonal_ones_not_at_all():
    same = {1: ("Mara",), 2: ("Mara",), 3: ("Mara",)}
    current = {2: _axis(0), 3: _axis(0) * 3.0}  # length does not matter, direction does
    assert fig.cast_consistency(_axis(0), 1, same, current) == {"Mara": pytest.approx(1.0)}
    current = {2: _axis(1), 3: _axis(2)}
    assert fig.cast_consistency(_axis(0), 1, same, current) == {"Mara": pytest.approx(0.0)}


def test_a_frame_swapped_for_another_characters_image_drops():
    cast = {1: ("Mara",), 2: ("Mara",), 3: ("Mara",), 4: ("Tom",), 5: ("Tom",)}
    rng = np.random.default_rng(0)
    mara, tom = rng.normal(size=16), rng.normal(size=16)
    look = {f: (mara if cast[f] == ("Mara",) else tom) + 0.1 * rng.normal(size=16) for f in cast}
    before = fig.cast_consistency(look[1], 1, cast, look)["Mara"]
    after = fig.cast_consistency(look[4], 1, cast, look)["Mara"]  # frame 1 now shows Tom
    assert before > 0.9
    assert after < before - 0.5


def test_members_no_other_frame_features_are_left_out():
    cast = {1: ("Mara", "Tom"), 2: ("Mara",)}
    out = fig.cast_consistency(_axis(0), 1, cast, {2: _axis(0)})
    assert out == {"Mara": pytest.approx(1.0)}
    assert fig.mean_or_none(out) == pytest.approx(1.0)
    assert fig.mean_or_none({}) is None


def test_alignment_and_change():
    assert fig.alignment(_axis(0), _axis(0)) == pytest.approx(1.0)
    assert fig.alignment(_axis(0), -_axis(0)) == pytest.approx(-1.0)
    assert fig.alignment(_axis(0), None) is None
    assert fig.alignment(_axis(0), np.ones(4)) is None  # widths differ: hidden, not faked
    assert fig.change(_axis(0), None) is None
    assert fig.change(_axis(0), _axis(0)) == pytest.approx(0.0)
    assert fig.change(_axis(0), _axis(1)) == pytest.approx(1.0)


def test_group_consistency_is_the_mean_pairwise_similarity():
    assert fig.group_consistency([_axis(0)]) is None
    assert fig.group_consistency([_axis(0), _axis(0), _axis(0)]) == pytest.approx(1.0)
    assert fig.group_consistency([_axis(0), _axis(1)]) == pytest.approx(0.0)
    # two identical and one orthogonal: pairs (1, 0, 0) -> 1/3
    assert fig.group_consistency([_axis(0), _axis(0), _axis(1)]) == pytest.approx(1 / 3)


def test_drift_is_relative_to_the_story():
    values = [0.80, 0.81, 0.79, 0.80, 0.82, 0.60]
    story = fig.spread(values)
    assert story is not None
    assert fig.is_drifting(0.60, None, story, None)
    assert not fig.is_drifting(0.79, None, story, None)
    # The same spread of figures shifted far down: still only the outlier drifts.
    low = fig.spread([v - 0.5 for v in values])
    assert fig.is_drifting(0.10, None, low, None)
    assert not fig.is_drifting(0.29, None, low, None)
    # Identical frames never drift; too few frames cannot be judged.
    flat = fig.spread([0.5] * 5)
    assert not fig.is_drifting(0.5, 0.5, flat, flat)
    assert fig.spread([0.1, 0.9]) is None


def test_suggested_round_balances_alignment_and_consistency():
    rounds = [0, 1, 2, 3]
    alignment = [0.9, 0.85, 0.80, 0.60]  # slips as rounds go on
    consistency = [0.2, 0.6, 0.8, 0.9]  # rises
    assert fig.suggested_round(rounds, alignment, consistency) == 2
    assert fig.suggested_round(rounds, [None] * 4, consistency) == 3  # one figure decides alone
    assert fig.suggested_round(rounds, [None] * 4, [None] * 4) is None
    assert fig.suggested_round([], [], []) is None
    assert fig.suggested_round([0, 1], [0.5, 0.5], [0.5, 0.5]) == 1  # ties: the later round
