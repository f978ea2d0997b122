"""Early stopping (paper section 5.1.1): on weak labels (fair) or on ground truth (an oracle).

The paper's probe analyses (section 5.3) are in w2sbench.methods.probe_analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from w2sbench.methods._common import agreement, check_choice, soft_ce
from w2sbench.methods.api import Method, MethodContext, OracleContext, register

METRICS = ("agreement", "soft_ce")


def selector(validation, reference: np.ndarray, metric: str):
    """A ``select`` for Student.fit: higher is better."""
    if metric == "agreement":
        return lambda head: agreement(head(validation), reference)
    return lambda head: -soft_ce(head(validation), reference)


@register
@dataclass(frozen=True)
class EarlyStop(Method):
    """Naive training, keeping the epoch that best matches the weak labels of the validation split.

    metric "agreement": hard agreement with the weak validation labels (paper Fig. 13b's
    weak-label early stopping); "soft_ce": cross-entropy to them. No ground truth is used.
    """

    name = "early-stop"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, section 5.1.1 and Fig. 13b"
    metric: str = "agreement"

    def __post_init__(self):
        check_choice(self.name, "metric", self.metric, METRICS)

    def fit(self, ctx: MethodContext):
        select = selector(ctx.validation, ctx.validation_weak_labels, self.metric)
        return ctx.student.fit(ctx.transfer, ctx.weak_labels, select=select)


@register
@dataclass(frozen=True)
class EarlyStopGT(Method):
    """ORACLE: naive training, keeping the epoch that best fits the validation split's ground truth.

    This "cheats" (paper section 5.1.1): it is reported apart and never ranked with fair
    methods. metric "agreement" here is accuracy against the true labels.
    """

    name = "early-stop-gt"
    citation = (
        "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, "
        "section 5.1.1 (ground-truth early stopping)"
    )
    oracle = True
    metric: str = "agreement"

    def __post_init__(self):
        check_choice(self.name, "metric", self.metric, METRICS)

    def fit(self, ctx: OracleContext):
        select = selector(ctx.validation, ctx.validation_labels, self.metric)
        return ctx.student.fit(ctx.transfer, ctx.weak_labels, select=select)
