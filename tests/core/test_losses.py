import math

import pytest
import torch

from w2sbench.core.losses import soft_cross_entropy


def test_soft_cross_entropy_on_a_tiny_tensor():
    logits = torch.tensor([[0.0, 0.0], [0.0, math.log(3.0)]])
    targets = torch.tensor([1.0, 0.25])
    # row 1: p = (.5, .5) -> -log .5; row 2: p = (.25, .75) -> -(.75 log .25 + .25 log .75)
    expected = (math.log(2) - (0.75 * math.log(0.25) + 0.25 * math.log(0.75))) / 2
    assert soft_cross_entropy(logits, targets).item() == pytest.approx(expected, abs=1e-6)


# --- losses of the reference methods, against hand-computed values --------------------------------

from w2sbench.core.losses import (  # noqa: E402
    AdaptiveConfidence,
    AuxConfidence,
    ConfidenceWeighted,
    EntropyRegularized,
    OpenAILogConf,
    ProductTarget,
    ReverseCrossEntropy,
    entropy,
    harden_to_prior,
    linear_warmup,
    openai_harden,
    openai_logconf_coef,
)

LN3 = math.log(3.0)


def ce(q1: float, p1: float) -> float:
    """Hand cross-entropy of prediction p1 against target q1 (both P(class 1))."""
    return -(q1 * math.log(p1) + (1 - q1) * math.log(1 - p1))


def test_linear_warmup_ramps_then_holds():
    assert linear_warmup(0.0, 0.75, 0.2) == 0.0
    assert linear_warmup(0.1, 0.75, 0.2) == pytest.approx(0.375)
    assert linear_warmup(0.2, 0.75, 0.2) == pytest.approx(0.75)
    assert linear_warmup(0.9, 0.75, 0.2) == pytest.approx(0.75)
    assert linear_warmup(0.0, 0.75, 0.0) == 0.75  # no warm-up: full weight at once


def test_openai_schedule_jumps_instead_of_ramping():
    """openai/weak-to-strong PR #33: coef = step_frac (not step_frac / warmup_frac) during warm-up."""
    assert openai_logconf_coef(0.05) == pytest.approx(0.025)
    assert openai_logconf_coef(0.1) == pytest.approx(0.05)  # the most it reaches during warm-up
    assert openai_logconf_coef(0.1001) == pytest.approx(0.5)  # then a jump, 10x
    assert openai_logconf_coef(1.0) == pytest.approx(0.5)


def test_harden_to_prior_matches_the_weak_class_balance():
    p1 = torch.tensor([0.9, 0.2, 0.6, 0.4])
    assert harden_to_prior(p1, 0.5).tolist() == [1, 0, 1, 0]
    assert harden_to_prior(p1, 0.25).tolist() == [1, 0, 0, 0]
    assert harden_to_prior(p1, 0.75).tolist() == [1, 0, 1, 1]
    assert harden_to_prior(p1, 0.0).tolist() == [0, 0, 0, 0]
    # the fraction hardened to 1 is the prior, to the nearest example, for any batch size
    for n in (1, 3, 7, 32):
        p = torch.rand(n, generator=torch.Generator().manual_seed(n))
        for prior in (0.1, 0.3, 0.5, 0.9):
            assert harden_to_prior(p, prior).sum().item() == round(prior * n)


def test_openai_quantile_hardens_fewer_than_the_prior_on_odd_batches():
    """With 3 examples and weak mass 0.5 the interpolated quantile hardens 1 of 3 to class 1;
    the paper's rule (aux-conf) hardens round(1.5) = 2. On 4 examples both harden 2."""
    p1 = torch.tensor([0.9, 0.6, 0.2])
    weak = torch.tensor([1.0, 0.0, 0.5])
    assert openai_harden(p1, weak).tolist() == [1, 0, 0]
    assert harden_to_prior(p1, weak.mean()).tolist() == [1, 1, 0]
    p1 = torch.tensor([0.9, 0.6, 0.2, 0.4])
    weak = torch.tensor([1.0, 0.0, 1.0, 0.0])
    assert openai_harden(p1, weak).tolist() == harden_to_prior(p1, weak.mean()).tolist() == [1, 1, 0, 0]


def test_aux_confidence_on_a_tiny_tensor():
    # p1 = (.5, .75); weak (1, 0), mean .5 -> one hardened positive: the second example.
    # progress .1 of warm-up .2 -> a = .375; targets (.625, .375).
    logits = torch.tensor([[0.0, 0.0], [0.0, LN3]], requires_grad=True)
    targets = torch.tensor([1.0, 0.0])
    loss = AuxConfidence(alpha_max=0.75, warmup=0.2)(logits, targets, 0.1)
    assert loss.item() == pytest.approx((ce(0.625, 0.5) + ce(0.375, 0.75)) / 2, abs=1e-6)
    loss.backward()
    # gradient of CE(p, q) with q held fixed is (p - q) / n: the hardened part carries no gradient
    expected = torch.tensor([[0.5 - 0.375, 0.5 - 0.625], [0.25 - 0.625, 0.75 - 0.375]]) / 2
    assert torch.allclose(logits.grad, expected, atol=1e-6)
    # at progress 0 it is plain cross-entropy to the weak labels
    assert AuxConfidence()(logits, targets, 0.0).item() == pytest.approx((ce(1, 0.5) + ce(0, 0.75)) / 2, abs=1e-6)


def test_openai_logconf_on_a_tiny_tensor():
    logits = torch.tensor([[0.0, 0.0], [0.0, LN3]])
    targets = torch.tensor([1.0, 0.0])
    # p0 = (.5, .25), quantile .5 -> .375: the second example is hardened to class 1.
    during = OpenAILogConf()(logits, targets, 0.1)  # coef .05
    assert during.item() == pytest.approx((ce(0.95, 0.5) + ce(0.05, 0.75)) / 2, abs=1e-6)
    after = OpenAILogConf()(logits, targets, 0.11)  # coef .5
    assert after.item() == pytest.approx((ce(0.5, 0.5) + ce(0.5, 0.75)) / 2, abs=1e-6)


def test_product_target_on_a_tiny_tensor():
    logits = torch.tensor([[0.0, LN3]], requires_grad=True)  # p = (.25, .75)
    weak = torch.tensor([0.4])
    # q ∝ (.25 * .6, .75 * .4) = (.15, .30) -> q1 = 2/3
    loss = ProductTarget()(logits, weak)
    assert ProductTarget().target(logits, weak).item() == pytest.approx(2 / 3, abs=1e-6)
    assert loss.item() == pytest.approx(ce(2 / 3, 0.75), abs=1e-6)
    loss.backward()  # target detached: gradient p - q
    assert torch.allclose(logits.grad, torch.tensor([[0.25 - 1 / 3, 0.75 - 2 / 3]]), atol=1e-6)
    # beta = 2: (.0625 * .6, .5625 * .4) -> q1 = 6/7
    assert ProductTarget(alpha=1, beta=2).target(logits, weak).item() == pytest.approx(6 / 7, abs=1e-6)
    # hard labels stay finite
    assert torch.isfinite(ProductTarget()(logits, torch.tensor([0.0])))


def test_reverse_cross_entropy_on_a_tiny_tensor():
    logits = torch.tensor([[0.0, LN3]], requires_grad=True)  # p = (.25, .75)
    weak = torch.tensor([0.4])
    rce = -(0.25 * math.log(0.6) + 0.75 * math.log(0.4))
    loss = ReverseCrossEntropy(weight=0.5)(logits, weak)
    assert loss.item() == pytest.approx(0.5 * ce(0.4, 0.75) + 0.5 * rce, abs=1e-6)
    # a hard label: log 0 is clamped at the floor -4, so RCE = -(.25 * -4 + .75 * 0) = 1
    pure = ReverseCrossEntropy(weight=1.0)(logits, torch.tensor([1.0]))
    assert pure.item() == pytest.approx(1.0, abs=1e-6)
    pure.backward()  # the student's prediction is differentiated (d/dz1 of p . log y = .1875 * 4)
    assert logits.grad[0, 1].item() == pytest.approx(-0.1875 * 4, abs=1e-6)


def test_confidence_weighted_on_a_tiny_tensor():
    logits = torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, LN3]])
    weak = torch.tensor([0.9, 0.5, 0.2])  # weights .8, 0, .6
    expected = (0.8 * ce(0.9, 0.5) + 0.6 * ce(0.2, 0.75)) / 1.4
    assert ConfidenceWeighted()(logits, weak).item() == pytest.approx(expected, abs=1e-6)
    assert ConfidenceWeighted()(logits[1:2], weak[1:2]).item() == 0.0  # all-0.5 batch: no signal


def test_adaptive_confidence_on_a_tiny_tensor():
    logits = torch.tensor([[0.0, LN3], [0.0, LN3]])  # both predict class 1 at .75
    weak = torch.tensor([0.9, 0.2])
    # agree -> a = 1/2; disagree -> e^{2 ln(4/3)} / (e^{2 ln(4/3)} + e^{2 ln 4}) = 1/10
    a = AdaptiveConfidence(temperature=0.5).weights(logits, weak)
    assert a.tolist() == pytest.approx([0.5, 0.1], abs=1e-6)
    kl1 = 0.1 * math.log(0.1 / 0.25) + 0.9 * math.log(0.9 / 0.75)
    kl2 = 0.8 * math.log(0.8 / 0.25) + 0.2 * math.log(0.2 / 0.75)
    own = -math.log(0.75)
    expected = ((0.5 * kl1 + 0.5 * own) + (0.9 * kl2 + 0.1 * own)) / 2
    assert AdaptiveConfidence(0.5)(logits, weak).item() == pytest.approx(expected, abs=1e-6)


def test_entropy_regulariser_has_a_real_gradient_unlike_a_detached_self_target():
    """EleutherAI/w2s's "entropy" loss, CE(p, (1-a) y + a sg(p)), has gradient (1-a)(p - y): at y = p
    it is exactly zero. The true H(p) term pushes the prediction toward confidence."""
    logits = torch.tensor([[0.0, LN3]], requires_grad=True)  # p1 = .75
    weak = torch.tensor([0.75])
    loss = EntropyRegularized(alpha_max=0.5, warmup=0.2)(logits, weak, 1.0)
    h = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert loss.item() == pytest.approx(0.5 * h + 0.5 * h, abs=1e-6)  # CE(y, p) = H(p) when y = p
    loss.backward()
    dh = 0.75 * 0.25 * math.log(0.25 / 0.75)  # dH/dz1 = s(1 - s) log((1 - s) / s)
    assert logits.grad[0, 1].item() == pytest.approx(0.5 * dh, abs=1e-6)
    assert logits.grad.abs().sum() > 0.1

    detached = torch.tensor([[0.0, LN3]], requires_grad=True)
    p = torch.softmax(detached, -1)
    target = 0.5 * torch.stack([1 - weak, weak], -1) + 0.5 * p.detach()
    eleuther = -(target * torch.log_softmax(detached, -1)).sum(-1).mean()
    eleuther.backward()
    assert detached.grad.abs().max().item() < 1e-7


def test_entropy_is_differentiable_and_maximal_at_one_half():
    logits = torch.zeros(1, 2, requires_grad=True)
    assert entropy(logits).item() == pytest.approx(math.log(2))
    entropy(logits).backward()
    assert logits.grad.abs().max().item() < 1e-7  # the maximum is a stationary point


@pytest.mark.parametrize(
    "loss",
    [
        AuxConfidence(),
        OpenAILogConf(),
        ProductTarget(),
        ReverseCrossEntropy(),
        ConfidenceWeighted(),
        AdaptiveConfidence(),
        EntropyRegularized(),
    ],
)
def test_every_loss_takes_a_batch_of_one_and_hard_labels(loss):
    for logits, targets in [
        (torch.tensor([[0.3, -0.2]]), torch.tensor([1.0])),
        (torch.randn(5, 2), torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])),
    ]:
        logits = logits.clone().requires_grad_(True)
        value = loss(logits, targets, 0.5)
        assert value.shape == () and torch.isfinite(value)
        value.backward()
        assert torch.isfinite(logits.grad).all()
