"""Helpers shared by the reference methods (no method is registered here)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from w2sbench.core.errors import W2SError
from w2sbench.methods.api import Method, MethodContext


class UsesCode(Method):
    """A method whose behaviour also lives outside w2sbench.methods (a loss in w2sbench.core.losses).

    ``uses`` names those objects; ``Method.code_hash`` hashes their source with the class's, so
    editing the loss invalidates the method's cached results as editing the method does.
    """

    uses: ClassVar[tuple[Any, ...]] = ()


class LossMethod(UsesCode):
    """A method that is only a loss: the strong student fitted to the transfer set's weak labels
    with ``loss()`` (one of w2sbench.core.losses, named in ``uses``)."""

    def loss(self):
        raise NotImplementedError

    def fit(self, ctx: MethodContext):
        return ctx.student.fit(ctx.transfer, ctx.weak_labels, self.loss())


def check_range(method: str, name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high):
        raise W2SError(f"method {method}: {name} must be in [{low}, {high}], got {value!r}")


def check_choice(method: str, name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise W2SError(f"method {method}: {name} must be one of {', '.join(choices)}; got {value!r}")


def agreement(p: np.ndarray, q: np.ndarray) -> float:
    """Fraction of examples where two P(class 1) arrays give the same hard label."""
    return float(np.mean((np.asarray(p) > 0.5) == (np.asarray(q) > 0.5)))


def soft_ce(p: np.ndarray, targets: np.ndarray, eps: float = 1e-7) -> float:
    """Mean cross-entropy of predictions p against soft targets (both P(class 1))."""
    p = np.clip(np.asarray(p, dtype=np.float64), eps, 1 - eps)
    t = np.asarray(targets, dtype=np.float64)
    return float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
