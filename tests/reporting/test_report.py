"""The run's summary table: the shared estimator, the hierarchical interval and its vanished share."""

import numpy as np
import pytest

from tests.reporting.records import correct_on, record
from w2sbench.reporting.report import format_pgr, summarize, summary_table

N = 200


def records(ceiling: int, seeds=(0, 1)):
    labels = np.ones(N, dtype=int)
    first = lambda k: np.arange(N) < k  # noqa: E731
    return [
        record(
            "t",
            s,
            labels,
            correct_on(labels, first(140)),
            correct_on(labels, first(144 + 2 * s)),
            correct_on(labels, first(ceiling)),
        )
        for s in seeds
    ]


def test_summary_uses_the_ratio_of_seed_means():
    [s] = summarize(records(180))
    # weak 0.70, w2s (0.72 + 0.73) / 2, ceiling 0.90
    assert s.pgr == pytest.approx((0.725 - 0.70) / 0.20) and s.seeds == (0, 1)
    assert s.pgr_ci.low < s.pgr < s.pgr_ci.high and s.pgr_ci.vanished == 0.0


def test_a_gap_that_vanishes_in_some_resamples_is_reported():
    [s] = summarize(records(148))  # gap 0.04 on 200 examples: under 0.02 on a few percent of resamples
    assert 0 < s.pgr_ci.vanished < 0.5
    assert f"gap vanished in {s.pgr_ci.vanished:.0%} of resamples" in format_pgr(s)
    assert "gap vanished" in summary_table([s])
