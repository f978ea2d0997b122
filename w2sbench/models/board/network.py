"""The board network: an MLP from move planes to a value, whose last hidden layer is the probe's feature.

An MLP rather than a convolutional net because it is cheap on a CPU and its capacity is one
list of widths, so a ladder's rungs differ only in what they are meant to differ in:
width and depth, pretraining data and steps.
"""

from __future__ import annotations

import torch
from torch import nn

from w2sbench.models.board.planes import PLANES


class BoardNet(nn.Module):
    """planes [N, 26, 64] -> hidden ReLU layers -> one value in [-1, 1] (tanh of the evaluation)."""

    def __init__(self, hidden: tuple[int, ...]):
        super().__init__()
        layers: list[nn.Module] = []
        width = PLANES * 64
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.body = nn.Sequential(*layers)
        self.value = nn.Linear(width, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: what a probe reads."""
        return self.body(x.flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.value(self.features(x))).squeeze(-1)
