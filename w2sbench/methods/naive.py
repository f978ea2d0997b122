"""Naive weak-to-strong training: the paper's baseline."""

from dataclasses import dataclass

import numpy as np

from w2sbench.methods.api import Method, MethodContext, register


@register
@dataclass(frozen=True)
class Naive(Method):
    """Train the strong student with cross-entropy to the weak labels (Burns et al. 2023, section 4.2).

    hard=True thresholds the weak labels at 0.5 first (the paper's hard-label variant).
    """

    name = "naive"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, section 4.2"
    hard: bool = False

    def fit(self, ctx: MethodContext):
        targets = (ctx.weak_labels > 0.5).astype(np.float64) if self.hard else ctx.weak_labels
        return ctx.student.fit(ctx.transfer, targets)
