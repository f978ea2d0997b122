import numpy as np
import pytest

from tests.methods.conftest import RecordingStudent, context
from w2sbench.methods.api import make_method


def test_without_intermediate_rungs_bootstrap_is_naive():
    weak = [0.9, 0.3, 0.6]
    boot, naive = RecordingStudent(), RecordingStudent()
    make_method("bootstrap").fit(context(boot, weak))
    make_method("naive").fit(context(naive, weak))
    assert len(boot.calls) == len(naive.calls) == 1
    assert boot.calls[0]["targets"].tolist() == naive.calls[0]["targets"].tolist() == weak
    assert boot.calls[0]["loss"] is naive.calls[0]["loss"]


def test_each_rung_labels_the_next_on_transfer():
    weak = [0.9, 0.3, 0.6, 0.2]
    mid1 = RecordingStudent("mid1", output=lambda ids: np.full(len(ids), 0.8))
    mid2 = RecordingStudent("mid2", output=lambda ids: np.array([0.1 * (i + 1) for i in range(len(ids))]))
    strong = RecordingStudent()
    make_method("bootstrap").fit(context(strong, weak, intermediates=(mid1, mid2)))
    assert mid1.calls[0]["targets"].tolist() == weak
    assert mid2.calls[0]["targets"].tolist() == [0.8] * 4
    assert strong.calls[0]["targets"].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert all(c["inputs"].ids == ("t0", "t1", "t2", "t3") for s in (mid1, mid2, strong) for c in s.calls)


def test_hard_relabelling_and_cross_fitting():
    weak = [0.9, 0.3, 0.6, 0.2, 0.7, 0.1]
    by_id = {f"t{i}": v for i, v in enumerate([0.7, 0.4, 0.55, 0.45, 0.9, 0.2])}
    mid = RecordingStudent("mid", output=lambda ids: np.array([by_id[i] for i in ids]))
    strong = RecordingStudent()
    make_method("bootstrap", {"folds": 2, "hard": True}).fit(context(strong, weak, intermediates=(mid,)))
    assert len(mid.calls) == 2
    train_a, train_b = (set(c["inputs"].ids) for c in mid.calls)
    assert not train_a & train_b and len(train_a | train_b) == 6  # each fold trains on the other folds
    assert strong.calls[0]["targets"].tolist() == [1, 0, 1, 0, 1, 0]
