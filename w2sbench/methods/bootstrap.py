"""Bootstrapping through the intermediate rungs of the ladder (paper section 4.3.1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from w2sbench.methods._common import check_range
from w2sbench.methods.api import Method, MethodContext, register


@register
@dataclass(frozen=True)
class Bootstrap(Method):
    """Weak -> mid -> ... -> strong: each rung learns from the previous one's labels on transfer.

    The first intermediate rung trains on the weak labels; its predictions on transfer become
    the labels of the next rung, and so on; the strong student trains on the last rung's
    labels. With no intermediate rung this is naive training. hard=True thresholds every
    relabelling at 0.5. folds=1 labels transfer in-sample (each rung predicts the examples it
    trained on, the plain reading of the paper); folds=k>1 cross-fits: the labels of each of k
    folds come from a copy of the rung trained on the other folds, so an overfit rung cannot
    simply hand its training labels back (matters most in the fine-tuning regime).
    """

    name = "bootstrap"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, section 4.3.1"
    hard: bool = False
    folds: int = 1

    def __post_init__(self):
        check_range(self.name, "folds", self.folds, 1, 100)

    def relabel(self, student, ctx: MethodContext, labels: np.ndarray) -> np.ndarray:
        n = len(ctx.transfer)
        if self.folds == 1:
            new = student.fit(ctx.transfer, labels)(ctx.transfer)
        else:
            rng = np.random.default_rng(ctx.seed)
            fold = rng.permutation(n) % self.folds
            new = np.empty(n, dtype=np.float64)
            for k in range(self.folds):
                train, held = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
                head = student.fit(ctx.transfer.subset(train), labels[train])
                new[held] = head(ctx.transfer.subset(held))
        new = np.clip(np.asarray(new, dtype=np.float64), 0.0, 1.0)
        return (new > 0.5).astype(np.float64) if self.hard else new

    def fit(self, ctx: MethodContext):
        labels = np.array(ctx.weak_labels, dtype=np.float64)
        for rung in ctx.intermediates:
            labels = self.relabel(rung, ctx, labels)
        return ctx.student.fit(ctx.transfer, labels)
