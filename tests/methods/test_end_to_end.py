"""Every reference method runs on the fake ladder (a known weak-strong gap) and returns sane
predictions; the protocol checks shape, range and finiteness, this checks they are useful."""

from __future__ import annotations

import pytest

from tests.conftest import FakeEncoder
from tests.protocol.test_run import grid
from w2sbench.methods.api import make_method
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.sweep import run_grid

FINETUNE_ONLY = {"generative-ft", "few-shot-weak", "ft-weak-lp-gt"}
GENERATIVE = {
    "sft-naive",
    "sft-conf-filter",
    "sft-bootstrap",
}  # generative tasks: tests/generative, tests/methods/test_sft.py

# (name, params, lowest acceptable acc_w2s - acc_weak)
CASES = [
    ("naive", {}, -0.02),
    ("naive", {"hard": True}, -0.02),
    ("aux-conf", {}, -0.02),
    ("aux-conf-openai", {}, -0.02),
    ("adaptconf", {}, -0.02),
    ("entropy-reg", {}, -0.02),
    ("product-loss", {}, -0.02),
    ("reverse-ce", {}, -0.02),
    ("bootstrap", {}, -0.02),
    ("bootstrap", {"folds": 2, "hard": True}, -0.02),
    ("early-stop", {}, -0.02),
    ("early-stop", {"metric": "soft_ce"}, -0.02),
    ("early-stop-gt", {}, -0.02),
    ("conf-filter", {}, -0.02),
    ("conf-reweight", {}, -0.02),
    ("knn-relabel", {"k": 10}, -0.02),
    ("unsupervised", {}, None),  # a control: no accuracy promise, only sane output
]


def run(tmp_path, shared_cache, name, params):
    ws = Workspace(shared_cache, tmp_path / "results", encoder_factory=FakeEncoder)
    [result] = run_grid(ws, grid([make_method(name, params)]), show_progress=False)
    return result


@pytest.mark.parametrize("name,params,margin", CASES, ids=[f"{n}{p or ''}" for n, p, _ in CASES])
def test_method_runs_end_to_end_on_the_fake_ladder(tasks_env, tmp_path, shared_cache, name, params, margin):
    s = run(tmp_path, shared_cache, name, params).scores
    print(f"{name} {params}: weak {s.acc_weak:.3f} w2s {s.acc_w2s:.3f} ceiling {s.acc_ceiling:.3f} pgr {s.pgr}")
    assert 0.0 <= s.acc_w2s <= 1.0
    if margin is not None:
        assert s.acc_w2s >= s.acc_weak + margin


def test_every_registered_method_is_covered():
    from w2sbench.methods.api import all_methods

    covered = {name for name, _, _ in CASES} | FINETUNE_ONLY | GENERATIVE
    assert set(all_methods()) - {"snoop", "peek-oracle", "broken"} <= covered
