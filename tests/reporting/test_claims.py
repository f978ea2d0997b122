"""The paper's claims (w2sbench.reporting.claims) on hand-made records with known answers:
per-task means, a t-test over tasks, Holm across claims, large-gap cells by the keeping gap."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.reporting.records import correct_on, record
from w2sbench.core.cell import Cell
from w2sbench.core.metrics import Interval
from w2sbench.reporting.cells import GapCheck
from w2sbench.reporting.claims import PAPER_CLAIMS, Claim, claim_tests, large_gap_cells

N = 400
LABELS = np.random.default_rng(3).integers(0, 2, N)


def cell_records(task, strong, w2s_right, ceiling_right=360, method="naive"):
    first = lambda k: np.arange(N) < k  # noqa: E731
    return [
        record(
            task,
            seed,
            LABELS,
            correct_on(LABELS, first(280)),
            correct_on(LABELS, first(w2s_right)),
            correct_on(LABELS, first(ceiling_right)),
            method=method,
            strong_name=strong,
        )
        for seed in (0, 1)
    ]


def test_naive_pgr_is_tested_over_tasks_and_a_missing_entry_is_named():
    # weak 0.70, ceiling 0.90 on every task; naive 0.80, 0.7625, 0.8375: PGR 0.5, 0.3125, 0.6875
    w2s = {"a": 320, "b": 305, "c": 335}
    records = {"naive": {Cell(t, "weak", "strong", "l"): cell_records(t, "strong", k) for t, k in w2s.items()}}
    checks = [GapCheck(Cell(t, "weak", "strong", "l"), 0.2, Interval(0.15, 0.25)) for t in w2s]
    naive, aux = claim_tests(records, "naive", checks, claims=PAPER_CLAIMS[:2])
    per_task = np.array([0.5, 0.3125, 0.6875])
    assert naive.n_tasks == 3 and naive.estimate == pytest.approx(per_task.mean())
    assert naive.p == pytest.approx(stats.ttest_1samp(per_task, 0).pvalue)  # Holm over one tested claim
    half = stats.t.ppf(0.975, 2) * per_task.std(ddof=1) / np.sqrt(3)
    assert naive.ci == pytest.approx((per_task.mean() - half, per_task.mean() + half))
    assert aux.missing == "no complete entry aux-conf" and aux.p is None


def test_a_task_with_two_cells_counts_once_and_holm_adjusts_across_claims():
    def grid(method, shift):
        return {
            Cell(t, "weak", s, "l"): cell_records(t, s, 320 + shift[t], method=method)
            for t in ("a", "b")
            for s in ("strong", "mid")
        }

    records = {"naive": grid("naive", {"a": 0, "b": 0}), "m": grid("m", {"a": 8, "b": 4})}
    checks = [GapCheck(Cell(t, "weak", s, "l"), 0.2, Interval(0.1, 0.3)) for t in ("a", "b") for s in ("strong", "mid")]
    claims = (Claim("m beats naive", "m", "naive", False, ""), Claim("naive > 0", "naive", None, False, ""))
    lift, positive = claim_tests(records, "naive", checks, claims)
    assert lift.n_tasks == 2 and lift.n_cells == 4
    assert lift.estimate == pytest.approx(np.mean([8 / 80, 4 / 80]))  # PGR per task: its two cells agree
    raw = [stats.ttest_1samp([0.1, 0.05], 0).pvalue]
    assert lift.p == pytest.approx(raw[0])  # naive's PGR is 0.5 on both tasks: sd 0, untested, not in Holm
    assert positive.p is None and positive.estimate == pytest.approx(0.5)


def test_large_gap_cells_are_the_kept_cells_at_or_over_the_median_gap():
    checks = [
        GapCheck(Cell("a", "w", "s", "l"), 0.10, Interval(0.05, 0.15)),
        GapCheck(Cell("b", "w", "s", "l"), 0.30, Interval(0.2, 0.4)),
        GapCheck(Cell("c", "w", "s", "l"), 0.20, Interval(0.1, 0.3)),
        GapCheck(Cell("d", "w", "s", "l"), 0.90, Interval(-0.1, 1.0)),
    ]  # not kept: never large
    assert large_gap_cells(checks) == [Cell("b", "w", "s", "l"), Cell("c", "w", "s", "l")]
