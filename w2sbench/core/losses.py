"""Losses of the probe and fine-tuning regimes, on two-class logits and soft targets.

A loss is ``loss(logits, targets, progress) -> scalar``: logits (n, 2); targets (n,) the
probability of class 1 (soft weak labels, or 0/1 ground truth); progress in [0, 1], the
fraction of training done (for warm-up schedules). Methods add their own losses beside these.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def two_class(targets: torch.Tensor) -> torch.Tensor:
    return torch.stack([1 - targets, targets], dim=-1)


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, progress: float = 0.0) -> torch.Tensor:
    """Cross-entropy to soft targets, the paper's naive weak-to-strong loss."""
    return -(two_class(targets) * F.log_softmax(logits, dim=-1)).sum(-1).mean()


# ---------------------------------------------------------------------------------------------
# Losses of the reference methods. Each is a frozen dataclass (its fields are the method's
# parameters) called as loss(logits, targets, progress). Targets are P(class 1) throughout.
# ---------------------------------------------------------------------------------------------


def linear_warmup(progress: float, alpha_max: float, warmup: float) -> float:
    """alpha_max * min(1, progress / warmup): the paper's warm-up (and openai PR #33's fix)."""
    if warmup <= 0:
        return alpha_max
    return alpha_max * min(1.0, progress / warmup)


def openai_logconf_coef(progress: float, aux_coef: float = 0.5, warmup_frac: float = 0.1) -> float:
    """openai/weak-to-strong HEAD's logconf coefficient, bug included (research/anchors.md 1.4):
    ``coef = 1.0 if step_frac > warmup_frac else step_frac``, times aux_coef. It rises to only
    aux_coef * warmup_frac (0.05) during warm-up, then jumps to aux_coef (0.5)."""
    return aux_coef * (1.0 if progress > warmup_frac else progress)


def harden_to_prior(p1: torch.Tensor, prior: float | torch.Tensor) -> torch.Tensor:
    """Harden predictions so the fraction labelled 1 is ``prior`` (to the nearest example).

    The round(prior * n) examples with the highest P(class 1) become 1, the rest 0; ties go to
    the earlier example. This is the adaptive threshold of the paper's confidence loss: the
    batch quantile of the student's predictions matched to the weak labels' class balance.
    """
    n = p1.shape[0]
    k = int(torch.round(torch.as_tensor(prior, dtype=torch.float64) * n).item())
    hard = torch.zeros_like(p1)
    if k > 0:
        order = torch.argsort(p1.detach(), descending=True, stable=True)
        hard[order[:k]] = 1.0
    return hard


def openai_harden(p1: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """openai/weak-to-strong's hardening, verbatim in effect: t = quantile(P(class 0), mean weak
    P(class 1)) with linear interpolation; an example is hardened to class 1 iff P(class 0) < t."""
    p0 = 1 - p1.detach().float()
    threshold = torch.quantile(p0, targets.float().mean())
    return (p0 < threshold).to(p1.dtype)


@dataclass(frozen=True)
class AuxConfidence:
    """The auxiliary confidence loss (Burns et al. 2023, section 4.3.2, eq. 1):

        L = CE(p, (1 - a) * y + a * sg(h)),  h = the student's own predictions hardened
                                               (harden_to_prior, prior = mean weak P(class 1))

    with a = alpha_max * min(1, progress / warmup). CE is linear in its target, so this equals
    (1 - a) CE(p, y) + a CE(p, h), the paper's form.
    """

    alpha_max: float = 0.75
    warmup: float = 0.2

    def alpha(self, progress: float) -> float:
        return linear_warmup(progress, self.alpha_max, self.warmup)

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor, progress: float = 0.0) -> torch.Tensor:
        p1 = torch.softmax(logits.float(), -1)[:, 1]
        hard = harden_to_prior(p1, targets.float().mean()).detach()
        a = self.alpha(progress)
        return soft_cross_entropy(logits.float(), (1 - a) * targets.float() + a * hard)


@dataclass(frozen=True)
class OpenAILogConf:
    """openai/weak-to-strong's released ``logconf_loss_fn`` (aux_coef 0.5, warmup_frac 0.1):
    the same mixture as AuxConfidence, with openai_logconf_coef's jumping schedule and
    openai_harden's interpolated-quantile threshold. For comparison with the paper's form."""

    aux_coef: float = 0.5
    warmup_frac: float = 0.1

    def alpha(self, progress: float) -> float:
        return openai_logconf_coef(progress, self.aux_coef, self.warmup_frac)

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor, progress: float = 0.0) -> torch.Tensor:
        p1 = torch.softmax(logits.float(), -1)[:, 1]
        hard = openai_harden(p1, targets).detach()
        a = self.alpha(progress)
        return soft_cross_entropy(logits.float(), (1 - a) * targets.float() + a * hard)


@dataclass(frozen=True)
class ProductTarget:
    """openai/weak-to-strong's ``product_loss_fn``: CE(p, sg(q)) with q ∝ p^beta * y^alpha.

    Computed in log space; y is clamped at 1e-12 so a hard 0/1 label with alpha > 0 gives a
    finite target (the product with an exactly-zero class is zero either way).
    """

    alpha: float = 1.0
    beta: float = 1.0

    def target(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits.float(), -1)
        log_y = torch.log(two_class(targets.float()).clamp_min(1e-12))
        return torch.softmax(self.beta * log_p + self.alpha * log_y, -1)[:, 1].detach()

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor, progress: float = 0.0) -> torch.Tensor:
        return soft_cross_entropy(logits.float(), self.target(logits, targets))


@dataclass(frozen=True)
class ReverseCrossEntropy:
    """(1 - weight) * CE(y, p) + weight * RCE(p, y), RCE = -sum_k p_k * max(log y_k, log_floor).

    Reverse cross-entropy swaps the roles: the student's prediction p (with its gradient)
    weights the log of the weak label. log_floor (Wang et al.'s symmetric-CE convention, A = -4)
    keeps hard labels finite. weight = 1 is pure reverse CE.
    """

    weight: float = 0.5
    log_floor: float = -4.0

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor, progress: float = 0.0) -> torch.Tensor:
        p = torch.softmax(logits.float(), -1)
        log_y = torch.log(two_class(targets.float())).clamp_min(self.log_floor)
        rce = -(p * log_y).sum(-1).mean()
        return (1 - self.weight) * soft_cross_entropy(logits.float(), targets.float()) + self.weight * rce


@dataclass(frozen=True)
class ConfidenceWeighted:
    """Cross-entropy with each example weighted by its weak label's confidence |2y - 1|^power,
    normalised by the batch's total weight (a batch of 0.5 labels contributes nothing)."""

    power: float = 1.0

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor, progress: float = 0.0) -> torch.Tensor:
        y = targets.float()
        w = (2 * y - 1).abs() ** self.power
        ce = -(two_class(y) * F.log_softmax(logits.float(), -1)).sum(-1)
        return (w * ce).sum() / w.sum().clamp_min(1e-8)


@dataclass(frozen=True)
class AdaptiveConfidence:
    """AdaptConf (Guo et al. 2024), as released in ggjy/vision_weak_to_strong, ground-truth term removed:

        L = mean_i[(1 - a_i) KL(y_i || p_i) + a_i CE(p_i, argmax p_i)],
        a_i = sg(e^{c_s/T} / (e^{c_s/T} + e^{c_w/T})),  c_s = CE(p_i, argmax p_i), c_w = CE(p_i, argmax y_i)

    (the distillation temperature is 1). Where student and weak labels agree, a_i = 1/2; where
    they disagree, the released weighting puts *more* weight on the weak label the more
    confident the student is (c_s < c_w), as the code does.
    """

    temperature: float = 0.5

    def weights(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits.float(), -1)
        own = log_p.argmax(-1)
        weak = (targets > 0.5).long()
        c_self = -log_p.gather(1, own[:, None])[:, 0]
        c_weak = -log_p.gather(1, weak[:, None])[:, 0]
        # e^{a}/(e^{a}+e^{b}) = sigmoid(a - b), computed stably
        return torch.sigmoid((c_self - c_weak) / self.temperature).detach()

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor, progress: float = 0.0) -> torch.Tensor:
        log_p = F.log_softmax(logits.float(), -1)
        y = two_class(targets.float())
        kl = (torch.xlogy(y, y) - y * log_p).sum(-1)
        own = -log_p.gather(1, log_p.argmax(-1, keepdim=True))[:, 0]
        a = self.weights(logits, targets)
        return ((1 - a) * kl + a * own).mean()


def entropy(logits: torch.Tensor) -> torch.Tensor:
    """Mean entropy H(p) of the predictions, differentiable (no stop-gradient anywhere)."""
    log_p = F.log_softmax(logits.float(), -1)
    return -(log_p.exp() * log_p).sum(-1).mean()


@dataclass(frozen=True)
class EntropyRegularized:
    """(1 - a) CE(y, p) + a H(p), a warmed up like the confidence loss.

    This is what EleutherAI/w2s's "entropy" loss intends (CE(p, (1 - a) y + a p) with p *not*
    detached). Their code detaches p, which makes the auxiliary term's gradient zero and the
    loss a rescaled cross-entropy (research/anchors.md 2.4); here H(p) keeps its gradient.
    """

    alpha_max: float = 0.5
    warmup: float = 0.2

    def __call__(self, logits: torch.Tensor, targets: torch.Tensor, progress: float = 0.0) -> torch.Tensor:
        a = linear_warmup(progress, self.alpha_max, self.warmup)
        return (1 - a) * soft_cross_entropy(logits.float(), targets.float()) + a * entropy(logits)
