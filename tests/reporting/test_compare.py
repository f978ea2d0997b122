"""compare: the shared estimator, tasks as the independent units, Holm, oracles and ensembles apart.

Toy (hand-computed): two tasks of 400 examples, two seeds with identical predictions. Weak is
right on the first 280 examples, the ceiling on the first 360 (gap 0.20). naive's student is
right on the first 320 (PGR 0.5) on both tasks; "m" on the first 336 (task a, PGR 0.7) and 344
(task b, PGR 0.8). A third cell (task a, weak -> mid) has no gap and is left out.
"""

import math

import numpy as np
import pytest
from click.testing import CliRunner

from tests.reporting.records import correct_on, record
from w2sbench.core.cell import Cell
from w2sbench.core.result import ResultStore
from w2sbench.reporting.compare import compare, comparison_table, detectable_difference
from w2sbench.reporting.paired import PairedBootstrap

N = 400


def cell(task, w2s, method, weak=280, ceiling=360, weak_name="weak", strong_name="strong", oracle=False):
    labels = np.random.default_rng(7).integers(0, 2, N)
    first = lambda k: np.arange(N) < k  # noqa: E731
    return [
        record(
            task,
            seed,
            labels,
            correct_on(labels, first(weak)),
            correct_on(labels, first(w2s)),
            correct_on(labels, first(ceiling)),
            method=method,
            weak_name=weak_name,
            strong_name=strong_name,
            oracle=oracle,
        )
        for seed in (0, 1)
    ]


def toy():
    return (
        cell("a", 320, "naive")
        + cell("b", 320, "naive")
        + cell("a", 336, "m")
        + cell("b", 344, "m")
        + cell("a", 285, "naive", ceiling=282, strong_name="mid")
        + cell("a", 285, "m", ceiling=282, strong_name="mid")
    )


def test_scores_differences_and_the_task_level_test_by_hand():
    report = compare(toy(), boot=PairedBootstrap(n_boot=2000))
    rows = {c.method: c for c in report.rows}
    m, naive = rows["m"], rows["naive"]
    assert (
        (m.n_tasks, m.n_cells) == (2, 2) and m.mean_pgr == pytest.approx(0.75) and m.median_pgr == pytest.approx(0.75)
    )
    assert naive.mean_pgr == pytest.approx(0.5) and naive.diff is None and naive.p_tasks is None
    assert m.diff == pytest.approx(0.25)
    # task differences 0.2 and 0.3: t = 0.25 / (0.0707 / sqrt 2) = 5 on 1 df (Cauchy): p = 1 - 2 atan(5) / pi
    assert m.p_tasks == pytest.approx(1 - 2 * math.atan(5) / math.pi)
    assert m.diff_ci.low > 0 and m.p_paired == pytest.approx(2 / 2001)  # m is right wherever naive is
    assert m.detectable == pytest.approx(detectable_difference(float(np.std([0.2, 0.3], ddof=1)), 2))
    assert [g.cell for g in report.left_out] == [Cell("a", "weak", "mid", "toy")]
    assert report.n_compared == 1
    table = comparison_table(report)
    assert (
        "tasks as the independent units" in table
        and "left out (95% interval of the gap not above 0.02): a weak->mid (gap" in table
    )


def test_detectable_difference_matches_the_textbook_power_of_a_t_test():
    # one-sample t, alpha 0.05 two-sided, power 0.8: n = 10 detects about 1 sd (Cohen 1988)
    assert detectable_difference(1.0, 10) == pytest.approx(0.99, abs=0.01)
    assert detectable_difference(0.5, 10) == pytest.approx(detectable_difference(1.0, 10) / 2)
    assert detectable_difference(1.0, 3) > 3  # three tasks: only huge differences are detectable
    assert detectable_difference(0.0, 3) is None and detectable_difference(1.0, 1) is None


def test_holm_across_rows_and_oracles_and_ensembles_apart():
    records = (
        toy()
        + cell("a", 330, "gt", oracle=True)
        + cell("b", 330, "gt", oracle=True)
        + cell("a", 320, "naive", weak_name="weak+mid")
        + cell("a", 340, "m", weak_name="weak+mid")
    )
    report = compare(records, boot=PairedBootstrap(n_boot=2000))
    rows = {c.method: c for c in report.rows}
    assert set(rows) == {"naive", "m", "gt", "naive [weak ensemble]", "m [weak ensemble]"}
    assert report.n_compared == 3
    assert rows["m [weak ensemble]"].diff == pytest.approx(0.25)  # paired with the ensemble baseline: 0.75 - 0.5
    assert rows["m"].p_paired == pytest.approx(3 * 2 / 2001)  # Holm: the smallest of three p, times 3
    order = [c.method for c in report.rows]
    assert order.index("gt") == len(order) - 1 and order.index("m [weak ensemble]") > order.index("naive")


def test_compare_command_reads_several_folders_and_filters_pairs(tmp_path):
    from w2sbench.cli import main

    for r in toy():
        ResultStore(tmp_path / r.method.name).write(r)
    args = ["compare", "--results", str(tmp_path / "naive"), "--results", str(tmp_path / "m")]
    both = CliRunner().invoke(main, args)
    assert both.exit_code == 0, both.output
    rows = {line.split("|")[1].strip(): line.split("|")[3].strip() for line in both.output.splitlines()[2:4]}
    assert rows == {"m": "2", "naive": "2"}  # cells kept: the two with a gap
    assert "Holm-corrected over 1 comparisons" in both.output
    none = CliRunner().invoke(main, [*args, "--pairs", "mid:weak"])
    assert none.exit_code != 0 and "no result records for pairs mid:weak" in none.output


def test_two_versions_of_a_method_in_one_cell_are_an_error_naming_them():
    from w2sbench.core.errors import W2SError

    stale = [
        r.model_copy(update={"method": r.method.model_copy(update={"code_hash": "oldversion123"})})
        for r in cell("a", 320, "m")
    ]
    with pytest.raises(W2SError, match=r"m: several records for a weak->strong \(toy\) .*code oldversion12"):
        compare([*toy(), *stale], boot=PairedBootstrap(n_boot=100))
