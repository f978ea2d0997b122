"""Which cells belong in a score: those where the harness opens a real gap.

A cell's gap (ceiling minus weak accuracy, seed means) comes from the harness's own records,
which do not depend on the method, so the rule is decided once and is the same for every
method. A cell is kept when the 95% interval of its gap (hierarchical bootstrap over seeds and
test examples, reporting.paired) lies above GAP_MARGIN: where the gap may be near zero, PGR
divides by noise (Burns et al. 2023 leave out pairs without a gap).

A track may instead keep cells by their gap on held-out data (``held_out_checks``: validation
splits of unreported seeds, w2sbench.running.held_out_gaps), so that the test examples it scores
decide nothing about which cells are scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from w2sbench.core.cell import Cell
from w2sbench.core.errors import W2SError
from w2sbench.core.metrics import MIN_GAP, Interval, percentile_interval
from w2sbench.core.result import Result
from w2sbench.reporting.paired import PairedBootstrap
from w2sbench.running.held_out_gaps import held_out_gaps

GAP_MARGIN = MIN_GAP


@dataclass(frozen=True)
class GapCheck:
    cell: Cell
    gap: float
    interval: Interval

    @property
    def kept(self) -> bool:
        return self.interval.low is not None and self.interval.low > GAP_MARGIN


def check_gaps(reference: dict[Cell, list[Result]], boot: PairedBootstrap) -> list[GapCheck]:
    """The gap of every cell from its reference records (one per seed), with its 95% interval."""
    checks = []
    for cell, records in reference.items():
        s = boot.cell(records, {})
        gap = float(np.mean([r.scores.acc_ceiling - r.scores.acc_weak for r in records]))
        checks.append(GapCheck(cell, gap, percentile_interval(s.gap)))
    return checks


def held_out_checks(cells: list[Cell], ladder: str, table: dict | None = None) -> list[GapCheck]:
    """The cells' gaps from the committed held-out table; every cell must be in it."""
    gaps = held_out_gaps(ladder, table)
    missing = [c for c in cells if c not in gaps]
    if missing:
        raise W2SError(
            f"the held-out gap table of ladder {ladder} (w2sbench/running/gap_tables/) has no gap for "
            f"{', '.join(map(str, missing))}: measure them with "
            f"w2sbench gaps --ladder {ladder} --tasks ... --write"
        )
    return [GapCheck(c, gaps[c].gap, gaps[c].interval) for c in cells]


def describe(checks: list[GapCheck]) -> str:
    """The left-out cells in words, for boards and tables (naming the ladder where they span several)."""
    several = len({g.cell.ladder for g in checks}) > 1
    return "; ".join(
        f"{g.cell}{f' ({g.cell.ladder})' if several else ''} (gap {g.gap:+.3f}, 95% interval "
        f"[{g.interval.low:+.3f}, {g.interval.high:+.3f}])"
        for g in checks
    )
