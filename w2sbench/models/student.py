"""The Student protocol: a rung as a method trains it, whatever the regime.

The probe student (models.probe.ProbeStudent: a head on frozen features), the fine-tuned
student (models.finetune.FinetuneStudent) and the language-model student
(models.language_model.LanguageModel) all implement it, so a method is written once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

Predictor = Callable[[Any], np.ndarray]


@runtime_checkable
class Student(Protocol):
    """A trainable rung: it holds no labels and no task; it learns only the targets it is given."""

    name: str
    seed: int

    def fit(self, inputs: Any, targets: np.ndarray, *args: Any, **options: Any) -> Predictor:
        """A predictor trained from scratch (or the rung's pretrained weights) on (inputs, targets)."""
        ...
