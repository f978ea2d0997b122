"""The generative methods' wiring: what they train the student on, from weak distributions only."""

from __future__ import annotations

import numpy as np
import pytest

from w2sbench.core.errors import W2SError
from w2sbench.core.prompt import Prompts
from w2sbench.methods.api import GenerativeContext, make_method


class RecordingLM:
    """A LanguageModel double: records each fit's prompts and targets; its predictor puts all
    mass on choice ``answer`` (clipped to each prompt's choices)."""

    def __init__(self, answer=0):
        self.calls, self.answer = [], answer

    def fit(self, prompts, targets):
        self.calls.append((prompts, np.asarray(targets)))
        return lambda p: [np.eye(len(c))[min(self.answer, len(c) - 1)] for c in p.choices]


def context(weak, intermediates=()) -> GenerativeContext:
    prompts = Prompts(
        tuple(f"p{i}" for i in range(len(weak))),
        tuple("x" for _ in weak),
        tuple(tuple(str(j) for j in range(len(w))) for w in weak),
    )
    return GenerativeContext(
        student=RecordingLM(),
        transfer=prompts,
        weak_labels=tuple(np.array(w) for w in weak),
        validation=prompts,
        validation_weak_labels=tuple(np.array(w) for w in weak),
        intermediates=tuple(intermediates),
        seed=0,
    )


WEAK = [[0.1, 0.9], [0.5, 0.2, 0.3], [0.05, 0.05, 0.9], [0.4, 0.6]]


def test_naive_trains_on_the_weak_models_greedy_answers():
    ctx = context(WEAK)
    make_method("sft-naive").fit(ctx)
    [(prompts, targets)] = ctx.student.calls
    assert prompts == ctx.transfer and targets.tolist() == [1, 0, 2, 1]


def test_conf_filter_keeps_the_most_confident_half_in_order():
    ctx = context(WEAK)
    make_method("sft-conf-filter").fit(ctx)
    [(prompts, targets)] = ctx.student.calls
    assert prompts.ids == ("p0", "p2") and targets.tolist() == [1, 2]  # top-choice probabilities 0.9 and 0.9


def test_conf_filter_rejects_an_empty_fraction():
    with pytest.raises(W2SError, match="sft-conf-filter: keep must be in"):
        make_method("sft-conf-filter", {"keep": 0.0})


def test_bootstrap_passes_answers_up_the_intermediate_rungs():
    mid1, mid2 = RecordingLM(answer=1), RecordingLM(answer=2)
    ctx = context(WEAK, intermediates=(mid1, mid2))
    make_method("sft-bootstrap").fit(ctx)
    assert mid1.calls[0][1].tolist() == [1, 0, 2, 1]  # the weak model's answers
    assert mid2.calls[0][1].tolist() == [1, 1, 1, 1]  # mid1's answers on transfer
    assert ctx.student.calls[0][1].tolist() == [1, 2, 2, 1]  # mid2's (choice 2, where a prompt has it)
