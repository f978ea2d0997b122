"""The one estimator: a cell's PGR is the ratio of seed-mean accuracies (hand-computed toy)."""

import numpy as np
import pytest

from tests.reporting.records import correct_on, record
from w2sbench.core.cell import Cell
from w2sbench.reporting.estimators import by_cell, cell_pgr, score

LABELS = np.ones(10, dtype=int)


def seed_record(seed, weak, w2s, ceiling, **kw):
    right = lambda k: np.arange(10) < k  # noqa: E731 - right on the first k of 10
    return record("t", seed, LABELS, *(correct_on(LABELS, right(k)) for k in (weak, w2s, ceiling)), **kw)


def test_cell_pgr_is_the_ratio_of_seed_means_not_the_mean_of_ratios():
    # seed 0: weak 0.6, w2s 0.7, ceiling 0.8 -> PGR 0.5; seed 1: 0.5, 0.8, 0.9 -> PGR 0.75 (mean of ratios 0.625)
    records = [seed_record(0, 6, 7, 8), seed_record(1, 5, 8, 9)]
    assert [r.scores.pgr for r in records] == pytest.approx([0.5, 0.75])
    # seed means: weak 0.55, w2s 0.75, ceiling 0.85 -> 0.20 / 0.30
    assert cell_pgr(records) == pytest.approx(2 / 3)


def test_reference_supplies_weak_and_ceiling():
    mine = [seed_record(0, 6, 7, 8)]
    reference = [seed_record(0, 5, 5, 9)]  # weak 0.5, ceiling 0.9
    assert cell_pgr(mine, reference) == pytest.approx((0.7 - 0.5) / 0.4)


def test_undefined_when_the_mean_gap_is_under_the_minimum():
    assert cell_pgr([seed_record(0, 6, 7, 6), seed_record(1, 6, 7, 6)]) is None


def test_score_is_the_mean_with_the_median_beside_it():
    s = score([0.1, 0.2, 0.9])
    assert (s.mean, s.median, s.n_cells) == (pytest.approx(0.4), 0.2, 3)
    assert score([0.1, None]) is None and score([]) is None


def test_cells_group_by_task_ladder_and_pair_sorted_by_seed():
    records = [seed_record(1, 5, 8, 9), seed_record(0, 6, 7, 8), seed_record(0, 6, 7, 8, strong_name="other")]
    cells = by_cell(records)
    assert list(cells) == [Cell("t", "weak", "other", "toy"), Cell("t", "weak", "strong", "toy")]
    assert [r.seed for r in cells[Cell("t", "weak", "strong", "toy")]] == [0, 1]
