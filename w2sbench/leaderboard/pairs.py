"""PGR pair by pair: the paper's curve (Figures 3 and 4) on a board's own records.

For every kept cell: the weak rung's and the ceiling's accuracy (the reference's records), the
gap, naive's PGR and bootstrapping's (through every rung between the pair), each with its 95%
paired interval, and bootstrapping minus naive with its interval and a paired bootstrap test,
Holm-corrected over the pairs where a rung lies between (elsewhere bootstrapping is naive). It
reads the scores the board already computed (the same resamples), so nothing is estimated twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from w2sbench.core.cell import Cell
from w2sbench.core.metrics import Interval, percentile_interval
from w2sbench.core.result import Result
from w2sbench.leaderboard.scoring import EntryScore
from w2sbench.reporting.estimators import seed_means
from w2sbench.reporting.ranking import holm, paired_p


@dataclass(frozen=True)
class PairRow:
    cell: Cell
    acc_weak: float
    acc_ceiling: float
    naive: float | None
    naive_ci: Interval
    bootstrap: float | None = None
    bootstrap_ci: Interval | None = None
    # None where bootstrapping is naive (no rung between the pair): bootstrap, bootstrap minus naive
    difference: float | None = None
    difference_ci: Interval | None = None
    p_holm: float | None = None  # the paired test of that difference, Holm over the board's pairs

    @property
    def gap(self) -> float:
        return self.acc_ceiling - self.acc_weak


def pair_rows(
    cells: list[Cell],
    reference: dict[Cell, list[Result]],
    naive: EntryScore,
    bootstrap: EntryScore | None,
) -> list[PairRow]:
    """One row per kept cell, by task and then by the weak rung's accuracy."""
    rows = []
    for c in cells:
        acc = seed_means(reference[c])
        rows.append(
            PairRow(
                c, acc["weak"], acc["ceiling"], naive.cell_points.get(c), percentile_interval(naive.cell_samples[c])
            )
        )
    if bootstrap is not None:
        # where bootstrapping's student is naive's on every resample (no rung between the pair) there
        # is nothing to test; Holm runs over the pairs where it differs
        tested = [r for r in rows if not _same(bootstrap.cell_samples[r.cell], naive.cell_samples[r.cell])]
        ps = dict(
            zip(
                [r.cell for r in tested],
                holm([paired_p(bootstrap.cell_samples[r.cell], naive.cell_samples[r.cell]) for r in tested]),
                strict=True,
            )
        )
        rows = [_with_bootstrap(r, bootstrap, naive, ps.get(r.cell)) if r.cell in ps else r for r in rows]
    return sorted(rows, key=lambda r: (r.cell.task, r.acc_weak, r.acc_ceiling))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


def _with_bootstrap(r: PairRow, bootstrap: EntryScore, naive: EntryScore, p: float | None) -> PairRow:
    point = bootstrap.cell_points.get(r.cell)
    return replace(
        r,
        bootstrap=point,
        bootstrap_ci=percentile_interval(bootstrap.cell_samples[r.cell]),
        difference=None if point is None or r.naive is None else point - r.naive,
        difference_ci=percentile_interval(bootstrap.cell_samples[r.cell] - naive.cell_samples[r.cell]),
        p_holm=p,
    )
