"""Known answers for PGR, its paired bootstrap CI, and agreement (paper section 5.1)."""

import numpy as np
import pytest

from w2sbench.core.metrics import (
    MIN_GAP,
    accuracy,
    agreement,
    auroc,
    bootstrap_pgr,
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
    assert ci.low is None and ci.high is None
