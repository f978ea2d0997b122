"""PGR pair by pair: naive and bootstrapping per kept cell, tested only where they can differ."""

import numpy as np
import pytest

from tests.leaderboard.test_scoring import root as root  # noqa: F401 (the fixture: two hand-made entries)
from tests.reporting.records import TOY_TRACK
from w2sbench.core.cell import Cell
from w2sbench.core.metrics import Interval
from w2sbench.leaderboard import generate
from w2sbench.leaderboard.board import build_leaderboard
from w2sbench.leaderboard.pairs import pair_rows
from w2sbench.leaderboard.scoring import EntryScore
from w2sbench.reporting.ranking import paired_p


def entry(points: dict, samples: dict) -> EntryScore:
    return EntryScore(0.5, 0.5, Interval(0, 1), {}, {}, None, cell_points=points, cell_samples=samples)


def test_bootstrap_is_tested_only_where_a_rung_lies_between(tmp_path):
    """Where bootstrapping's samples are naive's (no rung between), nothing is tested; Holm runs
    over the other pairs alone, so one tested pair keeps its own p."""
    from tests.reporting.records import record

    wide, near = Cell("t", "s", "l", "lad"), Cell("t", "m", "l", "lad")
    rng = np.random.default_rng(0)
    naive_w, naive_n = rng.normal(0.6, 0.1, 5000), rng.normal(0.7, 0.1, 5000)
    naive = entry({wide: 0.6, near: 0.7}, {wide: naive_w, near: naive_n})
    boot = entry({wide: 0.8, near: 0.7}, {wide: naive_w + 0.2 + rng.normal(0, 0.05, 5000), near: naive_n.copy()})
    labels = np.ones(10, dtype=int)
    ref = {
        c: [record("t", 0, labels, weak=[1.0] * 5 + [0.0] * 5, w2s=[1.0] * 10, ceiling=[1.0] * 9 + [0.0])]
        for c in (wide, near)
    }
    rows = {r.cell: r for r in pair_rows([wide, near], ref, naive, boot)}
    assert rows[near].p_holm is None and rows[near].bootstrap is None  # = naive: not a comparison
    assert rows[wide].p_holm == pytest.approx(paired_p(boot.cell_samples[wide], naive_w))  # Holm over one
    assert rows[wide].difference == pytest.approx(0.2) and rows[wide].difference_ci.low > 0
    assert (rows[wide].acc_weak, rows[wide].acc_ceiling) == (0.5, 0.9) and rows[wide].gap == pytest.approx(0.4)


def test_the_board_lists_every_kept_pair_with_naive(root):  # noqa: F811
    [board] = build_leaderboard(root, {"toy": TOY_TRACK}).boards
    assert [p.cell for p in board.pairs] == sorted(board.scored_cells, key=lambda c: c.task)
    naive = next(r for r in board.rows if r.name == "naive")
    assert all(p.bootstrap is None for p in board.pairs)  # no bootstrap entry on this board
    assert np.mean([p.naive for p in board.pairs]) == pytest.approx(naive.pgr)
    md = generate(root, {"toy": TOY_TRACK})["README.md"].decode()
    section = md.split("### PGR pair by pair", 1)[1].split("\n\n")[1]
    lines = [line for line in section.splitlines() if line.startswith("| a ") or line.startswith("| b ")]
    assert len(lines) == len(board.pairs)
    first = board.pairs[0]
    assert f"{first.naive:+.2f} [{first.naive_ci.low:+.2f}, {first.naive_ci.high:+.2f}]" in lines[0]


def test_the_page_plots_pgr_against_the_weak_rung_and_against_the_gap(root):  # noqa: F811
    [board] = build_leaderboard(root, {"toy": TOY_TRACK}).boards
    page = generate(root, {"toy": TOY_TRACK})["index.html"].decode()
    assert "PGR pair by pair against the weak rung" in page and "PGR pair by pair against the gap" in page
    assert "gap (ceiling minus weak accuracy)" in page
    assert len(board.pairs) > 0
    assert page.count("plot pairs") == 2


def test_pair_plot_places_points_by_the_axis_it_is_given():
    from w2sbench.leaderboard.svg import pair_plot

    points = [
        {"label": "p1", "weak": 0.55, "gap": 0.30, "color": "#000", "naive": (0.5, 0.4, 0.6), "bootstrap": None},
        {"label": "p2", "weak": 0.70, "gap": 0.10, "color": "#000", "naive": (0.8, 0.7, 0.9), "bootstrap": None},
    ]
    by_weak, by_gap = pair_plot(points, "t"), pair_plot(points, "t", along="gap")
    assert "test accuracy" in by_weak and "gap (ceiling minus weak accuracy)" in by_gap
    circles = lambda svg: [line for line in svg.splitlines() if line.startswith("<circle")]  # noqa: E731
    assert len(circles(by_weak)) == len(circles(by_gap)) == 2
    assert circles(by_weak) != circles(by_gap)  # the same points, at other x positions


def test_curve_prints_a_boards_pairs_and_refuses_an_unknown_track(root):  # noqa: F811
    from w2sbench.core.errors import W2SError
    from w2sbench.leaderboard import curve_markdown_of

    [board] = build_leaderboard(root, {"toy": TOY_TRACK}).boards
    md = curve_markdown_of("toy", root, {"toy": TOY_TRACK})
    assert md.startswith("| task ") and sum(
        line.startswith("| a ") or line.startswith("| b ") for line in md.splitlines()
    ) == len(board.pairs)
    with pytest.raises(W2SError, match="--track nope: no such board"):
        curve_markdown_of("nope", root, {"toy": TOY_TRACK})
