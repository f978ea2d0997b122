"""What a method sees: opaque ids, no test inputs in fit, test predictions asked in shuffled
batches. Each attack below used the old view (ids `{split}/{row}`, the test split handed to fit
in its seeded order) and worked; each now fails."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest

from tests.conftest import fake_ladder
from tests.protocol.test_run import workspace
from w2sbench.core.errors import W2SError
from w2sbench.core.example import Inputs
from w2sbench.methods.api import Method
from w2sbench.protocol.blind import BATCH, opaque, predict_shuffled
from w2sbench.protocol.experiment import Experiment
from w2sbench.protocol.run import run_experiment
from w2sbench.tasks.task import get_task

OPAQUE = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Watch(Method):
    """Naive training that records the context and every batch its predictor is asked."""

    name = "watch"
    seen = []

    def fit(self, ctx):
        head = ctx.student.fit(ctx.transfer, ctx.weak_labels)
        Watch.seen.append(("fit", ctx))

        def predictor(inputs):
            Watch.seen.append(("batch", inputs))
            return head(inputs)

        return predictor


def experiment(method) -> Experiment:
    ladder = fake_ladder()
    return Experiment(get_task("toy"), ladder, ladder.rungs[0], ladder.rungs[2], method, 0)


def test_fit_sees_opaque_ids_and_no_test_input_and_the_test_comes_in_shuffled_batches(tasks_env, tmp_path):
    ws = workspace(tmp_path)
    Watch.seen.clear()
    result = run_experiment(ws, experiment(Watch()))
    (_, ctx), *batches = Watch.seen
    assert not hasattr(ctx, "unlabeled")
    splits = ws.splits(get_task("toy"), 0)
    original = {e.id for role in ("transfer", "validation", "test") for e in getattr(splits, role)}
    seen_ids = [*ctx.transfer.ids, *ctx.validation.ids, *(i for _, b in batches for i in b.ids)]
    assert all(OPAQUE.match(i) for i in seen_ids) and not original & set(seen_ids)
    test_texts = [e.text for e in splits.test]
    assert not set(test_texts) & set(ctx.transfer.texts + ctx.validation.texts)
    asked = [t for _, b in batches for t in b.texts]
    assert sorted(asked) == sorted(test_texts) and asked != test_texts  # every test input once, shuffled
    assert max(len(b) for _, b in batches) == BATCH and len(batches) == -(-len(test_texts) // BATCH)
    # answers go back to the test split's order: the record equals a plain run of the same head
    again = run_experiment(workspace(tmp_path / "again"), experiment(Watch()))
    assert result.predictions.w2s == again.predictions.w2s


def test_ids_are_salted_afresh_every_time():
    view = Inputs(ids=("test/1/0", "test/1/1"), texts=("a", "b"))
    first, second = opaque(view), opaque(view)
    assert first.ids != second.ids and first.texts == view.texts and len(set(first.ids)) == 2


@dataclass(frozen=True)
class IdsToLabels(Method):
    """The attack on ids: the public test rows give each `{split}/{row}` id its label."""

    name = "ids-to-labels"
    table = {}

    def fit(self, ctx):
        return lambda inputs: np.array([float(IdsToLabels.table[i]) for i in inputs.ids])


@dataclass(frozen=True)
class PositionsToLabels(Method):
    """The attack on order: the seeded split of public rows gives each test position its label."""

    name = "positions-to-labels"
    labels = []

    def fit(self, ctx):
        return lambda inputs: np.asarray(PositionsToLabels.labels, dtype=float)


@pytest.mark.parametrize(
    "method, message", [(IdsToLabels(), "KeyError"), (PositionsToLabels(), "predictions for a batch of")]
)
def test_labels_read_off_ids_or_positions_fail(tasks_env, tmp_path, method, message):
    ws = workspace(tmp_path)
    test = ws.splits(get_task("toy"), 0).test
    IdsToLabels.table.update({e.id: e.label for e in test})
    PositionsToLabels.labels[:] = [e.label for e in test]
    with pytest.raises(W2SError, match=message):
        run_experiment(ws, experiment(method))


def test_a_predictor_returning_no_sequence_is_a_clear_error():
    view = Inputs(ids=("a",), texts=("x",))
    with pytest.raises(W2SError, match="method m: predictor returned no sequence"):
        predict_shuffled(lambda inputs: 0.5, view, "m")


@pytest.fixture
def first_answer_task(tmp_path, monkeypatch):
    """A SciQ-like multiple-choice task whose correct answer is always listed first."""
    import yaml

    from tests.conftest import write_rows
    from w2sbench.tasks.task import _registry

    rng = np.random.default_rng(0)

    def rows(n, prefix):
        return [
            {"question": f"question {prefix}{i}?", "right": f"answer value {v:.3f}", "wrong": f"answer value {-v:.3f}"}
            for i, v in enumerate(np.abs(rng.normal(size=n)) + 0.1)
        ]

    folder = tmp_path / "tasks"
    shas = {s: write_rows(folder / f"data/mc/{s}.parquet", rows(n, s)) for s, n in (("train", 300), ("test", 150))}
    (folder / "mc.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "mc",
                "version": 1,
                "description": "multiple choice, answer first",
                "source": {
                    "kind": "files",
                    "build_command": "fixture",
                    "splits": {s: {"path": f"data/mc/{s}.parquet", "sha256": h} for s, h in shas.items()},
                },
                "splits": {"pool": "train", "test": "test"},
                "conversion": {
                    "name": "multiple_choice",
                    "params": {"text": "{question}", "choices": ["right", "wrong"], "answer_is": "first"},
                },
                "sizes": {"pool": 600, "test": 300},
                "suites": ["toy"],
                "licence": "CC0-1.0",
                "citation": "none",
                "homepage": "none",
            }
        )
    )
    monkeypatch.setenv("W2SBENCH_TASKS", str(folder))
    _registry.cache_clear()
    yield get_task("mc")
    _registry.cache_clear()


@dataclass(frozen=True)
class FirstChoice(Method):
    """The id-suffix classifier: on a task whose answer is listed first, `/0` ids are the positives."""

    name = "first-choice"

    def fit(self, ctx):
        return lambda inputs: np.array([1.0 if re.search(r"/0$", i) else 0.0 for i in inputs.ids])


def test_an_id_suffix_classifier_scores_chance_on_a_first_answer_task(first_answer_task, tmp_path):
    ladder = fake_ladder()
    exp = Experiment(first_answer_task, ladder, ladder.rungs[0], ladder.rungs[2], FirstChoice(), 0)
    record = run_experiment(workspace(tmp_path), exp)
    assert record.scores.acc_w2s == 0.5  # every id opaque: no "/0" suffix, every prediction 0


@dataclass(frozen=True)
class MatchedPairs(Method):
    """The matched-pair shortcut: each question has one right and one wrong candidate, so within
    a question the higher-scored candidate is the positive. It needs both in view at once."""

    name = "matched-pairs"

    def fit(self, ctx):
        head = ctx.student.fit(ctx.transfer, ctx.weak_labels)

        def predictor(inputs):
            p = np.asarray(head(inputs), dtype=float)
            for text in set(inputs.texts):
                rows = [i for i, t in enumerate(inputs.texts) if t == text]
                if len(rows) == 2:
                    best = max(rows, key=lambda i: p[i])
                    p[rows] = 0.0
                    p[best] = 1.0
            return p

        return predictor


def test_the_matched_pair_shortcut_stays_within_the_ceiling_or_is_flagged(first_answer_task, tmp_path):
    """Shuffled batches of 32 leave a question's two candidates together only about one time in ten,
    so the shortcut gains little; a record past the ceiling's interval would be flagged anyway."""
    from w2sbench.submissions.review import ceiling_upper, review_flags

    ladder = fake_ladder()
    runs = {
        m.name: run_experiment(
            workspace(tmp_path / m.name), Experiment(first_answer_task, ladder, ladder.rungs[0], ladder.rungs[2], m, 0)
        )
        for m in (Watch(), MatchedPairs())
    }
    shortcut = runs["matched-pairs"].scores
    within = shortcut.acc_w2s <= ceiling_upper(shortcut.acc_ceiling, runs["matched-pairs"].task.n_test)
    assert within or review_flags([runs["matched-pairs"]])
    assert shortcut.acc_w2s - runs["watch"].scores.acc_w2s < 0.1
