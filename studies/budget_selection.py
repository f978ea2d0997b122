"""Choose the probe heads' training budget on data that is never reported.

    python -m studies.budget_selection [--suite offline] [--ladder embedded] [--seeds 100-104]

The budget (epochs, learning rate, weight decay of ``TrainConfig``) trains every head of the
probe regime: the weak supervisor, the ceiling and, by default, the student. It is chosen here
on the pool's **validation** split of seeds **outside the reported ones** (100-104; tracks report
0-4), so no test example and no reported split decides it (w2sbench.running.held_out).

The criterion is the validation accuracy of the harness's own reference heads, trained with
ground truth as the protocol trains them: each weak rung on supervisor_train, each strong rung
on transfer, averaged with equal weight over (task, seed, head). The budget should make the
weak supervisor and the ceiling as good as they can be; it must not be chosen to maximise any
method's PGR, which would tune the benchmark to that method (a budget that handicaps the
ceiling, or lets the student imitate its supervisor less, moves PGR without any method being
better). Methods that want another budget for their student choose it themselves, on weak
labels.

One fit per (lr, weight decay) gives every epoch count: AdamW has no schedule here and the
head's generator draws the same initialisation and epoch orders, so the first E epochs of a
longer fit are exactly an E-epoch fit (tested), and validation accuracy is read after each.
"""

from __future__ import annotations

import sys

import click
import numpy as np

from w2sbench.cli.options import cache_option, data_dir_option
from w2sbench.core.errors import W2SError
from w2sbench.core.example import Example, Inputs, labels_of
from w2sbench.core.paths import use_cache
from w2sbench.models.ladder import get_ladder
from w2sbench.models.probe import ProbeStudent, TrainConfig
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.held_out import SELECTION_SEEDS, Head, reference_heads, selection_seeds
from w2sbench.tasks.loading import mirror
from w2sbench.tasks.task import Task, get_task, suite_tasks

EPOCHS = (1, 2, 3, 5, 10, 20, 40)
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
WEIGHT_DECAYS = (1e-2, 1e-1)


def validation_curve(
    student: ProbeStudent, train: list[Example], validation: list[Example], lr: float, weight_decay: float, epochs: int
) -> list[float]:
    """Validation accuracy after each of ``epochs`` epochs of one ground-truth fit."""
    features = student.features(Inputs.of(validation))
    labels = labels_of(validation)
    curve: list[float] = []

    def record(head) -> float:
        curve.append(float(np.mean(head.logits_of(features).argmax(1) == labels)))
        return 0.0  # every epoch scores the same: the fit keeps its first epoch's state, which is not used

    config = TrainConfig(epochs=epochs, lr=lr, weight_decay=weight_decay)
    student.fit(Inputs.of(train), labels_of(train).astype(np.float64), config=config, select=record)
    return curve


def selection_rows(
    ws: Workspace,
    tasks: list[Task],
    heads: list[Head],
    seeds=SELECTION_SEEDS,
    epochs=EPOCHS,
    lrs=LRS,
    weight_decays=WEIGHT_DECAYS,
) -> list[dict]:
    """One row per budget: mean validation accuracy of the weak heads, of the ceilings, of all."""
    acc: dict[tuple, dict[str, list[float]]] = {}
    for task in tasks:
        for seed in seeds:
            splits = ws.splits(task, seed)
            for head in heads:
                train = splits.supervisor_train if head.role == "weak" else splits.transfer
                student = ProbeStudent(ws.features(head.rung), seed)
                for lr in lrs:
                    for wd in weight_decays:
                        curve = validation_curve(student, train, splits.validation, lr, wd, max(epochs))
                        for e in epochs:
                            acc.setdefault((e, lr, wd), {"weak": [], "ceiling": []})[head.role].append(curve[e - 1])
    rows = []
    for (e, lr, wd), by_role in acc.items():
        every = by_role["weak"] + by_role["ceiling"]
        rows.append(
            {
                "epochs": e,
                "lr": lr,
                "weight_decay": wd,
                "weak": float(np.mean(by_role["weak"])),
                "ceiling": float(np.mean(by_role["ceiling"])),
                "all": float(np.mean(every)),
                "n": len(every),
            }
        )
    return sorted(rows, key=lambda r: (-r["all"], r["epochs"], r["lr"], r["weight_decay"]))


def chosen(rows: list[dict]) -> TrainConfig:
    """The best mean validation accuracy over all reference heads; ties go to fewer epochs, then lower lr."""
    best = rows[0]
    return TrainConfig(epochs=best["epochs"], lr=best["lr"], weight_decay=best["weight_decay"])


def selection_table(rows: list[dict], top: int | None = None) -> str:
    from tabulate import tabulate

    default = TrainConfig()
    shown = rows[:top] if top else rows
    extra = [
        r
        for r in rows
        if (r["epochs"], r["lr"], r["weight_decay"]) == (default.epochs, default.lr, default.weight_decay)
        and r not in shown
    ]
    table = [
        [
            i + 1 if r in rows else "",
            r["epochs"],
            f"{r['lr']:g}",
            f"{r['weight_decay']:g}",
            f"{r['weak']:.4f}",
            f"{r['ceiling']:.4f}",
            f"{r['all']:.4f}",
            r["n"],
        ]
        for i, r in ((rows.index(r), r) for r in shown + extra)
    ]
    return tabulate(
        table,
        headers=[
            "rank",
            "epochs",
            "lr",
            "weight decay",
            "val acc (weak heads)",
            "val acc (ceilings)",
            "val acc (all)",
            "heads",
        ],
        tablefmt="github",
        disable_numparse=True,
    )


@click.command(help=__doc__.splitlines()[0])
@click.option("--suite", default="offline", show_default=True)
@click.option("--tasks", default=None, help="Comma-separated task ids (default: the suite's).")
@click.option("--ladder", default="embedded", show_default=True)
@click.option("--seeds", default=None, help="100-104 or 100,101 (default 100-104); seeds a track reports are refused.")
@cache_option
@data_dir_option
@click.option(
    "--top", type=int, default=15, show_default=True, help="Rows to print (the default budget is always shown)."
)
def main(suite, tasks, ladder, seeds, cache_dir, data_dir, top) -> None:
    try:
        seed_list = selection_seeds(seeds)
    except W2SError as e:
        raise click.UsageError(str(e)) from None
    task_list = [get_task(t) for t in tasks.split(",")] if tasks else suite_tasks(suite)
    root = use_cache(cache_dir)
    ws = Workspace(root, root / "budget-selection-results", local_data=mirror(data_dir))
    rows = selection_rows(ws, task_list, reference_heads(get_ladder(ladder)), seed_list)
    click.echo(
        f"tasks: {', '.join(t.id for t in task_list)}; ladder {ladder}; seeds {seed_list}; "
        f"split: validation (10% of each task's pool); {rows[0]['n']} heads per budget\n"
    )
    click.echo(selection_table(rows, top))
    best = chosen(rows)
    click.echo(
        f"\nchosen: epochs={best.epochs} lr={best.lr:g} weight_decay={best.weight_decay:g} "
        f"(default: epochs={TrainConfig().epochs} lr={TrainConfig().lr:g} weight_decay={TrainConfig().weight_decay:g})"
    )


if __name__ == "__main__":
    sys.exit(main())
