"""The protocol end to end on the fake ladder: gap, records, resume, and ground truth kept out."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest

from tests.conftest import FakeEncoder, fake_ladder
from w2sbench.core.errors import W2SError
from w2sbench.core.example import Example
from w2sbench.core.splits import split_pool
from w2sbench.methods.api import Method, MethodContext, make_method
from w2sbench.models.probe import TrainConfig
from w2sbench.protocol.experiment import Experiment
from w2sbench.protocol.run import run_experiment
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.grid import Grid
from w2sbench.running.sweep import run_grid
from w2sbench.tasks.task import get_task

# The toy task's transfer split has about 240 examples: the default budget (5 epochs at lr 1e-3,
# chosen for the offline suite's larger splits and 768-d features) is too few steps to fit it.
TOY_TRAINING = TrainConfig(epochs=20, lr=1e-2)


def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path / "cache", tmp_path / "results", train_config=TOY_TRAINING, encoder_factory=FakeEncoder)


def grid(methods, seeds=(0,)) -> Grid:
    ladder = fake_ladder()
    return Grid([get_task("toy")], ladder, [(ladder.rungs[0], ladder.rungs[2])], list(methods), list(seeds))


def test_naive_recovers_part_of_a_real_gap(tasks_env, tmp_path):
    ws = workspace(tmp_path)
    [result] = run_grid(ws, grid([make_method("naive")]), show_progress=False)
    s = result.scores
    assert s.acc_ceiling - s.acc_weak > 0.1  # the fake ladder's noise levels open a gap
    assert s.pgr is not None and 0 < s.pgr <= 1.2
    assert s.pgr_ci[0] <= s.pgr <= s.pgr_ci[1]
    assert result.strong.parameters == 3 and result.weak.parameters == 1
    assert ws.results.path(result.key).exists()
    assert result.provenance.config_hash == result.key


def test_a_record_keeps_its_test_groups_and_its_interval_resamples_them(tasks_env, tmp_path):
    """The toy task's test rows come in pairs sharing a group: the record says so, and the
    record's PGR interval is the grouped bootstrap's, not the one over single examples."""
    from w2sbench.core import metrics

    [r] = run_grid(workspace(tmp_path), grid([make_method("naive")]), show_progress=False)
    split = workspace(tmp_path).splits(get_task("toy"), 0).test
    assert r.predictions.groups == metrics.group_index([e.group for e in split]).tolist()
    assert len(r.predictions.groups) == r.task.n_test and max(r.predictions.groups) < r.task.n_test - 1
    p = r.predictions
    grouped = metrics.bootstrap_pgr(p.labels, p.weak, p.w2s, p.ceiling, groups=np.asarray(p.groups))
    loose = metrics.bootstrap_pgr(p.labels, p.weak, p.w2s, p.ceiling)
    assert r.scores.pgr_ci == (grouped.low, grouped.high) != (loose.low, loose.high)


def test_rerun_reuses_records_and_features(tasks_env, tmp_path):
    ws = workspace(tmp_path)
    first = run_grid(ws, grid([make_method("naive")], seeds=(0, 1)), show_progress=False)
    FakeEncoder.calls = 0
    again = run_grid(workspace(tmp_path), grid([make_method("naive")], seeds=(0, 1)), show_progress=False)
    assert FakeEncoder.calls == 0
    assert [r.model_dump() for r in again] == [r.model_dump() for r in first]


def test_a_second_method_reuses_weak_labels_and_ceiling(tasks_env, tmp_path, monkeypatch):
    ws = workspace(tmp_path)
    run_grid(ws, grid([make_method("naive")]), show_progress=False)
    original = Workspace._trained

    def cached_only(self, kind, task, rung, seed, compute):
        def fail():
            raise AssertionError(f"{kind} was retrained instead of read from the cache")

        return original(self, kind, task, rung, seed, fail)

    monkeypatch.setattr(Workspace, "_trained", cached_only)
    [hard] = run_grid(workspace(tmp_path), grid([make_method("naive", {"hard": True})]), show_progress=False)
    assert hard.method.params == {"hard": True}


def _reachable(obj, seen=None, depth=0):
    """Every object reachable from obj through attributes, containers and closures."""
    seen = seen if seen is not None else {}
    if id(obj) in seen or depth > 12 or isinstance(obj, (str, bytes, int, float, bool, type(None))):
        return seen
    seen[id(obj)] = obj
    children = []
    if isinstance(obj, dict):
        children = list(obj.keys()) + list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        children = list(obj)
    elif isinstance(obj, np.ndarray):
        children = []
    else:
        if hasattr(obj, "__dict__"):
            children += list(vars(obj).values())
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            children += [getattr(obj, f.name) for f in dataclasses.fields(obj)]
        if hasattr(obj, "__slots__"):
            children += [getattr(obj, s) for s in obj.__slots__ if hasattr(obj, s)]
    for child in children:
        _reachable(child, seen, depth + 1)
    return seen


@dataclass(frozen=True)
class Snoop(Method):
    """Records everything it is handed, then behaves like naive."""

    name = "snoop"
    seen = []

    def fit(self, ctx: MethodContext):
        Snoop.seen.append(ctx)
        return ctx.student.fit(ctx.transfer, ctx.weak_labels)


def test_no_ground_truth_is_reachable_from_the_method_context(tasks_env, tmp_path):
    ws = workspace(tmp_path)
    ladder = fake_ladder()
    exp = Experiment(get_task("toy"), ladder, ladder.rungs[0], ladder.rungs[2], Snoop(), 0)
    result = run_experiment(ws, exp)
    ctx = Snoop.seen[-1]
    objects = _reachable(ctx).values()
    assert not any(isinstance(o, Example) for o in objects), "an Example (with its label) is reachable"
    test_labels = np.array(result.predictions.labels)
    for o in objects:
        if isinstance(o, np.ndarray) and o.shape == test_labels.shape:
            assert not np.array_equal(o.astype(int), test_labels), "test labels reachable"
    # the intermediate rung is handed over for bootstrapping
    assert [s.name for s in ctx.intermediates] == ["mid"]
    with pytest.raises(ValueError):
        ctx.weak_labels[0] = 1.0  # read-only: a method cannot corrupt the shared weak labels


@dataclass(frozen=True)
class Broken(Method):
    name = "broken"
    output: str = "nan"

    def fit(self, ctx):
        outputs = {
            "nan": lambda n: np.full(n, np.nan),
            "shape": lambda n: np.zeros(n + 1),
            "range": lambda n: np.full(n, 1.5),
        }
        if self.output == "crash":
            raise RuntimeError("boom")
        return lambda inputs: outputs[self.output](len(inputs))


@pytest.mark.parametrize(
    "output,message",
    [
        ("nan", "NaN"),
        ("shape", r"returned 3\d predictions for a batch of"),
        ("range", r"outside \[0, 1\]"),
        ("crash", "crashed.*boom"),
    ],
)
def test_bad_method_output_is_a_clear_error_and_writes_nothing(tasks_env, tmp_path, output, message):
    ws = workspace(tmp_path)
    ladder = fake_ladder()
    exp = Experiment(get_task("toy"), ladder, ladder.rungs[0], ladder.rungs[2], Broken(output), 0)
    with pytest.raises(W2SError, match=f"method broken.*{message}|{message}.*"):
        run_experiment(ws, exp)
    assert not list((tmp_path / "results").glob("*.json"))


@dataclass(frozen=True)
class PeekOracle(Method):
    name = "peek-oracle"
    oracle = True
    seen = []

    def fit(self, ctx):
        PeekOracle.seen.append(ctx)
        return ctx.student.fit(ctx.transfer, ctx.weak_labels)


def test_only_oracles_get_validation_ground_truth(tasks_env, tmp_path):
    ws = workspace(tmp_path)
    ladder = fake_ladder()
    fair = Snoop()
    for method in (fair, PeekOracle()):
        run_experiment(ws, Experiment(get_task("toy"), ladder, ladder.rungs[0], ladder.rungs[2], method, 0))
    assert not hasattr(Snoop.seen[-1], "validation_labels")
    oracle_ctx = PeekOracle.seen[-1]
    assert len(oracle_ctx.validation_labels) == len(oracle_ctx.validation)
    record = ws.results.all()
    assert {r.method.name: r.method.oracle for r in record} == {"snoop": False, "peek-oracle": True}


def test_an_ensemble_supervisor_averages_its_members_soft_labels(tasks_env, tmp_path):
    ws = workspace(tmp_path)
    ladder = fake_ladder()
    ens = ladder.supervisor("weak+mid")
    g = Grid([get_task("toy")], ladder, [(ens, ladder.rungs[2])], [make_method("naive")], [0])
    [result] = run_grid(ws, g, show_progress=False)
    assert result.weak.name == "weak+mid" and result.weak.model == "fake/weak+fake/mid"
    assert result.weak.parameters == 1 + 2
    data = ws.task_data(get_task("toy"))
    splits = split_pool(data.pool, data.test, 0)
    members = [ws.weak_labels(get_task("toy"), r, 0, splits)["test"] for r in ladder.rungs[:2]]
    np.testing.assert_allclose(result.predictions.weak, np.round((members[0] + members[1]) / 2, 6))
    single = run_grid(ws, grid([make_method("naive")]), show_progress=False)[0]
    assert single.key != result.key and single.scores.acc_weak != result.scores.acc_weak
