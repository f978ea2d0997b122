"""The PGR `evaluate` module (metrics/pgr) loads from its local path offline and gives exactly
the numbers of w2sbench's result records and run summaries.

Pitfall guarded: a published metric that drifts from the harness's own scoring (a different
bootstrap, unpaired seeds, PGR of averaged ratios instead of the ratio of averaged scores).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def pgr_metric(monkeypatch):
    import evaluate
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(evaluate.config, "HF_EVALUATE_OFFLINE", True, raising=False)
    monkeypatch.chdir(REPO)
    return evaluate.load("metrics/pgr")


def test_loads_offline_from_the_local_path_and_documents_itself(pgr_metric):
    assert pgr_metric.name == "pgr"
    assert "arXiv:2312.09390" in pgr_metric.citation or "2312.09390" in pgr_metric.citation
    out = pgr_metric.compute(
        predictions=[0.9, 0.2, 0.8, 0.3],
        weak_predictions=[0.6, 0.7, 0.4, 0.3],
        ceiling_predictions=[0.9, 0.1, 0.9, 0.2],
        references=[1, 0, 1, 0],
    )
    assert out["pgr"] == 1.0 and (out["weak"], out["w2s"], out["ceiling"]) == (0.5, 1.0, 1.0)
    assert out["agreement_supervisor_wrong"] == 0.0  # the student fixed every supervisor error


def _records(tasks_env, tmp_path):
    import torch

    from tests.conftest import FakeEncoder, fake_ladder
    from w2sbench.methods.api import make_method
    from w2sbench.protocol.workspace import Workspace
    from w2sbench.running.grid import Grid
    from w2sbench.running.sweep import run_grid
    from w2sbench.tasks.task import get_task

    torch.set_num_threads(1)
    ladder = fake_ladder()
    ws = Workspace(tmp_path / "cache", tmp_path / "results", encoder_factory=FakeEncoder)
    grid = Grid([get_task("toy")], ladder, [(ladder.rungs[0], ladder.rungs[2])], [make_method("naive")], [0, 1])
    return run_grid(ws, grid, show_progress=False)


def test_reproduces_result_records_and_seed_summaries(pgr_metric, tasks_env, tmp_path):
    from w2sbench.reporting.report import summarize

    records = _records(tasks_env, tmp_path)
    for r in records:
        p = r.predictions
        out = pgr_metric.compute(
            predictions=p.w2s,
            weak_predictions=p.weak,
            ceiling_predictions=p.ceiling,
            references=p.labels,
            groups=p.groups,  # the toy task's pairs: resampled together, as in the record
        )
        s = r.scores
        assert (out["weak"], out["w2s"], out["ceiling"]) == (s.acc_weak, s.acc_w2s, s.acc_ceiling)
        assert out["pgr"] == s.pgr and (out["pgr_ci_low"], out["pgr_ci_high"]) == tuple(s.pgr_ci)
        assert {k: out[f"agreement_{k}"] for k in s.agreement} == s.agreement
        auc = pgr_metric.compute(
            predictions=p.w2s,
            weak_predictions=p.weak,
            ceiling_predictions=p.ceiling,
            references=p.labels,
            score="auroc",
            n_boot=50,
        )
        assert auc["pgr"] == s.pgr_auroc

    [summary] = summarize(records)
    per_example = lambda name: np.array([getattr(r.predictions, name) for r in records]).T.tolist()  # noqa: E731
    out = pgr_metric.compute(
        predictions=per_example("w2s"),
        weak_predictions=per_example("weak"),
        ceiling_predictions=per_example("ceiling"),
        references=records[0].predictions.labels,
        groups=records[0].predictions.groups,
    )
    assert out["pgr"] == pytest.approx(summary.pgr, abs=1e-12)
    assert (out["pgr_ci_low"], out["pgr_ci_high"]) == (summary.pgr_ci.low, summary.pgr_ci.high)


def test_batches_add_up_to_one_compute(pgr_metric):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    weak = np.clip(labels * 0.3 + rng.uniform(0, 0.7, 200), 0, 1)
    w2s = np.clip(labels * 0.5 + rng.uniform(0, 0.5, 200), 0, 1)
    ceiling = np.clip(labels * 0.7 + rng.uniform(0, 0.3, 200), 0, 1)
    whole = pgr_metric.compute(predictions=w2s, weak_predictions=weak, ceiling_predictions=ceiling, references=labels)
    for start in range(0, 200, 50):
        sl = slice(start, start + 50)
        pgr_metric.add_batch(
            predictions=w2s[sl], weak_predictions=weak[sl], ceiling_predictions=ceiling[sl], references=labels[sl]
        )
    assert pgr_metric.compute() == whole


def test_a_gap_too_small_is_undefined_not_a_number(pgr_metric):
    labels = [1, 0] * 50
    same = [0.9, 0.1] * 50
    out = pgr_metric.compute(predictions=same, weak_predictions=same, ceiling_predictions=same, references=labels)
    assert out["pgr"] is None and out["pgr_ci_low"] is None and out["pgr_ci_high"] is None


@pytest.mark.parametrize(
    "bad,message",
    [
        (dict(predictions=[1.5, 0.2]), r"predictions must be probabilities"),
        (dict(references=[2, 0]), r"references must be 0 or 1"),
        (dict(score="f1"), r"score must be 'accuracy' or 'auroc'"),
    ],
)
def test_bad_inputs_are_clear_errors(pgr_metric, bad, message):
    args = dict(predictions=[0.9, 0.2], weak_predictions=[0.4, 0.6], ceiling_predictions=[0.9, 0.1], references=[1, 0])
    args.update(bad)
    with pytest.raises(ValueError, match=message):
        pgr_metric.compute(**args)
