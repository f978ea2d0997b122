"""The student a method trains: a rung seen only through its inputs (probe regime).

A ProbeStudent turns Inputs into cached features and trains a linear head on them with any loss.
It holds no labels and no task: what a method learns, it learns from the targets it passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from w2sbench.core.example import Inputs
from w2sbench.core.losses import soft_cross_entropy
from w2sbench.models.features import FeatureStore

Loss = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Head training settings; part of every cache key that depends on training.

    The defaults are what `python -m studies.budget_selection` chooses: the budget whose
    ground-truth heads (weak supervisors and ceilings) score best on the offline suite's
    validation split, seeds 100-104, none of which is ever reported (docs/results/offline-suite.md).
    """

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-1


class Head:
    """A trained linear head on standardized features: the predictor a method returns."""

    def __init__(self, student: ProbeStudent, linear: torch.nn.Linear, mean: np.ndarray, std: np.ndarray):
        self.student, self.linear, self.mean, self.std = student, linear, mean, std

    def _x(self, features: np.ndarray) -> torch.Tensor:
        return torch.from_numpy((features - self.mean) / self.std)

    @torch.no_grad()
    def logits_of(self, features: np.ndarray) -> np.ndarray:
        return self.linear(self._x(features)).numpy()

    def __call__(self, inputs: Inputs) -> np.ndarray:
        """Probability of class 1 for each input."""
        logits = self.logits_of(self.student.features(inputs))
        return torch.softmax(torch.from_numpy(logits), -1)[:, 1].numpy().astype(np.float64)


class ProbeStudent:
    """A trainable rung in the probe regime (models.student.Student). ``intermediate`` students
    (bootstrapping) have the same interface."""

    def __init__(self, store: FeatureStore, seed: int, config: TrainConfig = TrainConfig()):
        self.store = store
        self.name = store.rung.name
        self.seed = seed
        self.config = config

    def features(self, inputs: Inputs) -> np.ndarray:
        """Frozen pooled features; pair inputs become [u, v, |u-v|, u*v] (measured: beats one text)."""
        u = self.store.get(inputs.texts)
        if inputs.text_pairs is None:
            return u
        v = self.store.get(inputs.text_pairs)
        return np.concatenate([u, v, np.abs(u - v), u * v], axis=1)

    def fit(
        self,
        inputs: Inputs,
        targets: np.ndarray,
        loss: Loss = soft_cross_entropy,
        *,
        config: TrainConfig | None = None,
        select: Callable[[Head], float] | None = None,
    ) -> Head:
        """Train a fresh head on (inputs, targets), targets being P(class 1) per input.

        With ``select``, the head is scored after every epoch and the best-scoring epoch is
        kept (early stopping); otherwise the last epoch's head is returned.
        """
        features = self.features(inputs)  # before narrowing threads: a cache miss runs the encoder
        threads = torch.get_num_threads()
        # a linear head on a few thousand rows: intra-op threads only add contention (measured
        # ~25x slower with 2 threads than 1 on the shared 2-core machine)
        torch.set_num_threads(1)
        try:
            return self._fit(features, len(inputs), targets, loss, config or self.config, select)
        finally:
            torch.set_num_threads(threads)

    def _fit(self, features, n, targets, loss, config, select) -> Head:
        targets = np.asarray(targets, dtype=np.float32)
        if targets.shape != (n,):
            raise ValueError(f"targets have shape {targets.shape}, expected ({n},)")
        if not np.all(np.isfinite(targets)) or targets.min() < 0 or targets.max() > 1:
            raise ValueError("targets must be probabilities in [0, 1]")
        mean = features.mean(0)
        std = features.std(0) + 1e-6
        gen = torch.Generator().manual_seed(self.seed)
        linear = torch.nn.Linear(features.shape[1], 2)
        with torch.no_grad():
            linear.weight.copy_(torch.randn(linear.weight.shape, generator=gen) * 0.01)
            linear.bias.zero_()
        head = Head(self, linear, mean.astype(np.float32), std.astype(np.float32))
        x, y = head._x(features), torch.from_numpy(targets)
        opt = torch.optim.AdamW(linear.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        steps_per_epoch = -(-len(y) // config.batch_size)
        total = config.epochs * steps_per_epoch
        best_score, best_state = -np.inf, None
        for epoch in range(config.epochs):
            order = torch.randperm(len(y), generator=gen)
            for step in range(steps_per_epoch):
                idx = order[step * config.batch_size : (step + 1) * config.batch_size]
                progress = (epoch * steps_per_epoch + step) / total
                opt.zero_grad()
                loss(linear(x[idx]), y[idx], progress).backward()
                opt.step()
            if select is not None:
                score = select(head)
                if score > best_score:
                    best_score, best_state = score, {k: v.clone() for k, v in linear.state_dict().items()}
        if best_state is not None:
            linear.load_state_dict(best_state)
        return head
