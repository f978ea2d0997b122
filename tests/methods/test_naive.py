import math

import numpy as np
import pytest
import torch

from tests.methods.conftest import RecordingStudent, context
from w2sbench.methods.api import make_method


def test_naive_soft_trains_on_the_weak_probabilities_and_hard_on_their_threshold():
    weak = [0.9, 0.6, 0.5, 0.2]
    soft, hard = RecordingStudent(), RecordingStudent()
    make_method("naive").fit(context(soft, weak))
    make_method("naive", {"hard": True}).fit(context(hard, weak))
    assert soft.calls[0]["targets"].tolist() == weak
    assert hard.calls[0]["targets"].tolist() == [1.0, 1.0, 0.0, 0.0]  # 0.5 is not above 0.5
    # same loss, different value on a tiny tensor: CE at p = .5 is log 2 for any target, so use p = .75
    logits = torch.tensor([[0.0, math.log(3.0)]] * 4)
    loss_soft = soft.calls[0]["loss"](logits, torch.tensor(weak), 0.0).item()
    loss_hard = hard.calls[0]["loss"](logits, torch.tensor([1.0, 1.0, 0.0, 0.0]), 0.0).item()
    ce = lambda q: -(q * math.log(0.75) + (1 - q) * math.log(0.25))  # noqa: E731
    assert loss_soft == pytest.approx(np.mean([ce(q) for q in weak]), abs=1e-6)
    assert loss_hard == pytest.approx(np.mean([ce(q) for q in (1, 1, 0, 0)]), abs=1e-6)
