"""What a method sees: opaque ids, no test inputs in fit, test predictions asked in shuffled
batches. Each attack below used the old view (ids `{split}/{row}`, the test split handed to fit
in its seeded order) and worked; each now fails."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pytest

from tests.conftest import fake_ladder
from tests.protocol.test_experiment import workspace
from w2sbench.core.errors import W2SError
from w2sbench.core.example import Inputs
from w2sbench.methods.api import Method
from w2sbench.protocol.blind import BATCH, opaque, predict_shuffled
from w2sbench.protocol.experiment import Experiment, run_experiment
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


@pytest.mark.parametrize("method, message", [(IdsToLabels(), "KeyError"),
                                             (PositionsToLabels(), "predictions for a batch of")])
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
