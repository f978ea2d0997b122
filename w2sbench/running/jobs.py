"""The jobs a sweep is made of, and what each pending experiment needs.

Three kinds of independent job, run by every executor (w2sbench.running.executors) in order:
features (one per rung and task), supervisors (the weak labels and the ceiling of one task,
rung and seed) and experiments (step 4 and the record). A job takes a portable workspace and
meets the others only through the caches and the result store on a shared disk.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from w2sbench.core.errors import MethodError
from w2sbench.models.ladder import members_of
from w2sbench.protocol.framing import framing_of

if TYPE_CHECKING:
    from w2sbench.core.result import Result
    from w2sbench.models.ladder import Rung
    from w2sbench.protocol.experiment import Experiment
    from w2sbench.protocol.workspace import Workspace
    from w2sbench.tasks.task import Task


def portable(ws: Workspace) -> Workspace:
    """A copy of the workspace without its in-process caches (loaded models, task data), to ship
    to workers: everything else in it (paths, training config, encoder factory, pulled weak
    labels) must pickle."""
    clone = copy.copy(ws)
    clone._encoders = {}
    clone._stores = {}
    clone._data = {}
    clone._portable_token = uuid.uuid4().hex
    return clone


_WORKER_WS: dict[str, Workspace] = {}


def _worker_workspace(ws: Workspace) -> Workspace:
    """Reuse one workspace per run in each worker process (models load once per worker, not per job)."""
    token = getattr(ws, "_portable_token", None)
    if token is None:
        return ws
    return _WORKER_WS.setdefault(token, ws)


def task_texts(ws: Workspace, task: Task) -> list[str]:
    """The texts a rung embeds for a task, as its framing says."""
    data = ws.task_data(task)
    return framing_of(task).texts(data.pool + data.test)


def features_job(ws: Workspace, rung: Rung, task: Task) -> int:
    """Phase 1: compute (and cache) every missing feature of one task's texts for one rung."""
    ws = _worker_workspace(ws)
    store = ws.features(rung)
    todo = store.missing(task_texts(ws, task))
    if todo:
        store.compute(todo)
    return len(todo)


def baseline_job(ws: Workspace, kind: str, task: Task, rung: Rung, seed: int) -> str:
    """Phase 2: the weak labels (kind 'weak') or the ceiling (kind 'ceiling') of one (task, rung, seed)."""
    ws = _worker_workspace(ws)
    splits = ws.splits(task, seed)
    if not all(getattr(splits, r) for r in ("supervisor_train", "transfer", "validation")):
        return kind  # run_experiment reports the empty split with its clear message
    if kind == "weak":
        ws.weak_labels(task, rung, seed, splits)
    else:
        ws.ceiling(task, rung, seed, splits)
    return kind


@dataclass(frozen=True)
class Failed:
    """An experiment whose method crashed or answered wrongly: the run goes on without it."""

    message: str


class ExperimentsFailed(MethodError):
    """Some experiments' methods failed; every other experiment ran, and ``results`` holds their records."""

    def __init__(self, results: list[Result], failures: list[str]):
        self.results, self.failures = results, failures
        shown = "; ".join(failures[:5]) + (f"; ... ({len(failures) - 5} more)" if len(failures) > 5 else "")
        super().__init__(
            f"{len(failures)} experiment(s) failed and wrote no record ({len(results)} others completed): {shown}"
        )


def attempt(ws: Workspace, exp: Experiment) -> Result | Failed:
    """One experiment, or Failed when its method failed (any other error stops the run: it is not the method's)."""
    from w2sbench.protocol.run import run_experiment

    try:
        return run_experiment(ws, exp)
    except MethodError as e:
        return Failed(str(e))


def experiment_job(ws: Workspace, exp: Experiment) -> str | Failed:
    """Phase 3: one experiment; its record goes to the shared result store. Returns its key, or Failed."""
    outcome = attempt(_worker_workspace(ws), exp)
    return outcome if isinstance(outcome, Failed) else outcome.key


def needed_rungs(ws: Workspace, experiments: list[Experiment]) -> list[Rung]:
    """The rungs whose features the experiments need, in ladder order: each one's weak and strong
    rungs; with pulled weak labels the strong rungs and those between (a rung that is only ever
    the weak side is not needed: its model need not exist here)."""
    pulled = getattr(ws, "weak_label_source", None) is not None
    names = set()
    for exp in experiments:
        names |= {r.name for r in (exp.ladder.between(exp.weak, exp.strong) if pulled else members_of(exp.weak))}
        names.add(exp.strong.name)
    return [r for r in experiments[0].ladder.rungs if r.name in names] if experiments else []


def tasks_of(experiments: list[Experiment]) -> list[Task]:
    return list({exp.task.id: exp.task for exp in experiments}.values())


def feature_jobs(ws: Workspace, experiments: list[Experiment]) -> list[tuple[Rung, Task]]:
    """The (rung, task) pairs of phase 1 (none when students fine-tune: no feature cache)."""
    if not ws.regime.caches_features:
        return []
    return [(rung, task) for rung in needed_rungs(ws, experiments) for task in tasks_of(experiments)]


def baseline_jobs(ws: Workspace, experiments: list[Experiment]) -> list[tuple[str, Task, Rung, int]]:
    jobs, seen = [], set()
    for exp in experiments:
        wanted = [("ceiling", exp.strong)]
        if getattr(ws, "weak_label_source", None) is None:
            wanted.insert(0, ("weak", exp.weak))
        for kind, rung in wanted:
            key = (kind, exp.task.id, rung.name, exp.seed)
            if key not in seen:
                seen.add(key)
                jobs.append((kind, exp.task, rung, exp.seed))
    return jobs
