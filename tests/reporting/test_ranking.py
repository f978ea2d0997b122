"""Holm's correction and the paired bootstrap p on known answers."""

import numpy as np
import pytest

from w2sbench.reporting.ranking import detectable_vs, holm, paired_p, rank


def test_holm_on_known_p_values():
    # sorted 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04 -> monotone 0.06)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # 0.5 x 2 = 1.0; 0.9 x 1 is raised to stay monotone
    assert holm([]) == []


def test_paired_p_counts_the_smaller_tail_with_the_plus_one_correction():
    # a - b = 1, 2, -1, 3, 0: two at or below 0, four at or above -> 2 * (2 + 1) / (5 + 1)
    assert paired_p(np.array([1, 2, -1, 3, 0.0]), np.zeros(5)) == pytest.approx(1.0)
    assert paired_p(np.arange(1, 10.0), np.zeros(9)) == pytest.approx(2 / 10)  # smallest attainable
    # resamples where a gap vanished (nan) are left out of the test
    assert paired_p(np.array([1.0, 2, np.nan, 3]), np.zeros(4)) == pytest.approx(2 / 4)


def test_rank_is_one_plus_the_number_significantly_better():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, 2000)
    samples = {"a": 0.5 + noise, "b": 0.4 + noise, "c": 0.4 + noise[::-1], "d": 0.45 + rng.normal(0, 1, 2000)}
    points = {n: float(np.mean(s)) for n, s in samples.items()}
    r = rank(points, samples)
    # a beats b and c on every resample; b and c differ by noise; d is too noisy to separate from anyone
    assert r.ranks == {"a": 1, "b": 2, "c": 2, "d": 1}
    assert r.n_comparisons == 6 and r.n_boot == 2000
    i, j = r.names.index("a"), r.names.index("b")
    assert r.better[i][j] and not r.better[j][i] and r.p[i][j] == r.p[j][i] < 0.05


def test_a_call_that_depends_on_the_monte_carlo_draw_is_not_claimed():
    n = 2000
    # a beats c on all but 39 resamples: p = 2 * 40 / 2001 = 0.040 < 0.05, but its Monte Carlo error
    # (2 * sqrt(0.0195 * 0.9805 / 2000) = 0.0062) puts p + 3 se = 0.058 over 0.05: not claimed
    c = np.zeros(n)
    a = np.ones(n)
    a[:39] = -1
    r = rank({"a": 1.0, "c": 0.0}, {"a": a, "c": c})
    assert r.p[0][1] == pytest.approx(80 / 2001)
    assert r.ranks == {"a": 1, "c": 1} and r.draw_dependent == [("a", "c")]
    # on all but 5: p = 0.006, p + 3 se = 0.0127: claimed, nothing draw-dependent
    a[5:39] = 1
    r = rank({"a": 1.0, "c": 0.0}, {"a": a, "c": c})
    assert r.ranks == {"a": 1, "c": 2} and r.draw_dependent == []


def test_power_is_the_normal_detectable_difference_of_the_paired_spread():
    """Differences to the reference spread with sd 0.1: (1.960 + 0.842) * 0.1 at one test, and with
    Holm's first threshold over 10 comparisons (0.05 / 10, two-sided) (2.807 + 0.842) * 0.1."""
    rng = np.random.default_rng(0)
    ref = rng.normal(0.5, 0.3, 40_000)
    samples = {"naive": ref, "a": ref + rng.normal(0, 0.1, ref.size), "b": ref + 0.2 + rng.normal(0, 0.1, ref.size)}
    samples["a"][:10] = np.nan  # resamples where a gap vanished are left out
    p = detectable_vs(samples, "naive", 10)
    assert p.n == 2 and p.n_comparisons == 10
    assert p.single == pytest.approx(0.2802, abs=0.004)
    assert p.corrected == pytest.approx(0.3649, abs=0.005)


def test_power_needs_another_entry_with_a_spread():
    ref = np.linspace(0, 1, 100)
    assert detectable_vs({"naive": ref}, "naive", 1) is None
    assert detectable_vs({"naive": ref, "same": ref.copy()}, "naive", 1) is None
