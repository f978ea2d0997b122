"""Refining the weak labels before training: confidence filtering and reweighting, and kNN
relabelling on the strong student's own (untrained) features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from w2sbench.core.errors import MethodError
from w2sbench.core.losses import ConfidenceWeighted
from w2sbench.methods._common import LossMethod, check_range
from w2sbench.methods.api import Method, MethodContext, register


def confident_subset(weak: np.ndarray, keep: float, per_class: bool) -> np.ndarray:
    """Indices of the ``keep`` fraction of examples whose weak labels are most confident.

    per_class keeps that fraction within each weak hard class, so filtering cannot change the
    class balance; ties are broken by position (stable sort).
    """
    weak = np.asarray(weak, dtype=np.float64)
    confidence = np.abs(2 * weak - 1)
    groups = [np.flatnonzero(weak > 0.5), np.flatnonzero(weak <= 0.5)] if per_class else [np.arange(len(weak))]
    chosen = []
    for idx in groups:
        if len(idx) == 0:
            continue
        n_keep = max(1, int(round(keep * len(idx))))
        order = idx[np.argsort(-confidence[idx], kind="stable")]
        chosen.append(order[:n_keep])
    return np.sort(np.concatenate(chosen))


@register
@dataclass(frozen=True)
class ConfFilter(Method):
    """Naive training on the most confident weak labels only.

    Keeps the ``keep`` fraction of transfer with the largest |2 * weak - 1| (that fraction
    within each weak class if per_class, so the class balance is unchanged)."""

    name = "conf-filter"
    citation = (
        "Anthropic automated W2S research sandbox 2026, baseline train_only_on_confident_labels "
        "(safety-research/automated-w2s-research); see also Guo & Yang 2024, arXiv:2406.19032"
    )
    keep: float = 0.5
    per_class: bool = True

    def __post_init__(self):
        check_range(self.name, "keep", self.keep, 1e-6, 1.0)

    def fit(self, ctx: MethodContext):
        idx = confident_subset(ctx.weak_labels, self.keep, self.per_class)
        return ctx.student.fit(ctx.transfer.subset(idx), ctx.weak_labels[idx])


@register
@dataclass(frozen=True)
class ConfReweight(LossMethod):
    """Cross-entropy with each example weighted by its weak label's confidence, abs(2 * weak - 1)^power.

    Weights are normalised per batch, so uncertain weak labels count less and 0.5 labels not
    at all.

    A one-supervisor stand-in for reliability-aware reweighting (Guo & Yang 2024 estimate
    reliability from several weak samples; here the weak label's own confidence is the proxy).
    """

    name = "conf-reweight"
    citation = (
        "Guo & Yang 2024, Improving Weak-to-Strong Generalization with Reliability-Aware Alignment, arXiv:2406.19032"
    )
    uses = (ConfidenceWeighted,)
    power: float = 1.0

    def __post_init__(self):
        check_range(self.name, "power", self.power, 0.0, float("inf"))

    def loss(self) -> ConfidenceWeighted:
        return ConfidenceWeighted(self.power)


def knn_labels(features: np.ndarray, labels: np.ndarray, k: int, block: int = 1024) -> np.ndarray:
    """Each example's new label: the mean label of its k nearest other examples (Euclidean).

    Distances in float64 without the matrix-product shortcut, ties broken by position (a stable
    sort): matched pairs put many examples at equal distances, and the shortcut's rounding, which
    moves with the thread count, otherwise picks different neighbours on a re-run."""
    x = torch.from_numpy(np.array(features, dtype=np.float64))
    y = torch.from_numpy(np.array(labels, dtype=np.float64))
    n = len(x)
    k = min(k, n - 1)
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, block):
        d = torch.cdist(x[start : start + block], x, compute_mode="donot_use_mm_for_euclid_dist")
        rows = torch.arange(d.shape[0])
        d[rows, rows + start] = float("inf")  # leave the example itself out
        nearest = torch.sort(d, dim=1, stable=True).indices[:, :k]
        out[start : start + block] = y[nearest].mean(1).numpy()
    return out


@register
@dataclass(frozen=True)
class KnnRelabel(Method):
    """Relabel each example with the mean weak label of its k nearest neighbours in strong features.

    The neighbours come from the strong student's frozen features; then naive training on the
    new labels.

    EleutherAI/w2s's probe relabelling (kNN, k = 50 in their runs, Euclidean distance). Unlike
    their code, an example is not its own neighbour. They found it often catastrophic
    (research/literature.md): it is an honest, hard-to-beat-by-accident baseline, not a tuned one.
    """

    name = "knn-relabel"
    citation = (
        "EleutherAI blog 2024, Experiments in Weak-to-Strong Generalization (probe relabelling; code EleutherAI/w2s)"
    )
    k: int = 50

    def __post_init__(self):
        check_range(self.name, "k", self.k, 1, 10**9)

    def fit(self, ctx: MethodContext):
        if len(ctx.transfer) < 2:
            raise MethodError(f"method {self.name}: needs at least 2 transfer examples")
        features = ctx.student.features(ctx.transfer)
        labels = knn_labels(features, ctx.weak_labels, self.k)
        return ctx.student.fit(ctx.transfer, labels)
