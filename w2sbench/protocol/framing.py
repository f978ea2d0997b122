"""A task's framing, chosen in one place (framing_of): how steps 2-5 of the protocol run on its
examples. Everything downstream calls the framing's methods instead of comparing names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from w2sbench.protocol.binary import BinaryFraming
from w2sbench.protocol.generative import GenerativeFraming

if TYPE_CHECKING:
    from w2sbench.core.result import Predictions, Scores
    from w2sbench.core.splits import Splits
    from w2sbench.models.ladder import Rung
    from w2sbench.protocol.experiment import Experiment
    from w2sbench.protocol.trainer import Trainer


class Framing(Protocol):
    """What the protocol asks of a framing (binary heads, or a language model's choices)."""

    name: ClassVar[str]
    default_method: ClassVar[str]  # the builtin method a run of this framing uses unless told otherwise
    standard_labels: ClassVar[bool]  # whether its weak labels can be exported and pulled as standard labels

    def training_identity(self, trainer: Trainer) -> dict:
        """What decides how its heads are trained (part of each stored prediction's cache key)."""

    def texts(self, examples: list) -> list[str]:
        """The texts a rung embeds for these examples (the feature cache's keys)."""

    def train_weak(self, trainer: Trainer, weak: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        """The weak supervisor trained with ground truth on supervisor_train, predicting every weak-labelled role."""

    def train_ceiling(self, trainer: Trainer, strong: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        """The strong rung trained with ground truth on transfer, predicting test."""

    def read(self, stored: np.ndarray, examples: list) -> Any:
        """Stored predictions as the method and the scores use them."""

    def context(self, trainer: Trainer, exp: Experiment, splits: Splits, weak: dict) -> Any:
        """What the method receives: inputs and weak labels, never ground truth."""

    def predict(self, predictor, splits: Splits, method: str) -> Any:
        """The predictor's raw answers on the test inputs (opaque ids, shuffled batches: protocol.blind)."""

    def score(self, exp: Experiment, splits: Splits, weak_test, raw, ceiling) -> tuple[Scores, Predictions]:
        """The record's scores and predictions from the method's raw test predictions."""


FRAMINGS: dict[str, Framing] = {f.name: f for f in (BinaryFraming(), GenerativeFraming())}


def framing_of(task) -> Framing:
    """The framing of a task's converter (binary or generative)."""
    return FRAMINGS[task.framing]
