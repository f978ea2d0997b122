"""The generative protocol end to end on tiny language models and the real chess_first_move
puzzles (capped): records, resume, what a method sees, and the errors of misuse."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from w2sbench.core.errors import W2SError
from w2sbench.core.metrics import pgr
from w2sbench.core.prompt import Prompt, Prompts
from w2sbench.methods.api import GenerativeContext, Method, make_method
from w2sbench.models.finetune import FinetuneConfig
from w2sbench.models.ladder import Ensemble, get_ladder
from w2sbench.protocol.experiment import Experiment
from w2sbench.protocol.generative import (
    GenerativeFraming,
    check_distributions,
    padded,
    unpadded,
)
from w2sbench.protocol.run import run_experiment
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.grid import Grid, build_grid
from w2sbench.running.sweep import run_grid
from w2sbench.tasks.task import Sizes, get_task

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny language models: one torch thread

TRAIN = FinetuneConfig(epochs=1, batch_size=16, minibatch_size=16, lr=1e-3)


def small_task():
    return get_task("chess_first_move").model_copy(update={"sizes": Sizes(pool=120, test=40)})


@pytest.fixture
def workspace(lm_cache, tmp_path):
    """A fresh results folder on the shared cache: each call is a new run of the same workspace."""
    return lambda: Workspace(lm_cache, tmp_path / "results", finetune_config=TRAIN)


def grid(ladder, methods, seeds=(0,), weak=None) -> Grid:
    return Grid([small_task()], ladder, [(weak or ladder.rungs[0], ladder.rungs[1])], list(methods), list(seeds))


@dataclass(frozen=True)
class Spy(Method):
    """Records its context and predicts the first choice everywhere."""

    name = "spy-generative"
    framing = "generative"
    seen = []

    def fit(self, ctx: GenerativeContext):
        Spy.seen.append(ctx)
        return lambda prompts: [np.eye(len(c))[0] for c in prompts.choices]


@dataclass(frozen=True)
class Broken(Method):
    answer: str = "shape"
    name = "broken-generative"
    framing = "generative"

    def fit(self, ctx):
        bad = {
            "shape": lambda p: [np.ones(2) / 2 for _ in p.choices],
            "nan": lambda p: [np.full(len(c), np.nan) for c in p.choices],
            "count": lambda p: [],
        }[self.answer]
        return bad


def test_a_run_writes_a_scored_record_and_resumes(tiny_lm_ladder, workspace):
    ws = workspace()
    [r] = run_grid(ws, grid(tiny_lm_ladder, [make_method("sft-naive")]), show_progress=False)
    s, p = r.scores, r.predictions
    assert r.task.id == "chess_first_move" and r.task.n_test == 40 and r.provenance.regime == "finetune"
    assert r.provenance.framing == "generative" and r.sha256 == r.content_sha256()
    assert p.labels == [1] * 40 and set(p.weak) | set(p.w2s) | set(p.ceiling) <= {0.0, 1.0}
    assert (s.acc_weak, s.acc_w2s, s.acc_ceiling) == (np.mean(p.weak), np.mean(p.w2s), np.mean(p.ceiling))
    assert s.pgr == pgr(s.acc_w2s, s.acc_weak, s.acc_ceiling) and s.auroc_w2s is None
    from transformers import AutoModel

    sizes = {g.name: AutoModel.from_pretrained(g.model).num_parameters() for g in tiny_lm_ladder.rungs}
    assert (r.weak.parameters, r.strong.parameters) == (sizes[r.weak.name], sizes[r.strong.name])
    again = run_grid(workspace(), grid(tiny_lm_ladder, [make_method("sft-naive")]), show_progress=False)
    assert [x.model_dump() for x in again] == [r.model_dump()]


def test_the_method_sees_prompts_and_weak_distributions_never_answers(tiny_lm_ladder, workspace):
    ws = workspace()
    Spy.seen.clear()
    [r] = run_grid(ws, grid(tiny_lm_ladder, [Spy()]), show_progress=False)
    ctx = Spy.seen[0]
    splits = ws.splits(small_task(), 0)
    transfer = Prompts.of(splits.transfer)
    assert (ctx.transfer.prompts, ctx.transfer.choices) == (transfer.prompts, transfer.choices)
    assert ctx.transfer.ids != transfer.ids  # opaque (protocol.blind)
    assert not hasattr(ctx, "validation_labels") and not hasattr(ctx, "unlabeled")
    assert not any(hasattr(v, "answer") or hasattr(v, "answers") for v in vars(ctx).values())
    for dist, e in zip(ctx.weak_labels, splits.transfer, strict=False):
        assert dist.shape == (len(e.choices),) and abs(dist.sum() - 1) < 1e-6 and not dist.flags.writeable
    truth = [np.eye(len(e.choices))[e.answer] for e in splits.transfer]
    assert not all(np.allclose(d, t) for d, t in zip(ctx.weak_labels, truth, strict=False))  # soft, and not the truth
    # predicting the first choice everywhere scores the rate at which the answer is listed first
    assert r.scores.acc_w2s == np.mean([e.answer == 0 for e in splits.test])


@pytest.mark.parametrize(
    "answer,match",
    [("shape", "expected \\(\\d+,\\)"), ("nan", "not a probability"), ("count", "0 predictions for a batch of")],
)
def test_bad_predictions_name_the_method(tiny_lm_ladder, workspace, answer, match):
    with pytest.raises(W2SError, match=f"broken-generative.*{match}"):
        run_grid(workspace(), grid(tiny_lm_ladder, [Broken(answer)]), show_progress=False)


def test_an_ensemble_supervisor_averages_its_members(tiny_lm_ladder, workspace):
    ws = workspace()
    splits = ws.splits(small_task(), 0)

    def test_distributions(weak):
        return GenerativeFraming.read(ws.weak_labels(small_task(), weak, 0, splits)["test"], splits.test)

    members = [test_distributions(r) for r in tiny_lm_ladder.rungs]
    both = test_distributions(Ensemble(members=tuple(tiny_lm_ladder.rungs)))
    for a, b, mean in zip(*members, both, strict=False):
        np.testing.assert_allclose(mean, (a + b) / 2)


def test_methods_and_rungs_must_fit_the_framing(tiny_lm_ladder, workspace):
    exp = Experiment(small_task(), tiny_lm_ladder, *tiny_lm_ladder.rungs, make_method("naive"), 0)
    with pytest.raises(W2SError, match="method naive is for binary tasks; task chess_first_move is generative"):
        run_experiment(workspace(), exp)
    with pytest.raises(W2SError, match="sft-naive \\(generative\\) on chess_puzzles \\(binary\\)"):
        build_grid("chess", ["chess_puzzles"], "embedded", None, ["sft-naive"], [0])
    g = build_grid("chess", ["chess_first_move"], "embedded", None, None, [0])
    assert [m.name for m in g.methods] == ["sft-naive"]  # the default method follows the framing
    with pytest.raises(W2SError, match="rung minilm-l3 is an encoder"):
        run_grid(workspace(), Grid([small_task()], g.ladder, g.pairs[:1], g.methods, [0]), show_progress=False)


def test_ragged_distributions_survive_the_cache_format():
    examples = [Prompt("a", "x", ("1", "2"), 0), Prompt("b", "y", ("1", "2", "3"), 2)]
    rows = [np.array([0.3, 0.7]), np.array([0.2, 0.3, 0.5])]
    back = unpadded(padded(rows), examples)
    assert all(np.array_equal(x, y) for x, y in zip(back, rows, strict=False))
    assert check_distributions(back, Prompts.of(examples), "m")[1].tolist() == [0.2, 0.3, 0.5]
    assert get_ladder("gpt2").rungs[0].kind == "causal_lm"  # the paper-scale ladder the task is meant for
