"""Generative methods (tasks whose framing is generative, e.g. chess_first_move): the student
language model is fine-tuned to write the weak supervisor's answers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from w2sbench.methods._common import check_range
from w2sbench.methods.api import GenerativeContext, Method, register

PAPER = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390 (section 4.2, chess)"


def weak_answers(weak_labels) -> np.ndarray:
    """The temperature-0 weak label of each prompt: its most likely choice."""
    return np.array([int(np.argmax(d)) for d in weak_labels])


@register
@dataclass(frozen=True)
class SftNaive(Method):
    """The paper's chess baseline: fine-tune the strong model on the weak model's greedy answers."""

    name = "sft-naive"
    citation = PAPER
    framing = "generative"

    def fit(self, ctx: GenerativeContext):
        return ctx.student.fit(ctx.transfer, weak_answers(ctx.weak_labels))


@register
@dataclass(frozen=True)
class SftConfFilter(Method):
    """Fine-tune only on the prompts where the weak supervisor is most sure of its answer
    (the ``keep`` fraction with the highest top-choice probability): the generative form of
    confidence filtering."""

    keep: float = 0.5
    name = "sft-conf-filter"
    citation = "the generative form of conf-filter (w2sbench.methods.refinement, which cites its sources)"
    framing = "generative"

    def __post_init__(self):
        check_range(self.name, "keep", self.keep, 1e-6, 1.0)

    def fit(self, ctx: GenerativeContext):
        confidence = np.array([d.max() for d in ctx.weak_labels])
        n = max(1, round(self.keep * len(confidence)))
        chosen = np.sort(np.argsort(-confidence, kind="stable")[:n])
        return ctx.student.fit(ctx.transfer.subset(chosen), weak_answers(ctx.weak_labels)[chosen])


@register
@dataclass(frozen=True)
class SftBootstrap(Method):
    """Bootstrapping through the intermediate rungs (the paper's best chess method, section
    4.3.1): each intermediate LM is fine-tuned on the previous answers on transfer, and its own
    greedy answers there become the next rung's labels; the strong student learns the last
    rung's answers. With no intermediate rung this is sft-naive."""

    name = "sft-bootstrap"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, section 4.3.1"
    framing = "generative"

    def fit(self, ctx: GenerativeContext):
        answers = weak_answers(ctx.weak_labels)
        for rung in ctx.intermediates:
            answers = weak_answers(rung.fit(ctx.transfer, answers)(ctx.transfer))
        return ctx.student.fit(ctx.transfer, answers)
