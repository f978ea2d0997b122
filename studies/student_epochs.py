"""How naive PGR moves with the student's training length: the paper's overfitting-to-weak-errors curve.

    python -m studies.student_epochs [--suite paper --tasks T1,T2] [--epochs 1,2,3,5,10,20,40] \\
        [--pairs W:S,...] [--seeds 0,1,2,3,4] [--data-dir DIR] [--results DIR]

The supervisor and the ceiling keep the harness's budget (models.probe.TrainConfig); only the
naive student's epochs change, so acc_weak and acc_ceiling are the same in every column and
PGR moves with the student alone. A cell's PGR is the ratio of seed-mean accuracies (as in
studies.budget_sensitivity); the task row averages a task's cells, and the interval over tasks
is a t-interval with the tasks as units. Agreement where the supervisor is wrong is the share of
the supervisor's test errors the student copies: imitation shows as it rises with the epochs.
It reports; it chooses nothing (the harness's budget is chosen by studies.budget_selection).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import click
import numpy as np

from studies.budget_sensitivity import PAIRS, cell_pgrs
from w2sbench.cli.options import cache_option, data_dir_option
from w2sbench.core.paths import use_cache
from w2sbench.core.result import Result
from w2sbench.methods.api import Method, MethodContext
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.grid import build_grid
from w2sbench.running.sweep import run_grid

EPOCHS = (1, 2, 3, 5, 10, 20, 40)


@dataclass(frozen=True)
class NaiveForEpochs(Method):
    """Naive, its student trained for ``epochs`` instead of the harness's budget (a study's method, never ranked)."""

    name = "naive-epochs"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390 (students overfit to weak errors)"
    epochs: int = 10

    def fit(self, ctx: MethodContext):
        student = ctx.student
        return student.fit(ctx.transfer, ctx.weak_labels, config=replace(student.config, epochs=self.epochs))


def _epochs(record: Result) -> int:
    return record.method.params["epochs"]


def copied_errors(results: list[Result]) -> dict[int, float]:
    """epochs -> mean over records of the student's agreement with its supervisor where the supervisor is wrong."""
    rows = defaultdict(list)
    for r in results:
        value = r.scores.agreement.get("supervisor_wrong")
        if value is not None:
            rows[_epochs(r)].append(value)
    return {e: float(np.mean(v)) for e, v in sorted(rows.items())}


def task_interval(cells: dict[str, float | None]) -> tuple[float, float, float, int] | None:
    """Mean over tasks of each task's mean cell PGR, with a 95% t-interval over the tasks."""
    from scipy import stats

    by_task = defaultdict(list)
    for cell, value in cells.items():
        if value is not None:
            by_task[cell.split(" ")[0]].append(value)
    means = np.array([np.mean(v) for v in by_task.values()])
    if len(means) < 2:
        return None
    half = stats.t.ppf(0.975, len(means) - 1) * means.std(ddof=1) / np.sqrt(len(means))
    return float(means.mean()), float(means.mean() - half), float(means.mean() + half), len(means)


def table(results: list[Result]) -> str:
    """Naive's PGR per cell by the student's epochs, the mean over tasks with its interval, and copied errors."""
    from tabulate import tabulate

    by_epochs = cell_pgrs(results, key=_epochs)
    epochs = sorted(by_epochs)
    cells = sorted({c for e in epochs for c in by_epochs[e]})
    rows = [[c, *("-" if by_epochs[e].get(c) is None else f"{by_epochs[e][c]:+.2f}" for e in epochs)] for c in cells]
    summary = ["mean over tasks [95% CI, tasks]"]
    for e in epochs:
        got = task_interval(by_epochs[e])
        summary.append("-" if got is None else f"{got[0]:+.2f} [{got[1]:+.2f}, {got[2]:+.2f}] (n={got[3]})")
    rows.append(summary)
    copied = copied_errors(results)
    rows.append(["supervisor's errors copied", *(f"{copied[e]:.3f}" if e in copied else "-" for e in epochs)])
    headers = ["naive PGR", *(f"{e} ep" for e in epochs)]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


@click.command(help=__doc__.splitlines()[0])
@click.option("--suite", default="paper", show_default=True)
@click.option("--tasks", default=None, help="Comma-separated task ids (default: the suite's).")
@click.option("--epochs", "epochs_list", default=",".join(map(str, EPOCHS)), show_default=True)
@click.option("--pairs", default=",".join(PAIRS), show_default=True)
@click.option("--seeds", default="0,1,2,3,4", show_default=True)
@cache_option
@click.option("--results", type=click.Path(path_type=Path), default=Path("results/student-epochs"), show_default=True)
@data_dir_option
def main(suite, tasks, epochs_list, pairs, seeds, cache_dir, results, data_dir) -> None:
    from w2sbench.tasks.loading import mirror

    ws = Workspace(use_cache(cache_dir), results, local_data=mirror(data_dir))
    methods = [NaiveForEpochs(epochs=int(e)) for e in epochs_list.split(",")]
    grid = build_grid(
        suite,
        tasks.split(",") if tasks else None,
        "embedded",
        pairs.split(","),
        methods,
        [int(s) for s in seeds.split(",")],
    )
    records = run_grid(ws, grid, show_progress=False)
    click.echo(f"records: {results}; seeds {seeds}; pairs {pairs}; supervisor and ceiling at the harness's budget\n")
    click.echo(table(records))


if __name__ == "__main__":
    sys.exit(main())
