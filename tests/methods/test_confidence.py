import math

import pytest
import torch

from tests.methods.conftest import RecordingStudent, context
from w2sbench.core.errors import W2SError
from w2sbench.core.losses import (
    AdaptiveConfidence,
    AuxConfidence,
    EntropyRegularized,
    OpenAILogConf,
)
from w2sbench.methods.api import make_method

LOGITS = torch.tensor([[0.0, 0.0], [0.0, math.log(3.0)]])  # p1 = .5, .75
WEAK = torch.tensor([1.0, 0.0])


def ce(q1, p1):
    return -(q1 * math.log(p1) + (1 - q1) * math.log(1 - p1))


def trained_loss(name, params=None):
    student = RecordingStudent()
    make_method(name, params).fit(context(student, [0.9, 0.1, 0.7]))
    [call] = student.calls
    assert call["targets"].tolist() == [0.9, 0.1, 0.7]  # every confidence method trains on the weak labels
    return call["loss"]


def test_aux_conf_trains_with_the_papers_loss_and_its_parameters():
    loss = trained_loss("aux-conf", {"alpha_max": 0.5, "warmup": 0.5})
    assert loss == AuxConfidence(alpha_max=0.5, warmup=0.5)
    # progress .25 of warm-up .5 -> a = .25; the second example is hardened to 1: targets (.75, .25)
    assert loss(LOGITS, WEAK, 0.25).item() == pytest.approx((ce(0.75, 0.5) + ce(0.25, 0.75)) / 2, abs=1e-6)
    assert loss.alpha(1.0) == 0.5


def test_aux_conf_defaults_are_the_papers():
    assert make_method("aux-conf").params() == {"alpha_max": 0.75, "warmup": 0.2}


def test_aux_conf_openai_reproduces_the_released_jump():
    loss = trained_loss("aux-conf-openai")
    assert loss == OpenAILogConf(aux_coef=0.5, warmup_frac=0.1)
    alphas = [loss.alpha(s) for s in (0.0, 0.05, 0.1, 0.11, 0.5)]
    assert alphas == pytest.approx([0.0, 0.025, 0.05, 0.5, 0.5])
    assert loss(LOGITS, WEAK, 0.11).item() == pytest.approx((ce(0.5, 0.5) + ce(0.5, 0.75)) / 2, abs=1e-6)


def test_adaptconf_uses_no_ground_truth_term():
    loss = trained_loss("adaptconf", {"temperature": 1.0})
    assert loss == AdaptiveConfidence(temperature=1.0)
    # one example agreeing with its weak label: a = 1/2, loss = (KL(y||p) + CE(p, own)) / 2
    logits, weak = torch.tensor([[0.0, math.log(3.0)]]), torch.tensor([1.0])
    expected = 0.5 * -math.log(0.75) + 0.5 * -math.log(0.75)
    assert loss(logits, weak).item() == pytest.approx(expected, abs=1e-6)


def test_entropy_reg_is_differentiable_entropy():
    loss = trained_loss("entropy-reg")
    assert loss == EntropyRegularized(alpha_max=0.5, warmup=0.2)
    logits = torch.tensor([[0.0, math.log(3.0)]], requires_grad=True)
    loss(logits, torch.tensor([0.75]), 1.0).backward()
    assert logits.grad.abs().sum().item() > 0.1  # the CE part is stationary at y = p; H(p) is not


@pytest.mark.parametrize(
    "name,params",
    [
        ("aux-conf", {"alpha_max": 1.5}),
        ("aux-conf", {"warmup": -0.1}),
        ("aux-conf-openai", {"aux_coef": 2.0}),
        ("adaptconf", {"temperature": 0.0}),
        ("entropy-reg", {"alpha_max": -1.0}),
    ],
)
def test_bad_parameters_are_user_errors(name, params):
    with pytest.raises(W2SError, match=name):
        make_method(name, params)
