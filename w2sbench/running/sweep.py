"""A sweep: a grid of experiments (w2sbench.running.grid) run resumably.

Features are extracted first (per rung, every text of every task, so each model loads once),
then experiments run in order; a finished experiment's record is read back, never redone.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from w2sbench.core.result import Result
from w2sbench.core.temporaries import remove_stale_temporaries
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.executors import LocalExecutor
from w2sbench.running.grid import Grid
from w2sbench.running.jobs import ExperimentsFailed


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
    ws: Workspace,
    grid: Grid,
    console: Console | None = None,
    show_progress: bool = True,
    executor=None,
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
