import math

import pytest
import torch

from tests.methods.conftest import RecordingStudent, context
from w2sbench.core.errors import W2SError
from w2sbench.core.losses import ProductTarget, ReverseCrossEntropy
from w2sbench.methods.api import make_method


def fitted_loss(name, params=None):
    student = RecordingStudent()
    make_method(name, params).fit(context(student, [0.4, 0.9]))
    [call] = student.calls
    assert call["targets"].tolist() == [0.4, 0.9]
    return call["loss"]


def test_product_loss_defaults_and_tiny_tensor():
    loss = fitted_loss("product-loss")
    assert loss == ProductTarget(alpha=1.0, beta=1.0)
    logits = torch.tensor([[0.0, math.log(3.0)]])  # p = (.25, .75), weak .4 -> q1 = .3 / .45 = 2/3
    expected = -(2 / 3 * math.log(0.75) + 1 / 3 * math.log(0.25))
    assert loss(logits, torch.tensor([0.4])).item() == pytest.approx(expected, abs=1e-6)


def test_reverse_ce_weight_one_is_pure_reverse_ce():
    loss = fitted_loss("reverse-ce", {"weight": 1.0})
    assert loss == ReverseCrossEntropy(weight=1.0, log_floor=-4.0)
    logits = torch.tensor([[0.0, math.log(3.0)]])
    expected = -(0.25 * math.log(0.6) + 0.75 * math.log(0.4))
    assert loss(logits, torch.tensor([0.4])).item() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "name,params",
    [("product-loss", {"alpha": -1.0}), ("reverse-ce", {"weight": 1.5}), ("reverse-ce", {"log_floor": 1.0})],
)
def test_bad_parameters_are_user_errors(name, params):
    with pytest.raises(W2SError, match=name):
        make_method(name, params)
