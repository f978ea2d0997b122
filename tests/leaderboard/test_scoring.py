"""A board's cells, intervals and ranks on hand-made records with known answers.

Two tasks of 400 test examples, two seeds. weak -> strong opens a gap of 0.20 (weak right on the
first 280 examples, ceiling on the first 360); weak -> mid opens 0.005 (ceiling on the first 282),
whose 95% interval does not lie above 0.02, so it is left out for every entry even though an entry's PGR
there would be 1.0 or 0.5 on two examples. "hard" is right wherever "naive" is, plus 8 examples: PGR 0.6 against 0.5,
significant by the paired test on every resample though the two intervals overlap.
"""

import numpy as np
import pytest

from tests.reporting.records import TOY_TRACK, correct_on, record
from tests.submissions.conftest import write_submission
from w2sbench.core.cell import Cell
from w2sbench.core.result import ResultStore
from w2sbench.leaderboard import generate
from w2sbench.leaderboard.board import build_leaderboard

N = 400
TRACK = TOY_TRACK


def write_entry(root, name, params, w2s_strong, w2s_mid):
    folder = write_submission(root, name, builtin="naive", parameters=params)
    store = ResultStore(folder / "results")
    first = lambda k: np.arange(N) < k  # noqa: E731
    for task in TRACK.tasks:
        labels = np.random.default_rng(len(task)).integers(0, 2, N)
        for strong, ceiling, w2s in (("strong", 360, w2s_strong), ("mid", 282, w2s_mid)):
            for seed in TRACK.seeds:
                store.write(
                    record(
                        task,
                        seed,
                        labels,
                        correct_on(labels, first(280)),
                        correct_on(labels, first(w2s)),
                        correct_on(labels, first(ceiling)),
                        params=params,
                        strong_name=strong,
                        ladder="fake",
                    )
                )


@pytest.fixture
def root(tmp_path):
    write_entry(tmp_path, "naive", {}, 320, 282)
    write_entry(tmp_path, "hard", {"hard": True}, 328, 281)
    return tmp_path


def test_cells_without_a_clear_gap_leave_the_board_and_every_entry_is_ranked(root):
    [board] = build_leaderboard(root, {"toy": TRACK}).boards
    assert board.reference == "naive"
    assert board.scored_cells == [Cell("a", "weak", "strong", "fake"), Cell("b", "weak", "strong", "fake")]
    assert [g.cell for g in board.excluded_cells] == [
        Cell("a", "weak", "mid", "fake"),
        Cell("b", "weak", "mid", "fake"),
    ]
    assert all(g.gap == pytest.approx(0.005) and g.interval.low < 0.02 and not g.kept for g in board.excluded_cells)
    rows = {r.name: r for r in board.rows}
    assert rows["naive"].pgr == pytest.approx(0.5) and rows["hard"].pgr == pytest.approx(0.6)
    assert rows["hard"].median == pytest.approx(0.6)
    assert all(r.ci[0] is not None and r.ci[0] < r.pgr < r.ci[1] for r in rows.values())
    assert rows["hard"].ci[0] < rows["naive"].ci[1]  # the unpaired intervals overlap
    assert (rows["hard"].rank, rows["naive"].rank) == (1, 2)  # the paired difference is significant
    assert board.ranking.n_comparisons == 1 and board.ranking.p[0][1] == pytest.approx(2 / (board.ranking.n_boot + 1))
    assert board.power.n == 1 and board.power.n_comparisons == 1  # hard against naive, one comparison
    assert board.power.corrected == pytest.approx(board.power.single)  # Holm over one test is the test itself
    assert 0 < board.power.single < rows["hard"].pgr - rows["naive"].pgr  # that difference was detectable


def test_the_board_states_its_rules(root):
    files = generate(root, {"toy": TRACK})
    md, page = files["README.md"].decode(), files["index.html"].decode()
    assert (
        "Cells left out (the 95% interval of the harness's gap on the test set does not lie above 0.02): a weak->mid"
    ) in md
    assert "cells kept by the harness's gap on the test set" in md
    assert "Seeds: 2, the same seeds on every task; the bootstrap draws them with replacement, 3 distinct" in md
    assert "Holm-corrected across every pair of ranked entries" in md and "2 of 4 cells kept" in md
    assert f"Power: a true difference of {build_leaderboard(root, {'toy': TRACK}).boards[0].power.corrected:.2f}" in md
    assert 'class="pairwise"' in page and "hard (rank 1)" in page


def test_a_held_out_track_keeps_the_cells_its_held_out_gaps_clear_whatever_the_test_gap(root, tmp_path, monkeypatch):
    import json

    from w2sbench.running import held_out_gaps

    def cell(task, strong, low):
        return {
            "task": task,
            "weak": "weak",
            "strong": strong,
            "acc_weak": 0.6,
            "acc_ceiling": 0.7,
            "gap": 0.1,
            "low": low,
            "high": 0.2,
            "n_validation": 500,
        }

    # on held-out data weak -> mid is clear and weak -> strong is not: the opposite of the test gaps
    table = {
        "ladder": "fake",
        "seeds": [100],
        "split": "validation",
        "numerics": "fp32",
        "data": {},
        "cells": [cell(t, "strong", 0.01) for t in "ab"] + [cell(t, "mid", 0.05) for t in "ab"],
    }
    path = tmp_path / "fake.json"
    path.write_text(json.dumps(table))
    monkeypatch.setattr(held_out_gaps, "committed_path", lambda ladder: path)
    track = TRACK.model_copy(update={"keep_cells": "held-out-gap"})
    [board] = build_leaderboard(root, {"toy": track}).boards
    assert board.scored_cells == [Cell("a", "weak", "mid", "fake"), Cell("b", "weak", "mid", "fake")]
    assert [g.cell for g in board.excluded_cells] == [
        Cell("a", "weak", "strong", "fake"),
        Cell("b", "weak", "strong", "fake"),
    ]
    md = generate(root, {"toy": track})["README.md"].decode()
    assert "cells kept by the gap of the harness's reference heads on validation splits of unreported seeds" in md
