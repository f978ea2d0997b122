"""Comparing methods against a baseline, with tasks as the independent units.

Scores are the project's one estimator (reporting.estimators): per cell (task, ladder, weak,
strong) the ratio of seed-mean accuracies, the weak and ceiling accuracies read from the
baseline's records (they do not depend on the method); per method the mean over its kept cells
(reporting.cells), with the median beside it. Two kinds of evidence, labelled as such:

- **On these tasks** (tasks fixed): 95% intervals and a paired p from the hierarchical paired
  bootstrap over seeds and test examples (reporting.paired), the same numbers as the leaderboard.
- **On tasks like these** (tasks random): a method's difference from the baseline is averaged
  within each task first (seeds and pairs share a task's test set and ceiling, so they are not
  independent), and the n task-level differences are tested with a one-sample t-test on n - 1
  degrees of freedom (for a balanced design the same test as a mixed model with a random task
  effect). With few tasks it has little power: each row states the smallest true difference
  it detects with 80% power (alpha 0.05, unadjusted), given the observed spread between tasks.

Both p-values are Holm-corrected across all rows compared with a baseline. Oracle methods and
runs supervised by an ensemble of weak rungs are listed apart (the latter paired with the
baseline's ensemble runs).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats
from tabulate import tabulate

from w2sbench.core.cell import Cell
from w2sbench.core.errors import W2SError
from w2sbench.core.metrics import Interval, percentile_interval
from w2sbench.core.result import Result
from w2sbench.models.ladder import is_ensemble_name
from w2sbench.reporting.cells import GapCheck, check_gaps
from w2sbench.reporting.estimators import by_cell, cell_pgr, score
from w2sbench.reporting.paired import PairedBootstrap, mean_over_cells
from w2sbench.reporting.ranking import ALPHA, POWER, holm, paired_p


@dataclass(frozen=True)
class Comparison:
    method: str
    oracle: bool
    n_tasks: int
    n_cells: int
    mean_pgr: float | None
    median_pgr: float | None
    ci: Interval
    diff: float | None = None
    diff_ci: Interval | None = None
    p_paired: float | None = None  # Holm-adjusted; seeds and examples resampled, tasks fixed
    p_tasks: float | None = None  # Holm-adjusted; t-test over the n task-level differences
    detectable: float | None = None  # smallest true difference detected with 80% power by the task-level test


@dataclass(frozen=True)
class Report:
    rows: list[Comparison]
    left_out: list[GapCheck]
    n_boot: int
    n_compared: int


def method_label(r: Result) -> str:
    """The method's name, plus any parameter that differs from its registered default."""
    from w2sbench.methods.api import all_methods

    cls = all_methods().get(r.method.name)
    defaults = cls().params() if cls else {}
    changed = {k: v for k, v in sorted(r.method.params.items()) if defaults.get(k) != v}
    return r.method.name + ("(" + ", ".join(f"{k}={v}" for k, v in changed.items()) + ")" if changed else "")


ENSEMBLE = " [weak ensemble]"


def row_label(r: Result) -> str:
    """The method's label, marked when its weak supervisor is an ensemble (never pooled with single)."""
    return method_label(r) + (ENSEMBLE if is_ensemble_name(r.weak.name) else "")


def detectable_difference(sd: float, n: int, alpha: float = ALPHA, power: float = POWER) -> float | None:
    """Smallest true mean difference a two-sided one-sample t-test on n units detects with the given
    power, for units whose differences spread with standard deviation sd (noncentral t)."""
    if n < 2 or not np.isfinite(sd) or sd <= 0:
        return None
    df, crit = n - 1, stats.t.ppf(1 - alpha / 2, n - 1)

    def achieved(effect: float) -> float:
        nc = effect * np.sqrt(n)
        return float(np.nan_to_num(stats.nct.sf(crit, df, nc)) + np.nan_to_num(stats.nct.cdf(-crit, df, nc))) - power

    high = 4 * (crit + 2) / np.sqrt(n)  # noncentrality 4 (crit + 2): power above 0.99 for any n >= 2
    return float(optimize.brentq(achieved, 1e-6, high) * sd)


def compare(results: list[Result], baseline: str = "naive", boot: PairedBootstrap | None = None) -> Report:
    """One Comparison per method (see the module docstring for the statistics)."""
    boot = boot or PairedBootstrap()
    methods: dict[str, list[Result]] = defaultdict(list)
    oracle: dict[str, bool] = {}
    for r in results:
        methods[row_label(r)].append(r)
        oracle[row_label(r)] = r.method.oracle
    grids = {name: by_cell(rs) for name, rs in methods.items()}
    for name, grid in grids.items():
        for cell, rs in grid.items():
            seeds = [r.seed for r in rs]
            if len(set(seeds)) < len(seeds):
                versions = sorted({f"code {r.method.code_hash[:12]}, regime {r.provenance.regime}" for r in rs})
                raise W2SError(
                    f"{name}: several records for {cell} ({cell.ladder}) and one seed ({'; '.join(versions)}); "
                    "compare one version: remove the stale records or pass their folders separately"
                )

    def base_of(name: str) -> str:
        return baseline + (ENSEMBLE if name.endswith(ENSEMBLE) else "")

    # the reference of a cell: the baseline's records, else (no baseline there) the first method's
    reference: dict[Cell, list[Result]] = {}
    for name in sorted(grids, key=lambda n: n != base_of(n)):
        for cell, rs in grids[name].items():
            reference.setdefault(cell, rs)
    checks = check_gaps(reference, boot)
    kept = {g.cell for g in checks if g.kept}

    samples: dict[str, dict[Cell, np.ndarray]] = {}
    for cell in sorted(kept):
        present = {n: g[cell] for n, g in grids.items() if cell in g}
        for n, s in boot.cell(reference[cell], present).pgr.items():
            samples.setdefault(n, {})[cell] = s

    rows, raw_paired, raw_tasks = [], [], []
    for name, grid in sorted(grids.items()):
        cells = sorted(c for c in grid if c in kept)
        points = {c: cell_pgr(grid[c], reference[c]) for c in cells}
        total = score(points.values())
        ci = (
            percentile_interval(mean_over_cells([samples[name][c] for c in cells]))
            if total
            else Interval(None, None, 1.0)
        )
        row = Comparison(
            name,
            oracle[name],
            len({c.task for c in cells}),
            len(cells),
            total.mean if total else None,
            total.median if total else None,
            ci,
        )
        base = grids.get(base_of(name))
        shared = [c for c in cells if base is not None and c in base] if name != base_of(name) else []
        if shared and total is not None:
            mine = score(points[c] for c in shared)
            theirs = score(cell_pgr(base[c], reference[c]) for c in shared)
            d = mean_over_cells([samples[name][c] for c in shared]) - mean_over_cells(
                [samples[base_of(name)][c] for c in shared]
            )
            tasks = sorted({c.task for c in shared})
            per_task = np.array(
                [np.mean([points[c] - cell_pgr(base[c], reference[c]) for c in shared if c.task == t]) for t in tasks]
            )
            sd = float(per_task.std(ddof=1)) if len(tasks) > 1 else float("nan")
            p_tasks = float(stats.ttest_1samp(per_task, 0.0).pvalue) if len(tasks) > 1 and sd > 0 else None
            row = Comparison(
                **{
                    **row.__dict__,
                    "diff": mine.mean - theirs.mean,
                    "diff_ci": percentile_interval(d),
                    "detectable": detectable_difference(sd, len(tasks)),
                }
            )
            raw_paired.append((len(rows), paired_p(d, np.zeros_like(d))))
            if p_tasks is not None:
                raw_tasks.append((len(rows), p_tasks))
        rows.append(row)
    for field, raw in (("p_paired", raw_paired), ("p_tasks", raw_tasks)):
        for (i, _), q in zip(raw, holm([p for _, p in raw]), strict=False):
            rows[i] = Comparison(**{**rows[i].__dict__, field: q})
    order = sorted(
        rows,
        key=lambda c: (
            c.oracle,
            c.method.endswith(ENSEMBLE),
            -(c.mean_pgr if c.mean_pgr is not None else -1e9),
            c.method,
        ),
    )
    return Report(order, [g for g in checks if not g.kept], boot.n_boot, len(raw_paired))


def comparison_table(report: Report, baseline: str = "naive") -> str:
    """The comparison as a GitHub Markdown table, with the lines that say what it shows."""
    from w2sbench.reporting.cells import GAP_MARGIN, describe

    def ci(i: Interval | None) -> str:
        return "" if i is None or i.low is None else f"[{i.low:+.3f}, {i.high:+.3f}]"

    def num(x, fmt):
        return "" if x is None else format(x, fmt)

    table = [
        [
            c.method + (" (oracle)" if c.oracle else ""),
            c.n_tasks,
            c.n_cells,
            num(c.mean_pgr, ".3f"),
            num(c.median_pgr, ".3f"),
            ci(c.ci),
            num(c.diff, "+.3f"),
            ci(c.diff_ci),
            num(c.p_paired, ".2g"),
            num(c.p_tasks, ".2g"),
            num(c.detectable, ".2f"),
        ]
        for c in report.rows
    ]
    headers = [
        "method",
        "tasks",
        "cells",
        "mean PGR",
        "median",
        "95% CI",
        f"minus {baseline}",
        "95% CI",
        "p seeds+examples (Holm)",
        "p tasks (t, Holm)",
        "detectable at 80%",
    ]
    notes = [
        "",
        (
            f"PGR per cell: ratio of seed-mean accuracies; mean and median over kept cells. 95% CIs and 'p "
            f"seeds+examples': hierarchical paired bootstrap ({report.n_boot:,} resamples per task), tasks held fixed. "
            "'p tasks': one-sample t-test of the per-task mean differences, n = the 'tasks' column, tasks as the "
            "independent units; 'detectable at 80%': the smallest true difference in mean PGR that test detects with "
            f"80% power at alpha {ALPHA} (unadjusted), given the observed spread between tasks. Both p columns "
            f"Holm-corrected over {report.n_compared} comparisons."
        ),
    ]
    if report.left_out:
        notes.append(f"Cells left out (95% interval of the gap not above {GAP_MARGIN}): {describe(report.left_out)}.")
    return tabulate(table, headers=headers, tablefmt="github", disable_numparse=True) + "\n" + "\n".join(notes)
