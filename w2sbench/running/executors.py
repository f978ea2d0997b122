"""Executors: who runs a sweep's pending experiments. Every one gives the same records.

- ``local``: in this process, one experiment after another (what run_grid does by default).
- ``process``: a local pool of worker processes (concurrent.futures, spawn).
- ``ray``: Ray tasks, on this machine or an existing cluster (``address`` or RAY_ADDRESS).

The parallel executors run three phases, each a set of independent jobs:
1. features, one job per (rung, task): every missing feature of that task's texts;
2. baselines, one job per (task, weak rung, seed) and (task, strong rung, seed): the weak
   labels and the ceiling, steps 2-3, shared by every method;
3. experiments, one job each: step 4 and the record.
Jobs meet through the feature cache, the artifact cache and the result store on a disk they all
see (content-keyed, atomic, checksummed files), never through return values: a worker that
dies loses only its job, and a rerun picks up whatever was written. The driver reads every
record back from the store, so it verifies what the workers wrote.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from w2sbench.core.errors import CacheError, W2SError, unknown_name
from w2sbench.models import numerics
from w2sbench.running.jobs import (
    ExperimentsFailed,
    Failed,
    attempt,
    baseline_job,
    baseline_jobs,
    experiment_job,
    feature_jobs,
    features_job,
    needed_rungs,
    portable,
    task_texts,
    tasks_of,
)

if TYPE_CHECKING:
    from rich.progress import Progress

    from w2sbench.core.result import Result
    from w2sbench.protocol.experiment import Experiment
    from w2sbench.protocol.workspace import Workspace

EXECUTORS = ("local", "process", "ray")


def extract_features(ws: Workspace, experiments: list[Experiment], progress) -> None:
    """Compute every missing feature the experiments read, rung by rung."""
    if not ws.regime.caches_features:
        return  # fine-tuned rungs read their texts directly: there is no feature cache to fill
    for rung in needed_rungs(ws, experiments):
        store = ws.features(rung)
        texts = [t for task in tasks_of(experiments) for t in task_texts(ws, task)]
        todo = store.missing(texts)
        if todo:
            bar = progress.add_task(f"features {rung.name}", total=len(todo))
            store.compute(todo, lambda n, bar=bar: progress.advance(bar, n))


class Executor:
    """Runs pending experiments and returns their records, in the order given."""

    name: str = ""

    def run(self, ws: Workspace, pending: list[Experiment], progress: Progress) -> list[Result]:
        raise NotImplementedError


class LocalExecutor(Executor):
    """In this process, in order: the reference every other executor must match."""

    name = "local"

    def run(self, ws, pending, progress):
        extract_features(ws, pending, progress)
        bar = progress.add_task("experiments", total=len(pending))
        outcomes = []
        for exp in pending:
            progress.update(bar, description=f"experiments ({exp.task.id} {exp.method.name})")
            outcomes.append(attempt(ws, exp))
            progress.advance(bar)
        return _settle(pending, outcomes, lambda exp, record: record)


def _settle(experiments: list[Experiment], outcomes: list, record_of) -> list[Result]:
    """The records of the experiments that completed, in order (record_of turns an outcome into
    its record); ExperimentsFailed, after all of them, if any failed."""
    results = [record_of(exp, o) for exp, o in zip(experiments, outcomes, strict=False) if not isinstance(o, Failed)]
    failures = [o.message for o in outcomes if isinstance(o, Failed)]
    if failures:
        raise ExperimentsFailed(results, failures)
    return results


def _read_back(ws: Workspace, experiments: list[Experiment], keys: list) -> list[Result]:
    """The records the workers wrote, read from the shared store (so the driver verifies them)."""

    def record_of(exp: Experiment, key: str) -> Result:
        record = ws.results.read(key)
        if record is None:
            raise CacheError(
                f"{exp.label()}: the worker finished but its record {ws.results.path(key)} is missing "
                "or corrupted; is the result folder on a disk every worker shares?"
            )
        return record

    return _settle(experiments, keys, record_of)


def _process_context():
    """A fork server where there is one: it imports w2sbench (and torch) once, before any torch
    op, and forks clean workers from that, instead of every worker importing torch again; it
    lives as long as this process, so later pools start at once. Spawn elsewhere."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["w2sbench.protocol.run", "w2sbench.running.executors", "datasets"])
        return ctx
    return multiprocessing.get_context("spawn")


@dataclass
class ProcessExecutor(Executor):
    """A pool of local worker processes, started clean of this process's state (fork server or spawn)."""

    workers: int | None = None
    name: str = field(default="process", init=False)

    def run(self, ws, pending, progress):
        workers = self.workers or os.cpu_count() or 1
        threads = max(1, (os.cpu_count() or 1) // workers)
        shipped = portable(ws)
        ctx = _process_context()
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(threads, _harness_environment())
        ) as pool:

            def phase(label: str, calls: list[tuple[Callable, tuple]]) -> list:
                if not calls:
                    return []
                bar = progress.add_task(label, total=len(calls))
                futures = [pool.submit(fn, *args) for fn, args in calls]
                remaining = set(futures)
                while remaining:
                    done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                    for f in done:
                        if f.exception() is not None:
                            for other in remaining:
                                other.cancel()
                            raise f.exception()
                        progress.advance(bar)
                return [f.result() for f in futures]

            phase("features", [(features_job, (shipped, r, t)) for r, t in feature_jobs(ws, pending)])
            phase("baselines", [(baseline_job, (shipped, *job)) for job in baseline_jobs(ws, pending)])
            keys = phase("experiments", [(experiment_job, (shipped, exp)) for exp in pending])
        return _read_back(ws, pending, keys)


def _harness_environment() -> dict[str, str]:
    """The driver's W2SBENCH_* settings (task folder, cache, numeric setting, threads)."""
    return {k: v for k, v in os.environ.items() if k.startswith("W2SBENCH_")}


def _init_worker(threads: int, environment: dict[str, str]) -> None:
    """A fork server's workers inherit the environment of when it started, not the driver's now:
    a later run with another task folder or numeric setting would compute other keys."""
    import torch

    for k in [k for k in os.environ if k.startswith("W2SBENCH_") and k not in environment]:
        del os.environ[k]
    os.environ.update(environment)
    torch.set_num_threads(threads)


@dataclass
class RayExecutor(Executor):
    """Ray tasks on a local Ray or an existing cluster.

    address: the cluster to join (else RAY_ADDRESS, else a Ray started here); an already
    initialized Ray (ray.init in the caller) is used as it is. The cache and result folders
    must be on storage every node sees. Workers import w2sbench (and the encoder factory and
    method classes by module path): on a local Ray the driver's import paths are passed in
    PYTHONPATH; on a cluster, install w2sbench on the nodes or pass runtime_env (for example
    {"working_dir": "."}).
    """

    address: str | None = None
    runtime_env: dict | None = None
    feature_resources: dict = field(default_factory=lambda: {"num_cpus": 1})
    job_resources: dict = field(default_factory=lambda: {"num_cpus": 1})
    name: str = field(default="ray", init=False)

    def _env(self) -> dict:
        if self.runtime_env is not None:
            return self.runtime_env
        paths = [p for p in [os.getcwd(), *sys.path] if p and os.path.isdir(p) and not _is_installed_path(p)]
        package_root = str(Path(__file__).resolve().parents[2])
        paths = list(dict.fromkeys([package_root, *paths]))
        # prepended to the workers' own PYTHONPATH (Ray expands ${VAR} in env_vars); the driver's
        # numeric setting, so every worker's rung keys are the driver's
        return {
            "env_vars": {
                "PYTHONPATH": os.pathsep.join([*paths, "${PYTHONPATH}"]),
                numerics.ENV: numerics.current().dtype,
            }
        }

    def run(self, ws, pending, progress):
        try:
            import ray
        except ImportError:
            raise W2SError("--executor ray needs Ray: pip install 'w2sbench[scale]'") from None
        started_here = False
        if not ray.is_initialized():
            address = self.address or os.environ.get("RAY_ADDRESS")
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env=self._env() if address is None else self.runtime_env,
            )
            started_here = True
        try:
            return self._run(ray, ws, pending, progress, per_task_env=not started_here)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, ray, ws, pending, progress, per_task_env: bool):
        env = {"runtime_env": self._env()} if per_task_env else {}
        feature = ray.remote(features_job).options(**self.feature_resources, **env, max_retries=2)
        baseline = ray.remote(baseline_job).options(**self.job_resources, **env, max_retries=2)
        experiment = ray.remote(experiment_job).options(**self.job_resources, **env, max_retries=2)
        shipped = ray.put(portable(ws))

        def phase(label: str, refs: list) -> list:
            if not refs:
                return []
            bar = progress.add_task(label, total=len(refs))
            remaining = list(refs)
            while remaining:
                done, remaining = ray.wait(remaining, num_returns=1)
                try:
                    ray.get(done)
                except Exception as e:
                    for ref in remaining:
                        ray.cancel(ref)
                    cause = getattr(e, "cause", None)
                    raise (cause if isinstance(cause, W2SError) else e) from None
                progress.advance(bar)
            return ray.get(refs)

        phase("features", [feature.remote(shipped, r, t) for r, t in feature_jobs(ws, pending)])
        phase("baselines", [baseline.remote(shipped, *job) for job in baseline_jobs(ws, pending)])
        keys = phase("experiments", [experiment.remote(shipped, exp) for exp in pending])
        return _read_back(ws, pending, keys)


def _is_installed_path(path: str) -> bool:
    """site-packages and the standard library: the workers' own interpreter already has them."""
    resolved = os.path.realpath(path)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return (
        "site-packages" in resolved
        or "dist-packages" in resolved
        or any(resolved == p or resolved.startswith(p + os.sep + "lib") for p in prefixes)
    )


def make_executor(name: str, *, workers: int | None = None, address: str | None = None) -> Executor:
    """The executor for `w2sbench run --executor NAME`."""
    if name == "local":
        return LocalExecutor()
    if name == "process":
        if workers is not None and workers < 1:
            raise W2SError("--workers must be at least 1")
        return ProcessExecutor(workers=workers)
    if name == "ray":
        return RayExecutor(address=address)
    raise unknown_name("executor", name, EXECUTORS)
