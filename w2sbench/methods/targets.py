"""Losses that change what the student is pulled toward: the product-of-experts target and
reverse cross-entropy."""

from __future__ import annotations

from dataclasses import dataclass

from w2sbench.core.losses import ProductTarget, ReverseCrossEntropy, soft_cross_entropy
from w2sbench.methods._common import LossMethod, check_range
from w2sbench.methods.api import register


@register
@dataclass(frozen=True)
class ProductLoss(LossMethod):
    """Bootstrapped product target: CE(p, sg(q)), q ∝ p^beta * weak^alpha.

    The student is pulled toward the product of its own and the weak supervisor's beliefs, so
    it keeps what it is confident of. Defaults alpha = beta = 1 are openai/weak-to-strong's
    ``product_loss_fn`` (whose warmup_frac argument is unused, hence absent here). EleutherAI/w2s
    has no product loss on main (research/anchors.md 2.4). No published results were found for
    it (research/literature.md).
    """

    name = "product-loss"
    citation = (
        "openai/weak-to-strong, weak_to_strong/loss.py product_loss_fn (release of Burns et al. 2023, arXiv:2312.09390)"
    )
    uses = (ProductTarget, soft_cross_entropy)
    alpha: float = 1.0
    beta: float = 1.0

    def __post_init__(self):
        check_range(self.name, "alpha", self.alpha, 0.0, float("inf"))
        check_range(self.name, "beta", self.beta, 0.0, float("inf"))

    def loss(self) -> ProductTarget:
        return ProductTarget(self.alpha, self.beta)


@register
@dataclass(frozen=True)
class ReverseCE(LossMethod):
    """Forward plus reverse cross-entropy to the weak labels: (1 - weight) CE + weight RCE.

    RCE(p, weak) = -sum_k p_k max(log weak_k, log_floor), the student's prediction p
    differentiated.

    Xu et al. show reverse CE is less sensitive to the teacher's predictive uncertainty and
    report that incorporating it improves students. Their exact weighting is not confirmed
    here (research/literature.md marks the details UNCONFIRMED): weight 0.5 is this harness's
    default, weight 1 is pure reverse CE. log_floor -4 is the usual symmetric-CE clamp.
    """

    name = "reverse-ce"
    citation = (
        "Xu, Yao, Wang, Liu 2025, On the Emergence of Weak-to-Strong Generalization: "
        "A Bias-Variance Perspective, arXiv:2505.24313"
    )
    uses = (ReverseCrossEntropy, soft_cross_entropy)
    weight: float = 0.5
    log_floor: float = -4.0

    def __post_init__(self):
        check_range(self.name, "weight", self.weight, 0.0, 1.0)
        check_range(self.name, "log_floor", self.log_floor, float("-inf"), 0.0)

    def loss(self) -> ReverseCrossEntropy:
        return ReverseCrossEntropy(self.weight, self.log_floor)
