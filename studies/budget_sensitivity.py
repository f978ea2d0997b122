"""Which conclusions survive a change of the heads' training budget: PGR at a budget and its neighbours.

    python -m studies.budget_sensitivity --epochs E --lr L --weight-decay W \\
        [--methods naive,product-loss,aux-conf,entropy-reg] [--results DIR]

The budget is chosen by studies.budget_selection on held-out data; this command only
reports what the reported cells (the suite's tasks, the pairs with a real gap, seeds 0-2, test
split) look like at that budget and at its neighbours on the selection grid (one step of
epochs, one step of learning rate, the other weight decay) and at the harness's default. It
chooses nothing. A cell's PGR is the ratio of seed-mean accuracies; a cell whose seed-mean gap
is under MIN_GAP has none. Rank correlations are Spearman's, between the chosen budget and each
other one: over the cells (naive's per-cell PGR) and over the methods (their mean PGR).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import click
import numpy as np

from studies.budget_selection import EPOCHS, LRS, WEIGHT_DECAYS
from w2sbench.cli.options import cache_option, data_dir_option
from w2sbench.core.metrics import pgr
from w2sbench.core.paths import use_cache
from w2sbench.core.result import Result
from w2sbench.models.probe import TrainConfig
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.grid import build_grid
from w2sbench.running.sweep import run_grid
from w2sbench.tasks.loading import mirror

PAIRS = ("minilm-l3:mpnet-base", "minilm-l6:mpnet-base")  # the pairs whose gap is real (docs/results/offline-suite.md)
METHODS = ("naive", "product-loss", "aux-conf", "entropy-reg")


def _step(grid: tuple, value, step: int):
    i = grid.index(value) + step
    return grid[i] if 0 <= i < len(grid) else None


def neighbours(center: TrainConfig) -> list[TrainConfig]:
    """The center, one grid step of epochs and of lr either way, the other weight decay, and the
    default; in that order, without repeats."""
    out = [center]
    for field, grid in (("epochs", EPOCHS), ("lr", LRS)):
        for step in (-1, 1):
            value = _step(grid, getattr(center, field), step)
            if value is not None:
                out.append(replace(center, **{field: value}))
    out += [replace(center, weight_decay=wd) for wd in WEIGHT_DECAYS if wd != center.weight_decay]
    out.append(TrainConfig())
    return list(dict.fromkeys(out))


def name(config: TrainConfig) -> str:
    return f"{config.epochs}ep lr{config.lr:g} wd{config.weight_decay:g}"


def cell_pgrs(results: list[Result], key=lambda r: r.method.name) -> dict[object, dict[str, float | None]]:
    """key(record) (the method's name unless told) -> "task weak->strong" -> PGR of the seed-mean accuracies."""
    acc = defaultdict(list)
    for r in results:
        cell = f"{r.task.id} {r.weak.name}->{r.strong.name}"
        acc[key(r), cell].append((r.scores.acc_weak, r.scores.acc_w2s, r.scores.acc_ceiling))
    out: dict = defaultdict(dict)
    for (method, cell), rows in sorted(acc.items()):
        weak, w2s, ceiling = np.mean(rows, axis=0)
        out[method][cell] = pgr(w2s, weak, ceiling)
    return out


def run_budget(
    cache: Path, results: Path, config: TrainConfig, suite: str, tasks, pairs, methods, seeds, local_data=None
) -> list[Result]:
    ws = Workspace(cache, results / name(config).replace(" ", "_"), train_config=config, local_data=local_data)
    return run_grid(
        ws, build_grid(suite, tasks, "embedded", list(pairs), list(methods), list(seeds)), show_progress=False
    )


def _spearman(a: dict, b: dict) -> tuple[float | None, int]:
    from scipy.stats import spearmanr

    keys = [k for k in a if a[k] is not None and b.get(k) is not None]
    if len(keys) < 3:
        return None, len(keys)
    return float(spearmanr([a[k] for k in keys], [b[k] for k in keys]).statistic), len(keys)


def _mean(values) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def tables(by_budget: dict[str, dict[str, dict[str, float | None]]], center: str) -> tuple[str, str]:
    """Naive's per-cell PGR by budget, and each method's mean PGR by budget with rank correlations."""
    from tabulate import tabulate

    def fmt(v):
        return "-" if v is None else f"{v:+.2f}"

    budgets = list(by_budget)
    cells = sorted(by_budget[center]["naive"])
    rows = [[cell, *(fmt(by_budget[b]["naive"].get(cell)) for b in budgets)] for cell in cells]
    rows.append(["mean", *(fmt(_mean(by_budget[b]["naive"].values())) for b in budgets)])
    rho = [_spearman(by_budget[center]["naive"], by_budget[b]["naive"]) for b in budgets]
    rows.append(["Spearman vs chosen (cells)", *(("-" if r is None else f"{r:.2f}") + f" (n={n})" for r, n in rho)])
    naive = tabulate(rows, headers=["naive PGR", *budgets], tablefmt="github", disable_numparse=True)
    methods = list(by_budget[center])
    means = {b: {m: _mean(by_budget[b][m].values()) for m in methods} for b in budgets}
    rows = [[m, *(fmt(means[b][m]) for b in budgets)] for m in methods]
    rho = [_spearman(means[center], means[b]) for b in budgets]
    rows.append(["Spearman vs chosen (methods)", *(("-" if r is None else f"{r:.2f}") + f" (n={n})" for r, n in rho)])
    return naive, tabulate(rows, headers=["mean PGR over cells", *budgets], tablefmt="github", disable_numparse=True)


@click.command(help=__doc__.splitlines()[0])
@click.option("--epochs", type=int, required=True)
@click.option("--lr", type=float, required=True)
@click.option("--weight-decay", type=float, required=True)
@click.option("--suite", default="offline", show_default=True)
@click.option("--tasks", default=None, help="Comma-separated task ids (default: the suite's).")
@click.option("--pairs", default=",".join(PAIRS), show_default=True)
@click.option("--methods", default=",".join(METHODS), show_default=True)
@click.option("--seeds", default="0,1,2", show_default=True)
@cache_option
@click.option(
    "--results", type=click.Path(path_type=Path), default=Path("results/budget-sensitivity"), show_default=True
)
@data_dir_option
def main(epochs, lr, weight_decay, suite, tasks, pairs, methods, seeds, cache_dir, results, data_dir) -> None:
    center = TrainConfig(epochs=epochs, lr=lr, weight_decay=weight_decay)
    if center.epochs not in EPOCHS or center.lr not in LRS or center.weight_decay not in WEIGHT_DECAYS:
        raise click.UsageError("the budget must lie on the selection grid (studies/budget_selection.py)")
    cache = use_cache(cache_dir)
    task_list = tasks.split(",") if tasks else None
    by_budget = {}
    for config in neighbours(center):
        records = run_budget(
            cache,
            results,
            config,
            suite,
            task_list,
            pairs.split(","),
            methods.split(","),
            [int(s) for s in seeds.split(",")],
            mirror(data_dir),
        )
        by_budget[name(config)] = cell_pgrs(records)
    naive, by_method = tables(by_budget, name(center))
    click.echo(f"records: {results}/<budget>; seeds {seeds}; pairs {pairs}; first column: the chosen budget\n")
    click.echo(naive + "\n")
    click.echo(by_method)


if __name__ == "__main__":
    sys.exit(main())
