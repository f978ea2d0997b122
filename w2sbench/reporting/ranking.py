"""Ranks from paired differences: rank r = 1 + the number of entries significantly better.

Entry a is significantly better than b when the paired bootstrap of their difference (the
same resamples for both; reporting.paired) rejects a zero difference at ALPHA after Holm's
correction over every pair of ranked entries, and a's point score is the higher. Resamples
where a cell's gap vanished (the same for every entry: the gap is the harness's) are left out
of the test, and their share is reported with the intervals. Not significant: a tie.

A bootstrap p is itself an estimate from a finite Monte Carlo draw. A call is claimed only when
it holds with every p raised by MC_SIGMAS of its Monte Carlo standard error (Holm applied to the
raised p's); a call that holds on the point p's but not on the raised ones depends on the draw:
it is not claimed, and the board lists it.

Power (``detectable_vs``): the smallest true difference from the reference that the board's test
detects with probability POWER, from the spread of the paired resampled differences (seeds and
examples, the same resamples the tests use; a normal approximation to the bootstrap).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

ALPHA = 0.05
POWER = 0.8
MC_SIGMAS = 3.0


def paired_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided bootstrap p of a zero mean difference: 2 x the smaller tail of (a - b) around 0
    with the +1 correction, over the resamples where both are defined (nan: a gap vanished; the
    caller reports how often). The smallest attainable p is 2 / (B' + 1), B' those resamples."""
    return paired_p_mc(a, b)[0]


def paired_p_mc(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """``paired_p`` and its Monte Carlo standard error (the tail fraction's binomial error, doubled)."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = d[~np.isnan(d)]
    tail = min(int((d <= 0).sum()), int((d >= 0).sum()))
    q = tail / d.size if d.size else 1.0
    se = 2 * float(np.sqrt(q * (1 - q) / d.size)) if d.size else 0.0
    return min(1.0, 2 * (tail + 1) / (d.size + 1)), se


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order (Holm 1979)."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out.tolist()


@dataclass(frozen=True)
class Ranking:
    """names in rank order; p[i][j]: Holm-adjusted p of names[i] vs names[j] (None on the diagonal);
    better[i][j]: names[i] is significantly better than names[j]."""

    names: list[str]
    ranks: dict[str, int]
    p: list[list[float | None]]
    better: list[list[bool]]
    n_comparisons: int
    n_boot: int  # resamples the tests used (those where no gap vanished)
    draw_dependent: list[tuple[str, str]]  # (better, worse) calls significant on the point p's only: not claimed


def rank(points: dict[str, float], samples: dict[str, np.ndarray], alpha: float = ALPHA) -> Ranking:
    """Rank entries by paired bootstrap tests of every pair, Holm-corrected across all pairs."""
    names = sorted(points, key=lambda n: (-points[n], n))
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    raw = [paired_p_mc(samples[names[i]], samples[names[j]]) for i, j in pairs]
    adjusted = holm([p for p, _ in raw]) if raw else []
    raised = holm([min(1.0, p + MC_SIGMAS * se) for p, se in raw]) if raw else []
    size = len(names)
    p: list[list[float | None]] = [[None] * size for _ in range(size)]
    better = [[False] * size for _ in range(size)]
    fragile = []
    for (i, j), q, q_raised in zip(pairs, adjusted, raised, strict=False):
        p[i][j] = p[j][i] = q
        if q < alpha and points[names[i]] != points[names[j]]:
            hi, lo = (i, j) if points[names[i]] > points[names[j]] else (j, i)
            if q_raised < alpha:
                better[hi][lo] = True
            else:
                fragile.append((names[hi], names[lo]))
    ranks = {n: 1 + sum(better[j][i] for j in range(size)) for i, n in enumerate(names)}
    n_boot = int((~np.isnan(next(iter(samples.values())))).sum()) if samples else 0
    return Ranking(names, ranks, p, better, len(pairs), n_boot, fragile)


@dataclass(frozen=True)
class Power:
    """The smallest difference in mean PGR from the reference detected with probability POWER:
    ``single`` by one planned two-sided test at ALPHA, ``corrected`` at Holm's first threshold
    (ALPHA / n_comparisons, what a call on the board must pass); the median over ``n`` entries."""

    single: float
    corrected: float
    n: int
    n_comparisons: int


def detectable_vs(samples: dict[str, np.ndarray], reference: str, n_comparisons: int) -> Power | None:
    """Power of the board's paired tests against ``reference``, from each entry's resampled
    difference to it (None without another entry or a spread)."""
    spreads = []
    for name, s in samples.items():
        if name == reference:
            continue
        d = s - samples[reference]
        d = d[~np.isnan(d)]
        if len(d) > 1 and np.std(d) > 0:
            spreads.append(float(np.std(d, ddof=1)))
    if not spreads or n_comparisons < 1:
        return None
    z = NormalDist().inv_cdf
    sd = float(np.median(spreads))
    return Power(
        single=(z(1 - ALPHA / 2) + z(POWER)) * sd,
        corrected=(z(1 - ALPHA / (2 * n_comparisons)) + z(POWER)) * sd,
        n=len(spreads),
        n_comparisons=n_comparisons,
    )
