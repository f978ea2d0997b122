"""Aggregating result records over seeds, and the summary table a run ends with.

Aggregates are computed from records only: seed-averaged accuracies, PGR of those averages
(reporting.estimators.cell_pgr, the one estimator), its hierarchical paired bootstrap interval
(seeds, then test examples; core.metrics.bootstrap_pgr) with the share of resamples where the
gap vanished, and the spread of per-seed PGR. A group whose seeds disagree on the test set
(different ids) is an error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from tabulate import tabulate

from w2sbench.core.errors import W2SError
from w2sbench.core.metrics import Interval, bootstrap_pgr, pgr
from w2sbench.core.result import Result, groups_of
from w2sbench.reporting.estimators import cell_pgr, seed_means


@dataclass(frozen=True)
class Summary:
    task: str
    ladder: str
    weak: str
    strong: str
    method: str
    oracle: bool
    seeds: tuple[int, ...]
    acc_weak: float
    acc_w2s: float
    acc_ceiling: float
    pgr: float | None
    pgr_ci: Interval
    pgr_seed_std: float | None
    pgr_auroc: float | None
    agreement_supervisor_wrong: float | None


def group_key(r: Result) -> tuple:
    return (
        r.task.id,
        r.ladder,
        r.weak.name,
        r.strong.name,
        r.method.name,
        r.method.code_hash,
        tuple(sorted(r.method.params.items())),
    )


def summarize_group(records: list[Result]) -> Summary:
    first = records[0]
    if len({r.predictions.ids_sha256 for r in records}) != 1:
        raise W2SError(f"{first.task.id}/{first.method.name}: records of one group were scored on different test sets")
    labels = np.array(first.predictions.labels)
    stack = {name: np.array([getattr(r.predictions, name) for r in records]) for name in ("weak", "w2s", "ceiling")}
    mean = seed_means(records)
    per_seed = [r.scores.pgr for r in records]
    wrong = [r.scores.agreement.get("supervisor_wrong") for r in records]
    wrong = [w for w in wrong if w is not None]
    aurocs = [[getattr(r.scores, f"auroc_{n}") for r in records] for n in ("w2s", "weak", "ceiling")]
    auroc_pgr = (
        None if any(None in a for a in aurocs) else pgr(*(float(np.mean(a)) for a in aurocs))
    )  # None: generative
    return Summary(
        task=first.task.id,
        ladder=first.ladder,
        weak=first.weak.name,
        strong=first.strong.name,
        method=first.method.name,
        oracle=first.method.oracle,
        seeds=tuple(sorted(r.seed for r in records)),
        acc_weak=mean["weak"],
        acc_w2s=mean["w2s"],
        acc_ceiling=mean["ceiling"],
        pgr=cell_pgr(records),
        pgr_ci=bootstrap_pgr(labels, stack["weak"], stack["w2s"], stack["ceiling"], groups=groups_of(first)),
        pgr_seed_std=float(np.std(per_seed)) if all(p is not None for p in per_seed) and len(per_seed) > 1 else None,
        pgr_auroc=auroc_pgr,
        agreement_supervisor_wrong=float(np.mean(wrong)) if wrong else None,
    )


def summarize(results: list[Result]) -> list[Summary]:
    ordered = sorted(results, key=lambda r: (group_key(r), r.seed))
    return [summarize_group(list(g)) for _, g in itertools.groupby(ordered, key=group_key)]


def fmt(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def format_pgr(s: Summary) -> str:
    if s.pgr is None:
        return f"gap {s.acc_ceiling - s.acc_weak:+.3f} too small"
    ci = f" [{fmt(s.pgr_ci.low, 2)}, {fmt(s.pgr_ci.high, 2)}]" if s.pgr_ci.low is not None else " [no interval]"
    vanished = f" (gap vanished in {s.pgr_ci.vanished:.0%} of resamples)" if s.pgr_ci.vanished >= 0.005 else ""
    return f"{s.pgr:.2f}{ci}{vanished}"


def summary_table(summaries: list[Summary], fmt_name: str = "github") -> str:
    headers = [
        "task",
        "weak -> strong",
        "method",
        "seeds",
        "acc_weak",
        "acc_w2s",
        "acc_ceiling",
        "PGR [95% CI]",
        "PGR seed sd",
        "PGR (AUROC)",
    ]
    rows = [
        [
            s.task,
            f"{s.weak} -> {s.strong}",
            s.method + (" (oracle)" if s.oracle else ""),
            len(s.seeds),
            fmt(s.acc_weak),
            fmt(s.acc_w2s),
            fmt(s.acc_ceiling),
            format_pgr(s),
            fmt(s.pgr_seed_std, 2),
            fmt(s.pgr_auroc, 2),
        ]
        for s in summaries
    ]
    return tabulate(rows, headers=headers, tablefmt=fmt_name)
