"""The hierarchical paired bootstrap on a two-entry, two-task toy with a hand-computed answer.

Per task (400 test examples, two seeds with the same predictions): the weak supervisor is right
on the first 280 examples, the ceiling on the first 360, entry A on the first 320 (PGR 0.5),
entry B on the first 328 (PGR 0.6): B is right wherever A is, so on every resample that draws
any of the 8 examples only B gets right, B - A > 0. Missing all 8 in both tasks has probability
about (1 - 8/400)^800 = 1e-7, so the paired p is the smallest attainable, 2 / (B + 1), while
each entry's own interval (about +-0.08) overlaps the other's.
"""

import numpy as np
import pytest

from tests.reporting.records import correct_on, record
from w2sbench.core.metrics import percentile_interval
from w2sbench.reporting.paired import PairedBootstrap, mean_over_cells
from w2sbench.reporting.ranking import paired_p, rank

N = 400


def cell(task, right_w2s, method):
    labels = np.random.default_rng(len(task)).integers(0, 2, N)
    first = lambda k: np.arange(N) < k  # noqa: E731
    return [
        record(
            task,
            seed,
            labels,
            correct_on(labels, first(280)),
            correct_on(labels, first(right_w2s)),
            correct_on(labels, first(360)),
            method=method,
        )
        for seed in (0, 1)
    ]


def test_paired_difference_is_significant_where_unpaired_intervals_overlap():
    boot = PairedBootstrap(n_boot=4000)
    samples = {"a": [], "b": []}
    for task in ("task-one", "task-two"):
        a, b = cell(task, 320, "a"), cell(task, 328, "b")
        s = boot.cell(a, {"a": a, "b": b})
        samples["a"].append(s.pgr["a"])
        samples["b"].append(s.pgr["b"])
        assert np.all(s.gap == pytest.approx(s.ceiling - s.weak))
    track = {n: mean_over_cells(v) for n, v in samples.items()}
    ia, ib = percentile_interval(track["a"]), percentile_interval(track["b"])
    assert ia.vanished == ib.vanished == 0.0
    assert ia.low < 0.5 < ia.high and ib.low < 0.6 < ib.high
    assert ib.low < ia.high  # the unpaired intervals overlap
    assert paired_p(track["b"], track["a"]) == pytest.approx(2 / 4001)  # B - A > 0 on every resample
    r = rank({"a": 0.5, "b": 0.6}, track)
    assert r.ranks == {"b": 1, "a": 2}


def test_the_same_resamples_for_every_entry_and_track():
    a = cell("task-one", 320, "a")
    one, two = PairedBootstrap(n_boot=500), PairedBootstrap(n_boot=500)
    first = one.cell(a, {"a": a})
    again = two.cell(a, {"x": a, "a": a})
    assert np.array_equal(first.pgr["a"], again.pgr["a"]) and np.array_equal(again.pgr["x"], again.pgr["a"])


def test_seeds_are_resampled():
    """Two seeds that differ: the resampled score varies with the seed draw even on the same examples."""
    labels = np.ones(N, dtype=int)
    first = lambda k: np.arange(N) < k  # noqa: E731
    records = [
        record(
            "t", s, labels, correct_on(labels, first(280)), correct_on(labels, first(k)), correct_on(labels, first(360))
        )
        for s, k in ((0, 280), (1, 360))
    ]  # PGR 0 and 1
    s = PairedBootstrap(n_boot=2000).cell(records, {"x": records})
    # examples resampled alone would keep the seed mean near 0.5; drawing seed 0 twice gives exactly 0
    assert np.isclose(s.pgr["x"], 0).mean() == pytest.approx(0.25, abs=0.03)
    assert np.isclose(s.pgr["x"], 1).mean() == pytest.approx(0.25, abs=0.03)
