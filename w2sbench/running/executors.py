"""Executors: who runs a sweep's pending experiments. Every one gives the same records.

- ``local``: in this process, one experiment after another (what run_grid does by default).
- ``process``: a local pool of worker processes (concurrent.futures, spawn).
- ``ray``: Ray tasks, on this machine or an existing cluster (``address`` or RAY_ADDRESS).

The parallel executors run three phases, each a set of independent jobs:
1. features, one job per (rung, task): every missing feature of that task's texts;
2. supervisors, one job per (task, weak rung, seed) and (task, strong rung, seed): the weak
   labels and the ceiling, steps 2-3, shared by every method;
3. experiments, one job each: step 4 and the record.
Jobs meet through the feature cache, the artifact cache and the result store on a disk they all
see (content-keyed, atomic, checksummed files), never through return values: a worker that
dies loses only its job, and a rerun picks up whatever was written. The driver reads every
record back from the store, so it verifies what the workers wrote.
"""

from __future__ import annotations

import copy
import os
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from w2sbench.core.errors import MethodError, W2SError, unknown_name
from w2sbench.models import numerics
from w2sbench.models.ladder import members_of
from w2sbench.protocol.framing import framing_of

if TYPE_CHECKING:
    from rich.progress import Progress

    from w2sbench.core.result import Result
    from w2sbench.models.ladder import Rung
    from w2sbench.protocol.experiment import Experiment
    from w2sbench.protocol.workspace import Workspace
    from w2sbench.tasks.task import Task

EXECUTORS = ("local", "process", "ray")


# ------------------------------------------------------------------------ the jobs


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


def supervisor_job(ws: Workspace, kind: str, task: Task, rung: Rung, seed: int) -> str:
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
        super().__init__(f"{len(failures)} experiment(s) failed and wrote no record ({len(results)} others "
                         f"completed): {shown}")


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


def supervisor_jobs(ws: Workspace, experiments: list[Experiment]) -> list[tuple[str, Task, Rung, int]]:
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


# ------------------------------------------------------------------------ executors


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
    results = [record_of(exp, o) for exp, o in zip(experiments, outcomes) if not isinstance(o, Failed)]
    failures = [o.message for o in outcomes if isinstance(o, Failed)]
    if failures:
        raise ExperimentsFailed(results, failures)
    return results


def _read_back(ws: Workspace, experiments: list[Experiment], keys: list) -> list[Result]:
    """The records the workers wrote, read from the shared store (so the driver verifies them)."""

    def record_of(exp: Experiment, key: str) -> Result:
        record = ws.results.read(key)
        if record is None:
            raise W2SError(f"{exp.label()}: the worker finished but its record {ws.results.path(key)} is missing "
                           "or corrupted; is the result folder on a disk every worker shares?")
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
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(threads, _harness_environment())) as pool:
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
            phase("supervisors", [(supervisor_job, (shipped, *job)) for job in supervisor_jobs(ws, pending)])
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
        return {"env_vars": {"PYTHONPATH": os.pathsep.join([*paths, "${PYTHONPATH}"]),
                             numerics.ENV: numerics.current().dtype}}

    def run(self, ws, pending, progress):
        try:
            import ray
        except ImportError:
            raise W2SError("--executor ray needs Ray: pip install 'w2sbench[scale]'") from None
        started_here = False
        if not ray.is_initialized():
            address = self.address or os.environ.get("RAY_ADDRESS")
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     runtime_env=self._env() if address is None else self.runtime_env)
            started_here = True
        try:
            return self._run(ray, ws, pending, progress, per_task_env=not started_here)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, ray, ws, pending, progress, per_task_env: bool):
        env = {"runtime_env": self._env()} if per_task_env else {}
        feature = ray.remote(features_job).options(**self.feature_resources, **env, max_retries=2)
        supervisor = ray.remote(supervisor_job).options(**self.job_resources, **env, max_retries=2)
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
        phase("supervisors", [supervisor.remote(shipped, *job) for job in supervisor_jobs(ws, pending)])
        keys = phase("experiments", [experiment.remote(shipped, exp) for exp in pending])
        return _read_back(ws, pending, keys)


def _is_installed_path(path: str) -> bool:
    """site-packages and the standard library: the workers' own interpreter already has them."""
    resolved = os.path.realpath(path)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return "site-packages" in resolved or "dist-packages" in resolved or any(
        resolved == p or resolved.startswith(p + os.sep + "lib") for p in prefixes
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


# ------------------------------------------------------------------ stale temporaries

_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "ceph", "glusterfs", "beegfs",
               "fuse.sshfs", "fuse.s3fs", "fuse.gcsfuse", "9p", "afs"}


def _open_files() -> set[str] | None:
    """Real paths every visible local process holds open (Linux /proc); None where unknowable."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    held = set()
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(proc / pid / "fd")
        except OSError:
            continue
        for fd in fds:
            try:
                held.add(os.readlink(proc / pid / "fd" / fd))
            except OSError:
                continue
    return held


def _fs_type(path: Path) -> str | None:
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target, best, kind = os.path.realpath(path), "", None
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3:
            mount = parts[1].replace("\\040", " ")
            if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
                best, kind = mount, parts[2]
    return kind


def remove_stale_temporaries(roots: list[Path], grace_s: float = 0.25, network_age_s: float = 3600.0) -> list[Path]:
    """Delete the temporaries (``.*.tmp``) that killed writers left in the cache and result store.

    A temporary is a write that never completed: store.atomic_write_bytes renames it into
    place or deletes it, so one that no live process holds open belongs to a killed run. On a
    local disk, one that no local process has open and that is still there, unchanged,
    ``grace_s`` later (longer than a live writer's close-to-rename step) is removed. On a
    network disk a writer on another machine is invisible, so only temporaries older than
    ``network_age_s`` go. Returns what was removed.
    """
    candidates = [p for root in roots if Path(root).is_dir() for p in Path(root).rglob(".*.tmp") if p.is_file()]
    if not candidates:
        return []
    first = {p: _mtime(p) for p in candidates}
    time.sleep(grace_s)
    held = _open_files()
    removed = []
    now = time.time()
    for p in candidates:
        mtime = _mtime(p)
        if mtime is None or mtime != first[p]:
            continue  # renamed, removed or still being written
        network = _fs_type(p) in _NETWORK_FS
        if held is None or network:
            if now - mtime < network_age_s:
                continue
        elif os.path.realpath(p) in held:
            continue
        try:
            p.unlink()
            removed.append(p)
        except FileNotFoundError:
            pass
    return removed


def _mtime(p: Path) -> float | None:
    try:
        return p.stat().st_mtime
    except OSError:
        return None
