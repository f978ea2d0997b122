"""Review flags on exactly what the board ranks: its kept cells, the harness's reference records,
its estimator and paired intervals; the cells it leaves out are never read.

The toy track (hand-made records, tests/reporting/records.py): two tasks of 400 test examples,
two seeds. weak -> strong opens a gap of 0.20 (weak right on the first 280 examples, ceiling on
the first 360) and is kept; weak -> mid opens 0.025 (ceiling on the first 290), enough for a PGR
to be defined (0.02) but with an interval that does not lie above 0.02, so the board leaves it out.

The table-offset ("dosing") attack: an entry that carries the public test labels sets each kept
cell just under the ceiling's Wilson bound (right on the first 370: acc_w2s 0.925 against the
bound 0.926, PGR 1.125) and spends the left-out cells at PGR -0.5 (right on the first 275), so
the mean over every cell with a gap is 0.31: the old per-entry rule flagged nothing, and the
entry ranked first.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.reporting.records import TOY_TRACK, correct_on, record
from tests.submissions.conftest import write_submission
from w2sbench.core.cell import Cell
from w2sbench.core.result import ResultStore
from w2sbench.leaderboard.board import build_leaderboard
from w2sbench.submissions.review import ceiling_upper, review_flags

N = 400
TRACK = TOY_TRACK
TRACKS = {"toy": TRACK}
CEILING = {"strong": 360, "mid": 290}


def write_entry(root, name, w2s: dict[tuple[str, str], int]) -> list:
    """An entry whose student is right on the first w2s[(task, strong)] test examples of each cell."""
    method = "naive" if name == "naive" else name
    folder = write_submission(root, name, builtin="naive" if name == "naive" else None)
    store, written = ResultStore(folder / "results"), []
    first = lambda k: np.arange(N) < k  # noqa: E731
    for task in TRACK.tasks:
        labels = np.random.default_rng(len(task)).integers(0, 2, N)
        for strong, ceiling in CEILING.items():
            for seed in TRACK.seeds:
                written.append(
                    store.write(
                        record(
                            task,
                            seed,
                            labels,
                            correct_on(labels, first(280)),
                            correct_on(labels, first(w2s[(task, strong)])),
                            correct_on(labels, first(ceiling)),
                            method=method,
                            strong_name=strong,
                            ladder="fake",
                        )
                    )
                )
    return written


def grid(strong: int | dict, mid: int | dict) -> dict[tuple[str, str], int]:
    per = lambda v, t: v[t] if isinstance(v, dict) else v  # noqa: E731
    return {(t, s): per(v, t) for t in TRACK.tasks for s, v in (("strong", strong), ("mid", mid))}


@pytest.fixture
def root(tmp_path):
    write_entry(tmp_path, "naive", grid(320, 282))  # the harness's own records: PGR 0.5
    write_entry(tmp_path, "fair", grid(328, 281))  # PGR 0.6
    return tmp_path


def board(root):
    [b] = build_leaderboard(root, TRACKS).boards
    return b


def test_the_dosing_entry_is_flagged_on_the_cells_the_board_ranks(root):
    dosing = write_entry(root, "dosing", grid(370, 275))
    assert 370 / N < ceiling_upper(CEILING["strong"] / N, N)  # each kept cell just under the ceiling's bound
    assert review_flags(dosing) == []  # every cell, no intervals: the channel the board's rule closes
    b = board(root)
    assert b.reference == "naive" and b.scored_cells == [
        Cell("a", "weak", "strong", "fake"),
        Cell("b", "weak", "strong", "fake"),
    ]
    assert [g.cell for g in b.excluded_cells] == [Cell("a", "weak", "mid", "fake"), Cell("b", "weak", "mid", "fake")]
    assert [r.name for r in b.rows] == ["fair", "naive"]
    [(name, why)] = b.invalid
    assert name == "dosing" and why.startswith("needs review")
    assert "a weak->strong: PGR 1.12 above 1 beyond its 95% interval" in why
    assert "b weak->strong: PGR 1.12 above 1 beyond its 95% interval" in why
    assert "mean over cells: PGR 1.12 above 1 over 2 cell(s)" in why
    assert "mid" not in why  # the left-out cells are not read
    (root / "reviewed.yaml").write_text("accepted:\n  dosing: [toy]\n")  # a maintainer accepts its code hash
    b = board(root)
    assert b.rows[0].name == "dosing" and b.rows[0].pgr == pytest.approx(1.125) and not b.invalid


def test_one_kept_cell_past_its_interval_flags_the_entry_whatever_the_mean(root):
    write_entry(root, "one-cell", grid({"a": 370, "b": 300}, 282))  # PGR 1.125 and 0.25: mean 0.69
    [(name, why)] = board(root).invalid
    assert name == "one-cell" and "a weak->strong: PGR 1.12 above 1 beyond its 95% interval" in why
    assert "b weak->strong" not in why and "mean over cells" not in why


def test_a_kept_cell_past_the_ceilings_bound_flags_the_entry(root):
    write_entry(root, "over", grid({"a": 380, "b": 300}, 282))
    [(name, why)] = board(root).invalid
    assert name == "over" and "a weak->strong: acc_w2s 0.950 above the ceiling's 95% upper bound 0.926" in why


@pytest.mark.parametrize("mid", [275, 400])  # PGR -0.5 (hiding), or acc_w2s 1.0 past the ceiling's bound (raising)
def test_a_left_out_cell_changes_nothing(tmp_path, mid):
    """The left-out cells' values neither hide the dosing entry's flags nor flag a fair entry."""

    def built(folder, mid_value):
        write_entry(folder, "naive", grid(320, 282))
        write_entry(folder, "fair", grid(328, mid_value))
        write_entry(folder, "dosing", grid(370, mid_value))
        b = board(folder)
        return b.invalid, [(r.name, r.rank, r.pgr, r.median, r.ci, r.per_task) for r in b.rows]

    assert built(tmp_path / "changed", mid) == built(tmp_path / "honest", 282)
    invalid, rows = built(tmp_path / "again", mid)
    assert [n for n, _ in invalid] == ["dosing"] and [r[0] for r in rows] == ["fair", "naive"]
