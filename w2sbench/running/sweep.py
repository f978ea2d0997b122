"""A sweep: the grid of experiments for a suite, a ladder, methods and seeds, run resumably.

Features are extracted first (per rung, every text of every task, so each model loads once),
then experiments run in order; a finished experiment's record is read back, never redone.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from w2sbench.core.errors import W2SError
from w2sbench.core.result import Result
from w2sbench.methods.api import Method
from w2sbench.models.ladder import Ladder, Rung, members_of
from w2sbench.protocol.experiment import Experiment
from w2sbench.protocol.framing import framing_of
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.executors import ExperimentsFailed, LocalExecutor, remove_stale_temporaries
from w2sbench.tasks.task import Task


@dataclass(frozen=True)
class Grid:
    tasks: list[Task]
    ladder: Ladder
    pairs: list[tuple[Rung, Rung]]
    methods: list[Method]
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])

    def experiments(self) -> list[Experiment]:
        return [
            Experiment(task, self.ladder, weak, strong, method, seed)
            for task, (weak, strong), method, seed in itertools.product(self.tasks, self.pairs, self.methods, self.seeds)
        ]

    def rungs(self) -> list[Rung]:
        names = {r.name for weak, strong in self.pairs for r in (*members_of(weak), strong)}
        return [r for r in self.ladder.rungs if r.name in names]


class StageLines:
    """What a run shows without progress bars, if asked: one line per finished stage with its
    duration (the Progress calls the executors make), so a log says where the time went."""

    def __init__(self, console: Console):
        self.console, self.stages = console, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add_task(self, description: str, total: int) -> int:
        self.stages.append([description, total, 0, time.perf_counter()])
        return len(self.stages) - 1

    def update(self, stage: int, description: str | None = None) -> None:
        pass  # the stage's first name is the one a finished line shows

    def advance(self, stage: int, n: int = 1) -> None:
        s = self.stages[stage]
        s[2] += n
        if s[2] >= s[1]:
            self.console.print(f"w2sbench: {s[0]}: {s[1]} done in {time.perf_counter() - s[3]:.1f} s", highlight=False)


def _progress(console: Console, enabled: bool, stage_lines: bool = False) -> Progress | StageLines:
    if stage_lines and not enabled:
        return StageLines(console)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not enabled,
    )


def run_grid(
    ws: Workspace, grid: Grid, console: Console | None = None, show_progress: bool = True, executor=None,
    stage_lines: bool = False,
) -> list[Result]:
    """Run every experiment of the grid not already recorded; return all of the grid's records.

    executor (w2sbench.running.executors) runs the pending experiments elsewhere (a process pool, Ray);
    by default (LocalExecutor) they run here, in order. Temporaries left by a killed run are removed first.
    An experiment whose method fails does not stop the others: ExperimentsFailed, raised after all
    of them ran, names each failure and holds every record of the grid that exists. stage_lines
    (without progress bars): a line per finished stage instead of silence.
    """
    remove_stale_temporaries([ws.cache_root, ws.results.root])
    console = console or Console(stderr=True)
    results: list[Result] = []
    pending = []
    for exp in grid.experiments():
        done = ws.results.read(ws.experiment_key(exp))
        if done is None:
            pending.append(exp)
        else:
            results.append(done)
    if pending:
        with _progress(console, show_progress, stage_lines) as progress:
            try:
                results += (executor or LocalExecutor()).run(ws, pending, progress)
            except ExperimentsFailed as e:  # the records read back before the run are the grid's too
                raise ExperimentsFailed(results + e.results, e.failures) from None
    return results


def build_grid(
    suite: str,
    task_ids: list[str] | None,
    ladder_name: str,
    pairs: list[str] | None,
    method_names: list[str | Method] | None,
    seeds: list[int],
) -> Grid:
    """A grid from names, as the command line gives them; every unknown name is a user error.
    A method may also be given ready-made (a submission's method, opened by the command line)."""
    from w2sbench.methods.api import make_method
    from w2sbench.models.ladder import get_ladder
    from w2sbench.tasks.task import get_task, suite_tasks

    ladder = get_ladder(ladder_name)
    tasks = [get_task(t) for t in task_ids] if task_ids else suite_tasks(suite)
    if pairs:
        chosen = []
        for pair in pairs:
            weak, sep, strong = pair.partition(":")
            if not sep:
                raise W2SError(f"--pairs: {pair!r} is not weak:strong")
            w, s = ladder.supervisor(weak), ladder.rung(strong)
            if ladder.position(w) >= ladder.position(s):
                raise W2SError(f"--pairs: {weak} is not below {strong} on ladder {ladder.name}")
            chosen.append((w, s))
    else:
        chosen = ladder.pairs()
    if not seeds:
        raise W2SError("--seeds: give at least one seed")
    framings = {framing_of(t).default_method for t in tasks}
    default = framings.pop() if len(framings) == 1 else "naive"
    methods = [m if isinstance(m, Method) else make_method(m) for m in method_names or [default]]
    clashes = [f"{m.name} ({m.framing}) on {t.id} ({t.framing})" for t in tasks for m in methods if m.framing != t.framing]
    if clashes:
        raise W2SError(f"methods run only on tasks of their framing: {'; '.join(clashes)}. Run binary and "
                       "generative tasks separately (--tasks), each with its own methods.")
    return Grid(tasks, ladder, chosen, methods, seeds)
