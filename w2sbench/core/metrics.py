"""Scores of one experiment or a group of seeds: accuracy, AUROC, PGR with hierarchical paired
bootstrap intervals, and student-supervisor agreement (Burns et al. 2023, section 5.1).

PGR = (w2s - weak) / (ceiling - weak). When ceiling - weak is below MIN_GAP the ratio is
noise, so it is reported as undefined with the reason instead of a number. A bootstrap
resample whose gap vanishes (falls under MIN_GAP) is counted and reported, never silently
dropped: ``Interval.vanished`` is that fraction.

The resampling here (``Resamples``) is the one every interval of the project uses: seeds are
resampled, then test examples, and one draw is applied to every model and every entry (paired).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_GAP = 0.02
N_BOOT = 1000
LEVEL = 0.95


def accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean((np.asarray(probs) > 0.5) == np.asarray(labels)))


def auroc(probs: np.ndarray, labels: np.ndarray) -> float:
    # imported here: a second of start-up that the leaderboard, which never computes AUROC, would pay
    from sklearn.metrics import roc_auc_score

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


def pgr_samples(w2s: np.ndarray, weak: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """PGR per resample, nan where the resample's gap is under MIN_GAP (vectorised ``pgr``)."""
    gap = np.asarray(ceiling) - np.asarray(weak)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap >= MIN_GAP, (np.asarray(w2s) - np.asarray(weak)) / gap, np.nan)


@dataclass(frozen=True)
class Interval:
    """A percentile interval over the resamples where the statistic is defined; ``vanished`` is
    the fraction of resamples where it was not (a gap under MIN_GAP). None bounds: more than
    half vanished, so no interval is given."""

    low: float | None
    high: float | None
    vanished: float = 0.0


def percentile_interval(samples: np.ndarray, level: float = LEVEL) -> Interval:
    """Percentile interval of (B,) samples, nan marking resamples where the statistic vanished."""
    samples = np.asarray(samples, dtype=float)
    ok = ~np.isnan(samples)
    vanished = float((~ok).sum() / samples.size) if samples.size else 1.0
    if ok.sum() == 0 or vanished > 0.5:
        return Interval(None, None, vanished)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(samples[ok], [tail, 100 - tail])
    return Interval(float(low), float(high), vanished)


@dataclass(frozen=True)
class Resamples:
    """One hierarchical bootstrap draw for a test set shared by k seeds.

    seeds: (B, k) how often each seed is drawn in resample b (k draws with replacement);
    examples: (B, n) how often each test example is drawn (n draws with replacement), the same
    for every seed (the seeds share the test set) and for every model and entry scored on it.
    Counts are float32 (exact for counts under 2**24), ready for one matrix product: 4 B n bytes,
    64 MB for 20,000 resamples of 800 examples (uint8 storage would take a quarter of that but
    made the products 2-4 times slower on this machine).
    """

    seeds: np.ndarray
    examples: np.ndarray

    @classmethod
    def draw(cls, k: int, n: int, n_boot: int = N_BOOT, seed: int = 0, groups: np.ndarray | None = None) -> Resamples:
        """groups (group_index): each example's group; a resample then draws whole groups with
        replacement (as many as there are), so examples that share a source are resampled as a unit."""
        rng = np.random.default_rng(seed)
        units = n if groups is None else int(groups.max()) + 1
        blocks = []
        for start in range(0, n_boot, _BLOCK):  # examples first (k = 1 keeps the older draws), in cache-sized blocks
            counts = _counts(rng.integers(0, units, (min(_BLOCK, n_boot - start), units)), units)
            blocks.append(counts if groups is None else counts[:, groups])
        examples = np.concatenate(blocks) if blocks else np.zeros((0, n), np.float32)
        seeds = _counts(rng.integers(0, k, (n_boot, k)), k) if k > 1 else np.ones((n_boot, 1), np.float32)
        return cls(seeds, examples)

    @property
    def n_boot(self) -> int:
        return self.examples.shape[0]

    def per_seed_accuracy(self, correct: np.ndarray) -> np.ndarray:
        """(k, n) 0/1 correctness -> (k, B) accuracy of each seed on each resample of examples."""
        # float32 sums of 0/1 counts are exact integers (n < 2**24); divided in float64 as np.mean does, by
        # each resample's number of examples (n, unless whole groups of unequal size were drawn)
        correct = np.atleast_2d(np.asarray(correct, dtype=np.float32))
        return (correct @ self.examples.T).astype(np.float64) / self.examples.sum(axis=1, dtype=np.float64)

    def seed_mean(self, per_seed: np.ndarray) -> np.ndarray:
        """(k, B) per-seed values -> (B,) their mean over each resample's drawn seeds."""
        k = self.seeds.shape[1]
        if per_seed.shape[0] != k:
            raise ValueError(f"{per_seed.shape[0]} seeds given, resamples drawn for {k}")
        return np.einsum("bk,kb->b", self.seeds, per_seed, dtype=np.float64) / k

    def accuracy(self, probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """(k, n) P(class 1) -> (B,) seed-averaged accuracy on each resample."""
        correct = (np.atleast_2d(np.asarray(probs)) > 0.5) == np.asarray(labels)
        return self.seed_mean(self.per_seed_accuracy(correct))

    def auroc(self, probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """(k, n) P(class 1) -> (B,) seed-averaged AUROC on each resample (one sklearn call per seed and
        resample: slow, for the evaluate metric's score="auroc"; nan where a resample holds one class)."""
        probs, labels = np.atleast_2d(np.asarray(probs)), np.asarray(labels)
        n = labels.shape[0]
        per_seed = np.full((probs.shape[0], self.n_boot), np.nan)
        for b in range(self.n_boot):
            idx = np.repeat(np.arange(n), self.examples[b].astype(np.int64))
            if len(np.unique(labels[idx])) == 2:
                per_seed[:, b] = [auroc(p[idx], labels[idx]) for p in probs]
        return self.seed_mean(per_seed)


_BLOCK = 512  # resamples drawn and counted at a time: the same stream as one draw, in cache


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    """(B, m) drawn indices in [0, n) -> (B, n) float32 counts."""
    rows = idx.shape[0]
    offsets = np.arange(rows, dtype=np.int32 if rows * n < 2**31 else np.int64) * n
    flat = (idx.astype(offsets.dtype, copy=False) + offsets[:, None]).ravel()
    return np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float32)


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


def group_index(groups) -> np.ndarray | None:
    """Each example's group (a source it shares with others: Example.group) as 0..G-1, numbered in
    order of first appearance; None when every example is its own group (None is a group of one)."""
    seen: dict = {}
    index = [seen.setdefault(("group", g) if g is not None else ("own", i), len(seen)) for i, g in enumerate(groups)]
    return None if len(seen) == len(index) else np.asarray(index, dtype=np.int64)


def bootstrap_pgr(
    labels: np.ndarray,
    p_weak: np.ndarray,
    p_w2s: np.ndarray,
    p_ceiling: np.ndarray,
    metric: str = "accuracy",
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
    groups: np.ndarray | None = None,
) -> Interval:
    """Hierarchical paired bootstrap interval of PGR on accuracy (or AUROC): seeds, then test
    examples (whole groups of them, where ``groups`` says which examples share a source).

    Each argument may be (n,) for one run, or (k, n) for k seeds that share the test set: a
    resample draws k seeds with replacement and n test examples (or all G groups) with
    replacement, the same for every drawn seed and every model (paired); PGR is computed from the
    seed-averaged scores (the ratio of seed means). Resamples whose gap is under MIN_GAP are
    reported as ``Interval.vanished``; more than half vanished: no interval.
    """
    labels = np.asarray(labels)
    models = [np.atleast_2d(np.asarray(p)) for p in (p_w2s, p_weak, p_ceiling)]
    k, n = models[0].shape
    res = Resamples.draw(k, n, n_boot, seed, groups)
    score = res.accuracy if metric == "accuracy" else res.auroc
    w2s, weak, ceiling = (score(p, labels) for p in models)
    return percentile_interval(pgr_samples(w2s, weak, ceiling), level)
