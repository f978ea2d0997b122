"""A run's training regime, chosen in one place (regime_of): how a rung becomes a student and
what about training enters every cache key. Downstream code calls these methods instead of
comparing regime names."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, ClassVar

from w2sbench.core.errors import W2SError, unknown_name
from w2sbench.models.probe import ProbeStudent, TrainConfig

if TYPE_CHECKING:
    from collections.abc import Callable

    from w2sbench.models.features import FeatureStore
    from w2sbench.models.ladder import Rung
    from w2sbench.models.student import Student


@dataclass(frozen=True)
class Probe:
    """Frozen encoders, features cached on disk, a linear head trained on them (the CPU default)."""

    name: ClassVar[str] = "probe"
    caches_features: ClassVar[bool] = True
    train: TrainConfig = field(default_factory=TrainConfig)

    def student(self, rung: Rung, seed: int, features: Callable[[Rung], FeatureStore]) -> Student:
        return ProbeStudent(features(rung), seed, self.train)

    def identity(self) -> dict:
        return {"regime": self.name, "train": asdict(self.train)}


@dataclass(frozen=True)
class Finetune:
    """Rungs fine-tuned end to end (full or LoRA), as in the paper; no feature cache."""

    name: ClassVar[str] = "finetune"
    caches_features: ClassVar[bool] = False
    config: object = None  # a models.finetune.FinetuneConfig; None means its defaults

    def settings(self):
        from w2sbench.models.finetune import FinetuneConfig

        return self.config or FinetuneConfig()

    def student(self, rung: Rung, seed: int, features: Callable[[Rung], FeatureStore]) -> Student:
        """features: unused (a fine-tuned rung embeds as it trains)."""
        from w2sbench.models.finetune import make_finetune_student

        return make_finetune_student(rung, seed, self.config)

    def identity(self) -> dict:
        return {"regime": self.name, "train": asdict(self.settings())}


Regime = Probe | Finetune
REGIMES = {"probe": Probe, "finetune": Finetune}


def regime_of(name: str, train: TrainConfig | None = None, finetune=None) -> Regime:
    """The regime a run's options name (``--regime``), with its training settings."""
    if name not in REGIMES:
        raise unknown_name("regime", name, REGIMES)
    if name == "probe":
        return Probe(train or TrainConfig())
    if train is not None and train != TrainConfig():
        raise W2SError("a probe TrainConfig was given to the finetune regime")
    return Finetune(finetune)
