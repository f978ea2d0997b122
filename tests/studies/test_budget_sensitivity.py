"""Budget sensitivity (studies/budget_sensitivity.py): the neighbours on the grid, PGR as the
ratio of seed-mean accuracies (hand-computed), and rank correlations on known orders."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from studies import budget_sensitivity as S
from w2sbench.models.probe import TrainConfig


def test_neighbours_step_once_along_the_grid():
    got = S.neighbours(TrainConfig(epochs=5, lr=1e-3, weight_decay=1e-2))
    assert [(c.epochs, c.lr, c.weight_decay) for c in got] == [
        (5, 1e-3, 1e-2),
        (3, 1e-3, 1e-2),
        (10, 1e-3, 1e-2),
        (5, 3e-4, 1e-2),
        (5, 3e-3, 1e-2),
        (5, 1e-3, 1e-1),
        (10, 1e-3, 1e-1),
    ]  # the default last
    edge = S.neighbours(TrainConfig(epochs=1, lr=1e-4, weight_decay=1e-1))
    assert [(c.epochs, c.lr, c.weight_decay) for c in edge] == [
        (1, 1e-4, 1e-1),
        (2, 1e-4, 1e-1),
        (1, 3e-4, 1e-1),
        (1, 1e-4, 1e-2),
        (10, 1e-3, 1e-1),
    ]


def _record(method, seed, weak, w2s, ceiling, task="t"):
    return SimpleNamespace(
        task=SimpleNamespace(id=task),
        weak=SimpleNamespace(name="a"),
        strong=SimpleNamespace(name="b"),
        method=SimpleNamespace(name=method),
        seed=seed,
        scores=SimpleNamespace(acc_weak=weak, acc_w2s=w2s, acc_ceiling=ceiling),
    )


def test_cell_pgr_is_the_ratio_of_seed_means():
    # seed means: weak 0.60, w2s 0.66, ceiling 0.80 -> (0.66 - 0.60) / 0.20 = 0.30; the mean of
    # per-seed ratios would be (0.10/0.10 + 0.02/0.30) / 2 = 0.533
    rows = [
        _record("naive", 0, 0.60, 0.70, 0.70),
        _record("naive", 1, 0.60, 0.62, 0.90),
        _record("naive", 0, 0.60, 0.60, 0.61, task="u"),
        _record("naive", 1, 0.60, 0.60, 0.61, task="u"),
    ]
    got = S.cell_pgrs(rows)["naive"]
    assert got["t a->b"] == pytest.approx(0.30)
    assert got["u a->b"] is None  # a seed-mean gap of 0.01 is under MIN_GAP


def test_tables_show_rank_correlations():
    center = {
        "naive": {"c1": 0.1, "c2": 0.2, "c3": 0.3},
        "x": {"c1": 0.5, "c2": 0.5, "c3": 0.5},
        "y": {"c1": 0.0, "c2": 0.0, "c3": 0.0},
    }
    flipped = {
        "naive": {"c1": 0.3, "c2": 0.2, "c3": 0.1},
        "x": {"c1": 0.6, "c2": 0.6, "c3": 0.6},
        "y": {"c1": 0.9, "c2": 0.9, "c3": None},
    }
    naive, methods = S.tables({"A": center, "B": flipped}, "A")
    assert "1.00 (n=3)" in naive and "-1.00 (n=3)" in naive  # the same cells reversed
    assert "-0.50 (n=3)" in methods  # method means A: naive .2, x .5, y 0 (ranks 2 3 1); B: .2, .6, .9 (1 2 3)
    assert "+0.90" in methods
