"""Confidence-based losses: the paper's auxiliary confidence loss, openai's released variant,
AdaptConf, and a (correct) entropy regulariser."""

from __future__ import annotations

from dataclasses import dataclass

from w2sbench.core.losses import (
    AdaptiveConfidence,
    AuxConfidence,
    EntropyRegularized,
    OpenAILogConf,
    harden_to_prior,
    linear_warmup,
    openai_harden,
    openai_logconf_coef,
    soft_cross_entropy,
)
from w2sbench.methods._common import LossMethod, check_range
from w2sbench.methods.api import register


@register
@dataclass(frozen=True)
class AuxConf(LossMethod):
    """Auxiliary confidence loss (Burns et al. 2023, section 4.3.2, eq. 1).

    Cross-entropy to (1 - a) * weak + a * sg(hardened student prediction). The hardening
    threshold is adaptive: per batch, the round(m * n) most positive predictions become 1,
    m being the batch's mean weak P(class 1). a ramps linearly from 0 to alpha_max over the
    first ``warmup`` fraction of training (paper: alpha_max 0.75 for the largest students,
    0.5 otherwise, warm-up about 20%; research/anchors.md section 0). See aux-conf-openai for
    the released code's schedule.
    """

    name = "aux-conf"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, section 4.3.2"
    uses = (AuxConfidence, harden_to_prior, linear_warmup, soft_cross_entropy)
    alpha_max: float = 0.75
    warmup: float = 0.2

    def __post_init__(self):
        check_range(self.name, "alpha_max", self.alpha_max, 0.0, 1.0)
        check_range(self.name, "warmup", self.warmup, 0.0, 1.0)

    def loss(self) -> AuxConfidence:
        return AuxConfidence(self.alpha_max, self.warmup)


@register
@dataclass(frozen=True)
class AuxConfOpenAI(LossMethod):
    """openai/weak-to-strong's released ``logconf`` loss, reproduced for comparison.

    Same mixture as aux-conf, but with the released schedule: a = aux_coef * progress while
    progress <= warmup_frac, then aux_coef. With the defaults a rises only to 0.05 over the
    first 10% of training and then jumps to 0.5 (openai/weak-to-strong PR #33, open). The
    threshold is torch.quantile of P(class 0) at the mean weak P(class 1), interpolated.
    """

    name = "aux-conf-openai"
    citation = (
        "openai/weak-to-strong, weak_to_strong/loss.py logconf_loss_fn (the release of "
        "Burns et al. 2023, arXiv:2312.09390); warm-up behaviour: its PR #33"
    )
    uses = (OpenAILogConf, openai_harden, openai_logconf_coef, soft_cross_entropy)
    aux_coef: float = 0.5
    warmup_frac: float = 0.1

    def __post_init__(self):
        check_range(self.name, "aux_coef", self.aux_coef, 0.0, 1.0)
        check_range(self.name, "warmup_frac", self.warmup_frac, 0.0, 1.0)

    def loss(self) -> OpenAILogConf:
        return OpenAILogConf(self.aux_coef, self.warmup_frac)


@register
@dataclass(frozen=True)
class AdaptConf(LossMethod):
    """AdaptConf (Guo et al. 2024, Vision Superalignment) with its ground-truth term removed.

    Per example, a_i = sg(softmax over [CE(p, own argmax)/T, CE(p, weak argmax)/T])[0]; the loss
    is (1 - a_i) KL(weak || p) + a_i CE(p, own argmax). The released code also adds a
    ground-truth cross-entropy (--gt-loss-weight 1.0 by default), which would make this
    supervised; it is left out (research/literature.md section 4, pitfall 3a). temperature is
    the code's --superalignment-threshold (0.5 in its CIFAR commands).
    """

    name = "adaptconf"
    citation = (
        "Guo et al. 2024, Vision Superalignment: Weak-to-Strong Generalization for Vision "
        "Foundation Models, arXiv:2402.03749 (code ggjy/vision_weak_to_strong, GT term removed)"
    )
    uses = (AdaptiveConfidence,)
    temperature: float = 0.5

    def __post_init__(self):
        check_range(self.name, "temperature", self.temperature, 1e-6, float("inf"))

    def loss(self) -> AdaptiveConfidence:
        return AdaptiveConfidence(self.temperature)


@register
@dataclass(frozen=True)
class EntropyReg(LossMethod):
    """Entropy minimisation: (1 - a) CE(weak, p) + a H(p), a warmed up from 0 to alpha_max.

    The loss EleutherAI/w2s's "entropy" option intends; its code detaches p, so there the
    auxiliary term has zero gradient (research/anchors.md 2.4). Here H(p) is differentiated.
    Lower student entropy is also what Xu et al. 2025 (arXiv:2505.24313) suggest helps.
    """

    name = "entropy-reg"
    citation = (
        "EleutherAI blog 2024, Experiments in Weak-to-Strong Generalization (entropy loss, "
        "implemented here with the true entropy gradient)"
    )
    uses = (EntropyRegularized, linear_warmup, soft_cross_entropy)
    alpha_max: float = 0.5
    warmup: float = 0.2

    def __post_init__(self):
        check_range(self.name, "alpha_max", self.alpha_max, 0.0, 1.0)
        check_range(self.name, "warmup", self.warmup, 0.0, 1.0)

    def loss(self) -> EntropyRegularized:
        return EntropyRegularized(self.alpha_max, self.warmup)
