import math

import numpy as np
import pytest
import torch

from tests.methods.conftest import RecordingStudent, context
from w2sbench.core.errors import W2SError
from w2sbench.core.losses import ConfidenceWeighted
from w2sbench.methods.api import make_method
from w2sbench.methods.refinement import confident_subset, knn_labels


def test_confident_subset_by_hand():
    weak = np.array([0.95, 0.6, 0.55, 0.1, 0.45, 0.3])
    # positives .95 .6 .55 -> keep round(1.5) = 2: .95, .6; negatives .1 .45 .3 -> .1, .3
    assert confident_subset(weak, 0.5, per_class=True).tolist() == [0, 1, 3, 5]
    # pooled: |2y - 1| = .9 .2 .1 .8 .1 .4 -> top 3: 0, 3, 5
    assert confident_subset(weak, 0.5, per_class=False).tolist() == [0, 3, 5]
    assert confident_subset(weak, 1.0, per_class=True).tolist() == list(range(6))


def test_conf_filter_trains_on_the_confident_subset_only():
    student = RecordingStudent()
    make_method("conf-filter").fit(context(student, [0.95, 0.6, 0.55, 0.1, 0.45, 0.3]))
    [call] = student.calls
    assert call["inputs"].ids == ("t0", "t1", "t3", "t5")
    assert call["targets"].tolist() == [0.95, 0.6, 0.1, 0.3]
    with pytest.raises(W2SError, match="keep"):
        make_method("conf-filter", {"keep": 0.0})


def test_conf_reweight_weights_by_weak_confidence():
    student = RecordingStudent()
    make_method("conf-reweight").fit(context(student, [0.9, 0.5]))
    loss = student.calls[0]["loss"]
    assert loss == ConfidenceWeighted(power=1.0)
    logits = torch.tensor([[0.0, math.log(3.0)], [5.0, -5.0]])
    # the 0.5 label has weight 0: the loss is the first example's CE alone
    assert loss(logits, torch.tensor([0.9, 0.5])).item() == pytest.approx(
        -(0.9 * math.log(0.75) + 0.1 * math.log(0.25)), abs=1e-6
    )


def test_knn_labels_by_hand():
    x = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.5])
    # k = 2, self excluded: 0 -> {1, 2}; 1 -> {0, 2}; 2 -> {1, 0} (tie with 3? no: 1 and 0 are at 1 and 2);
    # 3 -> {4, 2}; 4 -> {3, 2}
    assert knn_labels(x, y, 2).tolist() == pytest.approx([0.5, 1.0, 0.5, 0.75, 0.5])
    assert knn_labels(x, y, 99).tolist() == pytest.approx([(y.sum() - v) / 4 for v in y])  # k capped at n - 1
    assert knn_labels(x, y, 2, block=2).tolist() == knn_labels(x, y, 2).tolist()  # blocking changes nothing


def test_knn_relabel_trains_on_neighbour_labels_of_the_students_features():
    feats = {f"t{i}": np.array([v]) for i, v in enumerate([0.0, 1.0, 2.0, 10.0, 11.0])}
    student = RecordingStudent(features=feats)
    make_method("knn-relabel", {"k": 2}).fit(context(student, [1.0, 0.0, 1.0, 0.0, 0.5]))
    assert student.calls[0]["targets"].tolist() == pytest.approx([0.5, 1.0, 0.5, 0.75, 0.5])
