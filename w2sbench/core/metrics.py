"""Scores of one experiment or a group of seeds: accuracy, AUROC, PGR with paired bootstrap CIs,
and student-supervisor agreement (Burns et al. 2023, section 5.1).

PGR = (w2s - weak) / (ceiling - weak). When ceiling - weak is below MIN_GAP the ratio is
noise, so it is reported as undefined with the reason instead of a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

MIN_GAP = 0.02
N_BOOT = 1000


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean((np.asarray(probs) > 0.5) == np.asarray(labels)))


def auroc(probs: np.ndarray, labels: np.ndarray) -> float:
    labels = np.asarray(labels)
    if labels.min() == labels.max():
        return float("nan")
    return float(roc_auc_score(labels, probs))


def pgr(w2s: float, weak: float, ceiling: float, min_gap: float = MIN_GAP) -> float | None:
    """Performance gap recovered; None when the gap is too small to mean anything."""
    gap = ceiling - weak
    if not np.isfinite(gap) or gap < min_gap:
        return None
    return (w2s - weak) / gap


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None


def agreement(p_student: np.ndarray, p_weak: np.ndarray, labels: np.ndarray) -> dict[str, float | None]:
    """How often the student's hard prediction equals the supervisor's: overall, where the
    supervisor is right, and where it is wrong (imitation of errors shows in the last)."""
    student, weak = np.asarray(p_student) > 0.5, np.asarray(p_weak) > 0.5
    return agreement_of(student == weak, weak == np.asarray(labels))


def agreement_of(same: np.ndarray, supervisor_right: np.ndarray) -> dict[str, float | None]:
    """Agreement from per-example flags: the student chose as the supervisor did; the supervisor was right."""
    same, right = np.asarray(same, dtype=bool), np.asarray(supervisor_right, dtype=bool)

    def mean(mask):
        return float(same[mask].mean()) if mask.any() else None

    return {"overall": float(same.mean()), "supervisor_right": mean(right), "supervisor_wrong": mean(~right)}


def bootstrap_pgr(
    labels: np.ndarray,
    p_weak: np.ndarray,
    p_w2s: np.ndarray,
    p_ceiling: np.ndarray,
    metric: str = "accuracy",
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """Paired bootstrap CI of PGR over test examples.

    Each argument may be (n,) for one run, or (k, n) for k seeds that share the test set: a
    resample draws test examples once and applies them to every seed and every model (paired),
    and PGR is computed from the seed-averaged scores. Resamples whose gap is below MIN_GAP are
    dropped; if more than half are, the interval is undefined.
    """
    labels = np.asarray(labels)
    models = [np.atleast_2d(np.asarray(p)) for p in (p_w2s, p_weak, p_ceiling)]
    n = labels.shape[0]
    idx = np.random.default_rng(seed).integers(0, n, (n_boot, n))
    if metric == "accuracy":
        # (n_boot,) seed-averaged accuracy per model, all resamples at once
        w2s, weak, ceiling = (((p > 0.5) == labels)[:, idx].mean(-1).mean(0) for p in models)
    else:
        w2s, weak, ceiling = (
            np.array([np.mean([auroc(row[i], labels[i]) for row in p]) for i in idx]) for p in models
        )
    values = [v for v in map(pgr, w2s, weak, ceiling) if v is not None]
    if len(values) < n_boot / 2:
        return Interval(None, None)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(float(low), float(high))
