"""Trainer: what a framing trains rungs with, handed over by the workspace instead of itself, so a
framing reaches nothing of the run but the students and the settings that key its caches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from w2sbench.models.ladder import Rung
    from w2sbench.models.student import Student
    from w2sbench.protocol.regime import Regime


@dataclass(frozen=True)
class Trainer:
    student: Callable[[Rung, int], Student]  # the rung as a trainable student of the run's regime
    regime: Regime
    finetune_config: object | None = None  # a models.finetune.FinetuneConfig for language models; None: its defaults
