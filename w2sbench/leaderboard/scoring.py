"""Scoring a track's complete entries: the cells that belong on the board, intervals and ranks.

- **Reference.** A cell's weak supervisor and ceiling do not depend on the method; they are
  read once from the harness's own records, the entry ``submissions/naive`` (never another copy
  of builtin:naive; w2sbench.leaderboard.board chooses it), and every entry's PGR uses them.
- **Cells.** reporting.cells: a cell is kept when the 95% interval of the reference's gap
  lies above GAP_MARGIN, the same for every entry and fixed before any method is scored.
- **Scores.** reporting.estimators: per cell the ratio of seed-mean accuracies, per entry the
  mean over kept cells with the median beside it.
- **Intervals and ranks.** reporting.paired and reporting.ranking: one set of resamples per task
  shared by every entry; ranks from Holm-corrected paired tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from w2sbench.core.cell import Cell
from w2sbench.core.metrics import Interval, percentile_interval
from w2sbench.core.result import Result
from w2sbench.reporting.estimators import cell_pgr, score
from w2sbench.reporting.paired import PairedBootstrap, mean_over_cells
from w2sbench.reporting.ranking import Ranking, rank


@dataclass(frozen=True)
class EntryScore:
    pgr: float | None
    median: float | None
    ci: Interval
    per_task: dict[str, float | None]
    per_strong: dict[str, tuple[float | None, float | None, float | None]]
    samples: np.ndarray | None
    cell_points: dict[Cell, float | None] = field(default_factory=dict)  # each kept cell's PGR
    cell_samples: dict[Cell, np.ndarray] = field(default_factory=dict)  # its resampled PGR (paired across entries)

    @property
    def cells(self) -> dict[Cell, Interval]:
        """Each kept cell's 95% PGR interval (review flags), from its resamples."""
        return {c: percentile_interval(s) for c, s in self.cell_samples.items()}


def score_entries(
    entries: dict[str, dict[Cell, list[Result]]],
    reference: dict[Cell, list[Result]],
    cells: list[Cell],
    tasks: list[str],
    boot: PairedBootstrap,
) -> dict[str, EntryScore]:
    """Each entry's score over the kept cells, with intervals on resamples shared by all entries."""
    per_cell = {c: boot.cell(reference[c], {n: e[c] for n, e in entries.items()}) for c in cells}
    out = {}
    for name, grid in entries.items():
        points = {c: cell_pgr(grid[c], reference[c]) for c in cells}
        total = score(points.values())
        samples = mean_over_cells([per_cell[c].pgr[name] for c in cells]) if total is not None else None

        def part(subset: list[Cell], points=points, name=name) -> tuple[float | None, float | None, float | None]:
            s = score(points[c] for c in subset)
            if s is None:
                return None, None, None
            ci = percentile_interval(mean_over_cells([per_cell[c].pgr[name] for c in subset]))
            return s.mean, ci.low, ci.high

        strongs = list(dict.fromkeys(c.strong for c in cells))
        out[name] = EntryScore(
            pgr=total.mean if total else None,
            median=total.median if total else None,
            ci=percentile_interval(samples) if samples is not None else Interval(None, None, 1.0),
            per_task={t: part([c for c in cells if c.task == t])[0] for t in tasks},
            per_strong={s: part([c for c in cells if c.strong == s]) for s in strongs},
            samples=samples,
            cell_points=points,
            cell_samples={c: per_cell[c].pgr[name] for c in cells},
        )
    return out


def rank_entries(scores: dict[str, EntryScore]) -> Ranking:
    """Ranks of the entries with a defined score (see reporting.ranking)."""
    usable = {n: s for n, s in scores.items() if s.pgr is not None and s.samples is not None}
    return rank({n: s.pgr for n, s in usable.items()}, {n: s.samples for n, s in usable.items()})
