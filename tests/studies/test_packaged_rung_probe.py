"""The packaged-rung probe (studies/packaged_rung_probe.py): correctness at 0.5, and the paired
interval resampling whole groups (known answers on constructed rows)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from studies import packaged_rung_probe as S


def test_accuracy_thresholds_at_one_half():
    got = S.accuracy(np.array([1, 0, 1, 0]), np.array([0.9, 0.4, 0.5, 0.6]))
    assert got.tolist() == [1.0, 1.0, 0.0, 0.0]  # 0.5 is not class 1


def test_paired_interval_is_the_mean_difference_when_every_resample_agrees():
    a, b = np.ones(50), np.zeros(50)
    mean, low, high = S.paired_interval(a, b, None)
    assert (mean, low, high) == (1.0, 1.0, 1.0)


def test_paired_interval_resamples_groups_as_units():
    # two groups: one of 99 examples where a wins, one of 1 where b wins. Resampling examples
    # almost never loses the big group; resampling groups draws only the small one a quarter of
    # the time, when the difference is -1.
    a = np.r_[np.ones(99), 0.0]
    b = np.r_[np.zeros(99), 1.0]
    groups = np.r_[np.zeros(99, dtype=int), 1]
    mean, low, high = S.paired_interval(a, b, groups)
    assert mean == pytest.approx(0.98)
    assert low == -1.0 and high == 1.0
    assert S.paired_interval(a, b, None)[1] > 0.9


def test_the_probe_refuses_a_reported_seed(tmp_path):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    result = CliRunner().invoke(S.main, ["--gguf", str(gguf), "--seed", "0"])
    assert result.exit_code == 2 and "unreported seeds" in result.output
