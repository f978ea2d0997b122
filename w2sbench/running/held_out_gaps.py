"""The weak-to-strong gap of every task and rung pair, measured on data no board scores.

    w2sbench gaps --tasks T1,T2 [--ladder embedded] [--data-dir DIR] --write
    w2sbench gaps --check [--ladder L] [--tasks T1,T2]   # recompute: exit 1 if it differs

Which cells a board scores must not be decided on the test examples it then scores (a cell kept
because its test gap happened to be large is scored on that same luck). Here each rung's
reference head is trained with ground truth as the protocol trains it (a weak rung on
supervisor_train, a strong rung on transfer, at the budget of the tracks that read the table,
Track.train, else the harness's) on seeds **outside the
reported ones** (100-104), and scored on the pool's **validation** split of that seed: no test
example is read. A track with ``cells: held-out`` keeps a cell when this gap's 95% interval lies
above the margin (reporting.cells.GAP_MARGIN), the same rule the other tracks apply to their
test gap.

The interval is a hierarchical bootstrap: resample the seeds, then each drawn seed's validation
examples (each seed has its own validation split), the weak and strong heads paired on them.

Each ladder has one committed table (w2sbench/running/gap_tables/LADDER.json), which boards
read, and its Markdown form (docs/results/gaps/LADDER.md), which readers read; both are written
by ``--write``. ``--check`` recomputes the rows of the tasks given (default: every task of each
committed table; CI gives the tasks its boards keep cells by, since embedding every task's pool
would cost it half an hour), compares them with the committed rows, and checks that the Markdown
is the committed table's. A ladder's table is also how its rungs are chosen (the chess-board
ladder's were): on validation, never on what a board scores.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from w2sbench.core.cell import Cell
from w2sbench.core.errors import W2SError
from w2sbench.core.example import Inputs, labels_of
from w2sbench.core.metrics import (
    MIN_GAP as GAP_MARGIN,  # reporting.cells keeps a cell by the same margin
)
from w2sbench.core.metrics import Interval, group_index, percentile_interval
from w2sbench.core.paths import use_cache
from w2sbench.core.store import atomic_write_bytes
from w2sbench.models.ladder import Ladder, get_ladder
from w2sbench.models.numerics import current as current_numerics
from w2sbench.models.probe import TrainConfig
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.held_out import SELECTION_SEEDS, reference_heads, selection_seeds
from w2sbench.tasks.loading import mirror
from w2sbench.tasks.task import Task, get_task

N_BOOT = 10_000
TABLES = "gap_tables"  # package folder of the committed tables, one per ladder
DOCS = Path("docs") / "results" / "gaps"


@dataclass(frozen=True)
class HeldOutGap:
    """One (task, weak, strong) cell's validation accuracies (seed means) and gap, with the gap's interval."""

    task: str
    weak: str
    strong: str
    acc_weak: float
    acc_ceiling: float
    gap: float
    low: float
    high: float
    n_validation: int  # validation examples summed over the seeds

    @property
    def interval(self) -> Interval:
        return Interval(self.low, self.high)


def _boot_seed(task: str, weak: str, strong: str) -> int:
    return int(hashlib.sha256(f"w2sbench-held-out/{task}/{weak}/{strong}".encode()).hexdigest()[:8], 16)


def gap_of(
    cell: Cell,
    weak_correct: list[np.ndarray],
    strong_correct: list[np.ndarray],
    groups: list[np.ndarray | None] | None = None,
    n_boot: int = N_BOOT,
) -> HeldOutGap:
    """The cell's gap from per-seed correctness vectors (one validation split per seed), with a
    hierarchical paired bootstrap interval: seeds resampled, then each drawn seed's examples
    (whole groups of them where ``groups``, per seed, says which share a source)."""
    rng = np.random.default_rng(_boot_seed(cell.task, cell.weak, cell.strong))
    k = len(weak_correct)
    diffs = [s.astype(float) - w.astype(float) for w, s in zip(weak_correct, strong_correct, strict=True)]
    grouped = groups or [None] * k

    def resampled(j: int) -> float:
        g = grouped[j]
        if g is None:
            return diffs[j][rng.integers(0, len(diffs[j]), len(diffs[j]))].mean()
        units = int(g.max()) + 1
        drawn = np.bincount(rng.integers(0, units, units), minlength=units)
        return float(
            drawn @ np.bincount(g, weights=diffs[j], minlength=units) / (drawn @ np.bincount(g, minlength=units))
        )

    samples = np.zeros(n_boot)
    for i, draw in enumerate(rng.integers(0, k, size=(n_boot, k))):
        samples[i] = np.mean([resampled(j) for j in draw])
    interval = percentile_interval(samples)
    acc_weak = float(np.mean([w.mean() for w in weak_correct]))
    acc_ceiling = float(np.mean([s.mean() for s in strong_correct]))
    return HeldOutGap(
        cell.task,
        cell.weak,
        cell.strong,
        acc_weak,
        acc_ceiling,
        acc_ceiling - acc_weak,
        interval.low,
        interval.high,
        int(sum(len(w) for w in weak_correct)),
    )


def measure(
    ws: Workspace, tasks: list[Task], ladder: Ladder, seeds=SELECTION_SEEDS, progress=lambda line: None
) -> list[HeldOutGap]:
    """Every pair of the ladder on every task: the reference heads behind the pairs
    (held_out.reference_heads), scored on validation."""
    gaps = []
    for task in tasks:
        correct: dict[tuple[str, str], list[np.ndarray]] = {}  # (rung, role) -> per-seed correctness
        groups = []  # per seed: its validation examples' groups (None: each its own)
        for seed in seeds:
            splits = ws.splits(task, seed)
            labels = labels_of(splits.validation)
            groups.append(group_index([e.group for e in splits.validation]))
            for ref in reference_heads(ladder):
                train = splits.supervisor_train if ref.role == "weak" else splits.transfer
                head = ws.student(ref.rung, seed).fit(Inputs.of(train), labels_of(train))
                p = head(Inputs.of(splits.validation))
                correct.setdefault((ref.rung.name, ref.role), []).append((p > 0.5) == labels)
        for weak, strong in ladder.pairs():
            gaps.append(
                gap_of(
                    Cell(task.id, weak.name, strong.name, ladder.name),
                    correct[weak.name, "weak"],
                    correct[strong.name, "ceiling"],
                    groups,
                )
            )
        progress(f"held-out gaps: {task.id} done")
    return gaps


def table_of(gaps: list[HeldOutGap], ladder: str, seeds, sources: dict[str, str], budget: TrainConfig) -> dict:
    return {
        "ladder": ladder,
        "seeds": list(seeds),
        "budget": asdict(budget),
        "split": "validation",
        "numerics": current_numerics().dtype,
        "data": sources,
        "cells": [asdict(g) for g in gaps],
    }


def tables_dir() -> Path:
    return Path(str(resources.files("w2sbench.running") / TABLES))


def committed_path(ladder: str) -> Path:
    return tables_dir() / f"{ladder}.json"


def committed_ladders() -> list[str]:
    """The ladders that have a committed table."""
    return sorted(p.stem for p in tables_dir().glob("*.json"))


def doc_path(ladder: str) -> Path:
    """The table's Markdown, relative to the repository."""
    return DOCS / f"{ladder}.md"


def load_table(ladder: str) -> dict:
    path = committed_path(ladder)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise W2SError(
            f"{path}: no held-out gap table for ladder {ladder}; make it with "
            f"w2sbench gaps --ladder {ladder} --tasks ... --write"
        ) from None
    except json.JSONDecodeError as e:
        raise W2SError(
            f"{path}: not valid JSON ({e}); regenerate it with w2sbench gaps --ladder {ladder} --write"
        ) from None


def held_out_gaps(ladder: str, table: dict | None = None) -> dict[Cell, HeldOutGap]:
    """The committed held-out gaps of a ladder's cells."""
    table = table or load_table(ladder)
    if table["ladder"] != ladder:
        return {}
    return {Cell(c["task"], c["weak"], c["strong"], ladder): HeldOutGap(**c) for c in table["cells"]}


def _budget_words(table: dict) -> str:
    b = table.get("budget")
    if b is None:
        return "the harness's budget"
    return f"{b['epochs']} epochs at lr {b['lr']:g}, weight decay {b['weight_decay']:g}, batch {b['batch_size']}"


def markdown(table: dict) -> str:
    """The gap table for readers, from the committed JSON."""
    from tabulate import tabulate

    rows = []
    for c in table["cells"]:
        g = HeldOutGap(**c)
        rows.append(
            [
                g.task,
                f"{g.weak} -> {g.strong}",
                f"{g.acc_weak:.3f}",
                f"{g.acc_ceiling:.3f}",
                f"{g.gap:+.3f} [{g.low:+.3f}, {g.high:+.3f}]",
                g.n_validation,
                "yes" if g.low > GAP_MARGIN else "no",
            ]
        )
    seeds = ", ".join(map(str, table["seeds"]))
    return "\n".join(
        [
            f"# The weak-to-strong gap of every task and pair of ladder {table['ladder']}, on held-out data",
            "",
            f"Generated by `w2sbench gaps --ladder {table['ladder']} --write` (checked by `w2sbench gaps --check`); "
            "do not edit.",
            "",
            f"Ladder `{table['ladder']}`; each rung's reference head trained with ground truth as the protocol "
            f"trains it (the weak rung on supervisor_train, the strong rung on transfer, {_budget_words(table)}), "
            f"on seeds {seeds} (never reported) and scored on each seed's validation split (10% of the pool): "
            "no test example is read. Accuracies are seed means; the gap's 95% interval is a hierarchical "
            "bootstrap (seeds, then each seed's validation examples, whole groups where they share a source, paired). "
            f'"clear": the interval lies above {GAP_MARGIN}, the rule a track with `keep_cells: held-out-gap` keeps '
            "a cell by. "
            f"Features: {table['numerics']}.",
            "",
            tabulate(
                rows,
                headers=["task", "pair", "weak acc", "ceiling acc", "gap [95% CI]", "validation examples", "clear"],
                tablefmt="github",
                disable_numparse=True,
            ),
            "",
            "Data read: " + "; ".join(f"{t}: {s}" for t, s in table["data"].items()) + ".",
            "",
            "What this does not show: a gap measured with a linear probe on frozen features of these encoders, at "
            "this harness's sizes; a task without a clear gap here may open one on stronger models or with "
            "fine-tuning.",
            "",
        ]
    )


@dataclass(frozen=True)
class GapsRequest:
    """What `w2sbench gaps` was asked: unset tasks and seeds are the committed table's."""

    cache_dir: Path | None
    data_dir: Path | None
    tasks: list[str] | None
    tracks_tasks: bool
    seeds: str | None
    repo: Path
    write: bool


@dataclass
class RefreshReport:
    problems: list[str]  # none: up to date (check) or written (write)
    written: list[Path]


def refresh(request: GapsRequest, ladder: str | None, progress=lambda line: None) -> RefreshReport:
    """Recompute the gaps and write the committed table and its Markdown (write), or compare them
    with the committed files. Without a ladder, write makes the embedded ladder's table and check
    checks every committed one (tracks_tasks: every ladder a track keeps cells by, on that
    track's tasks)."""
    if ladder:
        ladders = [ladder]
    elif request.write:
        ladders = ["embedded"]
    elif request.tracks_tasks:
        ladders = list(dict.fromkeys(tr.ladder for tr in _held_out_tracks()))
    else:
        ladders = committed_ladders()
    report = RefreshReport([], [])
    for name in ladders:
        report.problems += _refresh_ladder(request, name, progress)
        if request.write:
            report.written += [committed_path(name), request.repo / doc_path(name)]
    return report


def _held_out_tracks() -> list:
    from w2sbench.running.tracks import all_tracks

    return [tr for tr in all_tracks().values() if tr.keep_cells == "held-out-gap"]


def ladder_budget(ladder: str) -> TrainConfig:
    """The budget the reference heads train with: that of the tracks keeping cells by this
    ladder's table (they must agree: one table serves them all), else the harness's."""
    budgets = {tr.train_config() for tr in _held_out_tracks() if tr.ladder == ladder}
    if len(budgets) > 1:
        raise W2SError(
            f"ladder {ladder}: the tracks that keep cells by its held-out gaps train with different budgets "
            f"({', '.join(sorted(map(str, budgets)))}); one gap table serves them all"
        )
    return budgets.pop() if budgets else TrainConfig()


def _refresh_ladder(request: GapsRequest, ladder: str, progress) -> list[str]:
    path = committed_path(ladder)
    committed = load_table(ladder) if path.exists() else None
    tasks = request.tasks
    if request.tracks_tasks:
        tasks = list(dict.fromkeys(t for tr in _held_out_tracks() if tr.ladder == ladder for t in tr.tasks))
    if not tasks:
        if committed is None:
            raise W2SError(f"--tasks: ladder {ladder} has no committed table to read them from")
        tasks = list(dict.fromkeys(c["task"] for c in committed["cells"]))
    seed_list = selection_seeds(request.seeds, committed["seeds"] if committed else SELECTION_SEEDS)
    root = use_cache(request.cache_dir)
    budget = ladder_budget(ladder)
    ws = Workspace(root, root / "held-out-gap-results", local_data=mirror(request.data_dir), train_config=budget)
    task_objs = [get_task(t) for t in tasks]
    gaps = measure(ws, task_objs, get_ladder(ladder), seed_list, progress)
    table = table_of(gaps, ladder, seed_list, {t.id: ws.task_data(t).data_revision for t in task_objs}, budget)
    doc = request.repo / doc_path(ladder)
    if request.write:
        atomic_write_bytes(path, (json.dumps(table, indent=1) + "\n").encode())
        atomic_write_bytes(doc, markdown(table).encode())
        return []
    if committed is None:
        return [f"{path} is missing"]
    problems = []
    rows = {(c["task"], c["weak"], c["strong"]): c for c in committed["cells"]}
    differ = [f"{g.task} {g.weak}->{g.strong}" for g in gaps if rows.get((g.task, g.weak, g.strong)) != asdict(g)]
    settings = ("ladder", "seeds", "numerics", "budget")
    if differ or {k: committed.get(k) for k in settings} != {k: table[k] for k in settings}:
        problems.append(f"{path}: recomputed rows differ ({', '.join(differ) or 'settings'})")
    if any(committed["data"].get(t) != rev for t, rev in table["data"].items()):
        problems.append(f"{path}: the tasks' data differ from the data the table was measured on")
    if not doc.exists() or doc.read_text() != markdown(committed):
        problems.append(f"{doc} is not the committed table's Markdown")
    return problems
