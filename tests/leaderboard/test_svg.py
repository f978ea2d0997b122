"""Number formatting on the boards (w2sbench.leaderboard.svg.fmt): a negative bound that rounds to
zero keeps its sign, so an interval [-0.004, 0.12] never reads as if it excluded zero."""

import math

from w2sbench.leaderboard.svg import fmt


def test_a_negative_value_that_rounds_to_zero_keeps_its_sign():
    assert fmt(-0.004) == "-0.00"
    assert fmt(-0.0) == "0.00" and fmt(0.0) == "0.00" and fmt(0.004) == "0.00"
    assert fmt(-0.126) == "-0.13" and fmt(0.126, 3) == "0.126"
    assert fmt(None) == "n/a" and fmt(math.nan) == "n/a"
