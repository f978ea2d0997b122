"""The binary framing: heads on a rung predicting P(class 1); steps 2-5 of the protocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from w2sbench.core.example import Example, Inputs, labels_of
from w2sbench.core.metrics import group_index
from w2sbench.core.result import (
    Predictions,
    Scores,
)
from w2sbench.core.splits import WEAK_LABELLED_ROLES, Splits
from w2sbench.methods.api import MethodContext, OracleContext
from w2sbench.models.ladder import Rung
from w2sbench.protocol.blind import opaque, predict_shuffled
from w2sbench.protocol.scoring import check_predictions, ids_sha256, score

if TYPE_CHECKING:
    from w2sbench.protocol.experiment import Experiment
    from w2sbench.protocol.trainer import Trainer


def method_context(trainer: Trainer, exp: Experiment, splits: Splits, weak: dict[str, np.ndarray]) -> MethodContext:
    """What the method may see: inputs and weak labels, built from label-free views only, with
    opaque ids; never the test inputs (blind.predict_shuffled asks for those after fit).

    Only a method that declares itself an oracle gets the validation split's ground truth.
    """
    fields = dict(
        student=trainer.student(exp.strong, exp.seed),
        transfer=opaque(Inputs.of(splits.transfer)),
        weak_labels=weak["transfer"],
        validation=opaque(Inputs.of(splits.validation)),
        validation_weak_labels=weak["validation"],
        intermediates=tuple(trainer.student(r, exp.seed) for r in exp.ladder.between(exp.weak, exp.strong)),
        seed=exp.seed,
    )
    if exp.method.oracle:
        return OracleContext(**fields, validation_labels=labels_of(splits.validation))
    return MethodContext(**fields)


class BinaryFraming:
    """Steps 2-5 of a binary task: heads on a rung, P(class 1) everywhere."""

    name = "binary"
    default_method = "naive"
    standard_labels = True  # its weak labels can be exported and pulled as standard labels

    @staticmethod
    def training_identity(trainer: Trainer) -> dict:
        return trainer.regime.identity()

    @staticmethod
    def texts(examples: list[Example]) -> list[str]:
        """The texts a rung embeds for these examples (the feature cache's keys)."""
        return [t for e in examples for t in (e.text, e.text_pair) if t is not None]

    @staticmethod
    def train_weak(trainer: Trainer, weak: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        head = trainer.student(weak, seed).fit(Inputs.of(splits.supervisor_train), labels_of(splits.supervisor_train))
        return {role: head(Inputs.of(getattr(splits, role))) for role in WEAK_LABELLED_ROLES}

    @staticmethod
    def train_ceiling(trainer: Trainer, strong: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        head = trainer.student(strong, seed).fit(Inputs.of(splits.transfer), labels_of(splits.transfer))
        return {"test": head(Inputs.of(splits.test))}

    @staticmethod
    def read(stored: np.ndarray, examples: list[Example]) -> np.ndarray:
        """Predictions as the workspace stores them are what the method and scores use."""
        return stored

    context = staticmethod(method_context)

    @staticmethod
    def predict(predictor, splits: Splits, method: str) -> list:
        return predict_shuffled(predictor, Inputs.of(splits.test), method)

    @staticmethod
    def score(exp: Experiment, splits: Splits, weak_test, raw, ceiling) -> tuple[Scores, Predictions]:
        # records keep 6 decimals; scores are computed from exactly what the record keeps
        p_w2s = np.round(check_predictions(raw, len(splits.test), exp.method.name), 6)
        p_weak, p_ceiling = np.round(weak_test, 6), np.round(ceiling, 6)
        labels = labels_of(splits.test)
        groups = group_index([e.group for e in splits.test])
        predictions = Predictions(
            ids_sha256=ids_sha256(splits.test),
            labels=labels.tolist(),
            weak=p_weak.tolist(),
            w2s=p_w2s.tolist(),
            ceiling=p_ceiling.tolist(),
            groups=None if groups is None else groups.tolist(),
        )
        return score(labels, p_weak, p_w2s, p_ceiling, groups), predictions
