"""Known answers for PGR, its paired bootstrap CI, and agreement (paper section 5.1)."""

import numpy as np
import pytest

from w2sbench.core.metrics import (
    MIN_GAP,
    Resamples,
    accuracy,
    agreement,
    auroc,
    bootstrap_pgr,
    group_index,
    pgr,
)


def test_pgr_hand_computed():
    assert pgr(0.80, 0.70, 0.90) == pytest.approx(0.5)
    assert pgr(0.65, 0.70, 0.90) == pytest.approx(-0.25)
    assert pgr(0.95, 0.70, 0.90) == pytest.approx(1.25)


def test_pgr_undefined_when_the_gap_is_too_small():
    assert pgr(0.8, 0.7, 0.7 + MIN_GAP / 2) is None
    assert pgr(0.8, 0.7, 0.6) is None


def test_accuracy_and_auroc():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.9])
    assert accuracy(p, y) == 0.5
    assert auroc(p, y) == pytest.approx(0.75)  # 3 of 4 positive-negative pairs ordered right


def test_agreement_splits_on_supervisor_correctness():
    y = np.array([1, 1, 0, 0])
    weak = np.array([0.9, 0.2, 0.1, 0.8])  # right, wrong, right, wrong
    student = np.array([0.8, 0.3, 0.7, 0.1])  # agrees, agrees, disagrees, disagrees
    assert agreement(student, weak, y) == {"overall": 0.5, "supervisor_right": 0.5, "supervisor_wrong": 0.5}


def _models(n=400, seed=0, accs=(0.7, 0.8, 0.9)):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    flip = [rng.random(n) > a for a in accs]
    return y, *[np.where(f, 1 - y, y).astype(float) for f in flip]


def test_bootstrap_ci_contains_the_point_estimate_and_narrows_with_n():
    y, weak, w2s, ceil = _models(400)
    point = pgr(accuracy(w2s, y), accuracy(weak, y), accuracy(ceil, y))
    ci = bootstrap_pgr(y, weak, w2s, ceil)
    assert ci.low < point < ci.high
    y4, weak4, w2s4, ceil4 = _models(4000)
    ci4 = bootstrap_pgr(y4, weak4, w2s4, ceil4)
    assert (ci4.high - ci4.low) < (ci.high - ci.low) / 2  # ~1/sqrt(10) as wide


def test_bootstrap_is_paired():
    # w2s identical to weak: PGR is exactly 0 in every resample, so a paired CI is [0, 0]
    y, weak, _, ceil = _models(300)
    ci = bootstrap_pgr(y, weak, weak.copy(), ceil)
    assert ci.low == 0 and ci.high == 0


def test_bootstrap_over_seeds_uses_seed_averages():
    y, weak, w2s, ceil = _models(300)
    ci_one = bootstrap_pgr(y, weak, w2s, ceil, seed=1)
    ci_two = bootstrap_pgr(y, np.stack([weak, weak]), np.stack([w2s, w2s]), np.stack([ceil, ceil]), seed=1)
    assert (ci_one.low, ci_one.high) == pytest.approx((ci_two.low, ci_two.high))


def test_bootstrap_undefined_without_a_gap():
    y, weak, w2s, _ = _models(300)
    ci = bootstrap_pgr(y, weak, w2s, weak.copy())
    assert ci.low is None and ci.high is None and ci.vanished == 1.0


def test_resamples_where_the_gap_vanishes_are_reported_not_hidden():
    """Gap 0.04 on 200 examples: it falls under MIN_GAP on roughly 4% of resamples; those are
    counted in `vanished`, and the interval is taken over the others (checked against a direct,
    index-gathering computation of the same draws)."""
    n, n_boot = 200, 1000
    y = np.ones(n, dtype=int)
    right = lambda k: (np.arange(n) < k).astype(float)  # noqa: E731
    weak, w2s, ceil = right(140), right(144), right(148)  # 0.70, 0.72, 0.74
    ci = bootstrap_pgr(y, weak, w2s, ceil, n_boot=n_boot, seed=3)
    idx = np.random.default_rng(3).integers(0, n, (n_boot, n))  # the same draws, gathered directly
    acc = {k: (m[idx] > 0.5).mean(axis=1) for k, m in (("weak", weak), ("w2s", w2s), ("ceil", ceil))}
    gap = acc["ceil"] - acc["weak"]
    lost = gap < MIN_GAP
    assert 0.01 < lost.mean() < 0.2 and ci.vanished == pytest.approx(lost.mean())
    kept = (acc["w2s"][~lost] - acc["weak"][~lost]) / gap[~lost]
    assert (ci.low, ci.high) == pytest.approx(tuple(np.percentile(kept, [2.5, 97.5])))


def test_resampled_accuracy_hand_computed():
    """Counts and seed weights applied by hand: seeds (0, 0) and examples (0, 0, 2) on one resample."""
    res = Resamples(
        seeds=np.array([[2.0, 0.0]], dtype=np.float32), examples=np.array([[2.0, 0.0, 1.0]], dtype=np.float32)
    )
    correct = np.array([[1, 0, 0], [1, 1, 1]])  # seed 0 right on example 0 only
    assert res.per_seed_accuracy(correct)[:, 0].tolist() == pytest.approx([2 / 3, 1.0])
    assert res.seed_mean(res.per_seed_accuracy(correct)).tolist() == pytest.approx([2 / 3])
    drawn = Resamples.draw(k=3, n=50, n_boot=7, seed=1)
    assert drawn.seeds.sum(axis=1).tolist() == [3] * 7 and drawn.examples.sum(axis=1).tolist() == [50] * 7


def test_group_index_numbers_groups_by_first_appearance():
    assert group_index(["q7", "q2", "q7", None, "q2"]).tolist() == [0, 1, 0, 2, 1]
    assert group_index(["a", "b", None, None]) is None  # every example its own group: nothing to record


def test_grouped_resamples_draw_whole_groups_and_average_over_what_was_drawn():
    """Four examples in two groups of two and one of one: a resample draws three groups, so its
    examples come in the group's sizes and its accuracy divides by the examples it holds."""
    groups = group_index(["p", "p", "q", "q", "r"])
    res = Resamples.draw(k=1, n=5, n_boot=2_000, seed=3, groups=groups)
    ex = res.examples
    assert (ex[:, 0] == ex[:, 1]).all() and (ex[:, 2] == ex[:, 3]).all()  # a group is drawn as a unit
    assert set(ex[:, [0, 2, 4]].sum(axis=1).tolist()) <= {3.0}  # three groups per resample
    hand = Resamples(seeds=np.ones((1, 1), np.float32), examples=np.array([[2, 2, 0, 0, 1]], np.float32))
    correct = np.array([[1, 0, 1, 1, 1]])  # group p half right, drawn twice; r right, once
    assert hand.per_seed_accuracy(correct)[0, 0] == pytest.approx((2 * 1 + 2 * 0 + 1) / 5)
    ungrouped = Resamples.draw(k=2, n=5, n_boot=50, seed=3)
    assert (Resamples.draw(k=2, n=5, n_boot=50, seed=3, groups=None).examples == ungrouped.examples).all()


def test_grouping_widens_the_interval_when_a_group_shares_its_outcome():
    """Pairs whose two examples are always both right or both wrong carry half the information
    of independent examples: the grouped interval is wider (about sqrt(2) times)."""
    rng = np.random.default_rng(0)
    n = 400
    pair_right = rng.random(n // 2) < 0.7
    labels = np.ones(n, dtype=int)
    w2s = np.repeat(pair_right, 2).astype(float)
    weak = np.repeat(rng.random(n // 2) < 0.5, 2).astype(float)
    ceiling = np.repeat(rng.random(n // 2) < 0.9, 2).astype(float)
    groups = np.repeat(np.arange(n // 2), 2)
    loose = bootstrap_pgr(labels, weak, w2s, ceiling, n_boot=2_000)
    grouped = bootstrap_pgr(labels, weak, w2s, ceiling, n_boot=2_000, groups=groups)
    assert (grouped.high - grouped.low) / (loose.high - loose.low) == pytest.approx(np.sqrt(2), rel=0.2)
