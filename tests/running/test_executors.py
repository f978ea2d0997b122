"""Every executor gives the local executor's records, resumes from the shared stores, and
reports a failing experiment clearly.

Pitfalls guarded: parallel workers producing different numbers than the in-process loop;
workers that cannot import the encoder factory or method (FakeEncoder lives in
tests/conftest.py: spawned processes get the parent's sys.path, Ray workers get it through
runtime_env PYTHONPATH); a worker error lost in a pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import FakeEncoder, fake_ladder, write_rows
from w2sbench.core.errors import W2SError
from w2sbench.methods.api import Method, make_method
from w2sbench.models.ladder import Ladder, get_ladder
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.executors import LocalExecutor, ProcessExecutor, RayExecutor, make_executor
from w2sbench.running.grid import Grid
from w2sbench.running.jobs import ExperimentsFailed, task_texts
from w2sbench.running.sweep import run_grid
from w2sbench.tasks.task import get_task


def workspace(root) -> Workspace:
    return Workspace(root / "cache", root / "results", encoder_factory=FakeEncoder)


def grid(methods=None, seeds=(0, 1)) -> Grid:
    ladder = fake_ladder()
    weak, mid, strong = ladder.rungs
    return Grid(
        [get_task("toy")],
        ladder,
        [(weak, mid), (weak, strong), (mid, strong)],
        methods or [make_method("naive"), make_method("naive", {"hard": True})],
        list(seeds),
    )


def comparable(results) -> dict:
    """Records by key, without what legitimately differs between runs (timings, hence the seal)."""
    return {r.key: r.model_dump(exclude={"timings_s", "sha256"}) for r in results}


@pytest.fixture
def reference(tasks_env, tmp_path):
    return comparable(run_grid(workspace(tmp_path / "local"), grid(), show_progress=False))


def test_process_executor_matches_local(reference, tmp_path):
    ws = workspace(tmp_path / "process")
    results = run_grid(ws, grid(), show_progress=False, executor=ProcessExecutor(workers=2))
    assert len(results) == 12
    assert comparable(results) == reference
    assert comparable(ws.results.all()) == reference  # what the workers wrote is what came back


def test_ray_executor_matches_local(reference, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ws = workspace(tmp_path / "ray")
        results = run_grid(ws, grid(), show_progress=False, executor=RayExecutor())
    finally:
        ray.shutdown()
    assert comparable(results) == reference
    assert comparable(ws.results.all()) == reference


def test_local_executor_object_matches_the_default_loop(reference, tmp_path):
    results = run_grid(workspace(tmp_path / "explicit"), grid(), show_progress=False, executor=LocalExecutor())
    assert comparable(results) == reference


def test_a_parallel_run_resumes_from_the_shared_stores(tasks_env, tmp_path):
    ws = workspace(tmp_path / "resume")
    first = run_grid(ws, grid([make_method("naive")]), show_progress=False)
    FakeEncoder.calls = 0
    both = run_grid(ws, grid(), show_progress=False, executor=ProcessExecutor(workers=2))
    assert FakeEncoder.calls == 0  # features came from the cache (workers would count in their own process)
    by_key = comparable(both)
    for r in first:  # done records are read back, not redone
        assert by_key[r.key] == comparable([r])[r.key]
    assert len(both) == 12


def test_workers_of_a_fork_server_started_by_an_earlier_run_use_this_runs_environment(reference, tmp_path, monkeypatch):
    """The fork server outlives a run and its workers inherit the environment of when it started:
    a later run with another task folder (or numeric setting) must still be this run's."""
    from tests.conftest import write_toy_task
    from w2sbench.tasks.task import _registry

    run_grid(workspace(tmp_path / "first"), grid(), show_progress=False, executor=ProcessExecutor(workers=2))
    other = write_toy_task(tmp_path / "other-tasks")
    monkeypatch.setenv("W2SBENCH_TASKS", str(other))
    _registry.cache_clear()
    (tmp_path / "tasks").rename(tmp_path / "gone")  # the first run's task folder no longer exists
    results = run_grid(workspace(tmp_path / "second"), grid(), show_progress=False, executor=ProcessExecutor(workers=2))
    assert comparable(results) == reference


@dataclass(frozen=True)
class Explodes(Method):
    name = "explodes"

    def fit(self, ctx):
        raise RuntimeError("kaboom")


@pytest.mark.parametrize("executor", [LocalExecutor(), ProcessExecutor(workers=2)], ids=["local", "process"])
def test_a_failing_method_is_reported_per_experiment_and_the_others_run(tasks_env, tmp_path, executor):
    ws = workspace(tmp_path / "fails")
    with pytest.raises(
        ExperimentsFailed, match="method explodes crashed on toy weak->mid explodes seed 0.*kaboom"
    ) as e:
        run_grid(ws, grid([Explodes(), make_method("naive")], seeds=(0,)), show_progress=False, executor=executor)
    assert len(e.value.failures) == 3 and all("kaboom" in f for f in e.value.failures)  # one per pair
    assert sorted(r.method.name for r in e.value.results) == ["naive"] * 3
    assert sorted(r.key for r in ws.results.all()) == sorted(r.key for r in e.value.results)


def test_make_executor_names():
    assert make_executor("local").name == "local"
    assert make_executor("process", workers=3).workers == 3
    assert make_executor("ray", address="ray://head:10001").address == "ray://head:10001"
    with pytest.raises(W2SError, match="unknown executor 'proces'.*Did you mean: process"):
        make_executor("proces")


# ------------------------------------------------------------------ real rungs, caches filled in other orders


@pytest.fixture
def varied_toy(tasks_env):
    """The toy task with texts of 5 to 60 tokens (a batch's companions then differ in length, the
    case that moved features before lengths were canonical)."""
    import pyarrow.parquet as pq
    import yaml

    from w2sbench.tasks.loading import sha256_file
    from w2sbench.tasks.task import _registry

    definition = yaml.safe_load((tasks_env / "toy.yaml").read_text())
    for split in ("train", "test"):
        path = tasks_env / f"data/toy/{split}.parquet"
        table = pq.read_table(path).to_pylist()
        for i, row in enumerate(table):
            row["text"] += " and so on" * (i % 19)
        write_rows(path, table)
        definition["source"]["splits"][split]["sha256"] = sha256_file(path)
    (tasks_env / "toy.yaml").write_text(yaml.safe_dump(definition))
    _registry.cache_clear()
    return get_task("toy")


def real_grid(task, methods) -> Grid:
    """A task on two real packaged rungs (the toy task's 900 short texts embed in seconds)."""
    embedded = get_ladder("embedded")
    ladder = Ladder(
        name="embedded-pair", description="test", rungs=[embedded.rung("minilm-l3"), embedded.rung("minilm-l6")]
    )
    return Grid([task], ladder, [tuple(ladder.rungs)], methods, [0])


@pytest.mark.slow
def test_records_are_bit_identical_whatever_filled_the_feature_cache(varied_toy, tmp_path):
    """One grid, three caches: filled by the local loop, by a process pool after a partial fill
    in reverse order, and by Ray: every record identical (knn-relabel's neighbour choice and
    aux-conf-openai's batch quantile included, the methods that break on last-bit differences)."""
    pytest.importorskip("ray")
    import ray

    methods = [make_method(m) for m in ("naive", "knn-relabel", "aux-conf-openai")]
    local_ws = Workspace(tmp_path / "local" / "cache", tmp_path / "local" / "results")
    reference = comparable(run_grid(local_ws, real_grid(varied_toy, methods), show_progress=False))
    assert len(reference) == 3

    pool_ws = Workspace(tmp_path / "pool" / "cache", tmp_path / "pool" / "results")
    texts = task_texts(pool_ws, varied_toy)
    for rung in real_grid(varied_toy, methods).ladder.rungs:
        pool_ws.features(rung).compute(list(reversed(texts))[::3])  # a third, in another order, first
    pooled = run_grid(pool_ws, real_grid(varied_toy, methods), show_progress=False, executor=ProcessExecutor(workers=2))
    assert comparable(pooled) == reference

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ray_ws = Workspace(tmp_path / "ray" / "cache", tmp_path / "ray" / "results")
        assert (
            comparable(run_grid(ray_ws, real_grid(varied_toy, methods), show_progress=False, executor=RayExecutor()))
            == reference
        )
    finally:
        ray.shutdown()


def test_ray_workers_get_the_drivers_numeric_setting(monkeypatch):
    """A node with other CPU instructions would otherwise pick another setting, hence other rung keys."""
    from w2sbench.models import numerics

    monkeypatch.setenv(numerics.ENV, "fp32")
    assert RayExecutor()._env()["env_vars"][numerics.ENV] == "fp32"
    monkeypatch.setenv(numerics.ENV, "bf16")
    assert RayExecutor()._env()["env_vars"][numerics.ENV] == "bf16"
