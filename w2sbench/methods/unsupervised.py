"""A control that learns nothing from the weak labels: an unsupervised probe on strong features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from w2sbench.core.example import Inputs
from w2sbench.methods._common import agreement, check_choice, check_range
from w2sbench.methods.api import Method, MethodContext, register


class DirectionProbe:
    """P(class 1) = sigmoid(sign * ((f(x) - mean) . v - median) / scale) on the student's features."""

    def __init__(self, student, mean, direction, median, scale, sign):
        self.student, self.mean, self.direction = student, mean, direction
        self.median, self.scale, self.sign = median, scale, sign

    def score(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) @ self.direction - self.median) / self.scale

    def __call__(self, inputs: Inputs) -> np.ndarray:
        z = self.sign * self.score(self.student.features(inputs))
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


@register
@dataclass(frozen=True)
class Unsupervised(Method):
    """Control without weak-label training: a principal direction of strong features, median-thresholded.

    The direction is fitted on the strong student's frozen features of transfer and
    thresholded at its median (a balanced prior): how much of the gap needs no supervision.

    The sign of a principal direction is arbitrary. orient="weak" (default) uses the weak labels
    for that one bit only: the sign that agrees with more of them; nothing else about them is
    used. orient="none" uses no weak label at all: the sign makes the direction's largest
    loading positive, a convention unrelated to the label, so expect chance-level or mirrored
    accuracy. component picks the principal direction (0 = the first).
    """

    name = "unsupervised"
    citation = (
        "No paper: a label-free control, cf. the ue_zeroshot baseline of Anthropic's automated "
        "W2S research sandbox 2026 (safety-research/automated-w2s-research)"
    )
    orient: str = "weak"
    component: int = 0

    def __post_init__(self):
        check_choice(self.name, "orient", self.orient, ("weak", "none"))
        check_range(self.name, "component", self.component, 0, 10**6)

    def fit(self, ctx: MethodContext):
        x = np.asarray(ctx.student.features(ctx.transfer), dtype=np.float64)
        mean = x.mean(0)
        _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
        direction = vt[min(self.component, len(vt) - 1)]
        direction = direction * np.sign(direction[np.argmax(np.abs(direction))])
        proj = (x - mean) @ direction
        median = float(np.median(proj))
        scale = float(np.std(proj)) or 1.0
        probe = DirectionProbe(ctx.student, mean, direction, median, scale, 1.0)
        if self.orient == "weak":
            p = 1.0 / (1.0 + np.exp(-np.clip(probe.score(x), -50, 50)))
            probe.sign = 1.0 if agreement(p, ctx.weak_labels) >= agreement(1 - p, ctx.weak_labels) else -1.0
        return probe
