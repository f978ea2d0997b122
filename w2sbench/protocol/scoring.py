"""Scoring a binary experiment: checked predictions, accuracies, AUROC, PGR with its bootstrap CI."""

from __future__ import annotations

import hashlib

import numpy as np

from w2sbench.core.errors import MethodError
from w2sbench.core.example import Example
from w2sbench.core.metrics import accuracy, agreement, auroc, bootstrap_pgr, pgr
from w2sbench.core.result import (
    Scores,
)


def ids_sha256(examples: list[Example]) -> str:
    return hashlib.sha256("\n".join(e.id for e in examples).encode()).hexdigest()


def check_predictions(probs, n: int, method: str) -> np.ndarray:
    """A method's test predictions must be n finite probabilities; anything else names the method."""
    try:
        probs = np.asarray(probs, dtype=np.float64)
    except (TypeError, ValueError):
        raise MethodError(
            f"method {method}: predictor returned {type(probs).__name__}, expected an array of floats"
        ) from None
    if probs.shape != (n,):
        raise MethodError(f"method {method}: predictor returned shape {probs.shape}, expected ({n},)")
    if not np.all(np.isfinite(probs)):
        raise MethodError(f"method {method}: predictor returned NaN or infinite values")
    if probs.min() < 0 or probs.max() > 1:
        raise MethodError(f"method {method}: predictions outside [0, 1] (min {probs.min():.3g}, max {probs.max():.3g})")
    return probs


def score(
    labels: np.ndarray, p_weak: np.ndarray, p_w2s: np.ndarray, p_ceiling: np.ndarray, groups: np.ndarray | None = None
) -> Scores:
    """The record's scores; its PGR interval resamples the test examples, whole groups where they share a source."""
    acc = {name: accuracy(p, labels) for name, p in (("weak", p_weak), ("w2s", p_w2s), ("ceiling", p_ceiling))}
    auc = {name: auroc(p, labels) for name, p in (("weak", p_weak), ("w2s", p_w2s), ("ceiling", p_ceiling))}
    ci = bootstrap_pgr(labels, p_weak, p_w2s, p_ceiling, groups=groups)
    return Scores(
        acc_weak=acc["weak"],
        acc_w2s=acc["w2s"],
        acc_ceiling=acc["ceiling"],
        auroc_weak=auc["weak"],
        auroc_w2s=auc["w2s"],
        auroc_ceiling=auc["ceiling"],
        pgr=pgr(acc["w2s"], acc["weak"], acc["ceiling"]),
        pgr_ci=(ci.low, ci.high),
        pgr_auroc=pgr(auc["w2s"], auc["weak"], auc["ceiling"]),
        agreement=agreement(p_w2s, p_weak, labels),
    )
