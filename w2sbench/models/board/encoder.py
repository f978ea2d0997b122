"""The Encoder interface (texts in, features out) over a pretrained board network.

A rung of kind ``board`` reads the same example text as the engine rungs (the chess task with
``candidate: inline``) and returns its network's penultimate layer: learned features in which
the skill is latent, for a probe to elicit, rather than a search's verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property

import numpy as np
import torch

from w2sbench.core.errors import TaskDefinitionError
from w2sbench.models.board.planes import example_planes
from w2sbench.models.board.pretrain import config_of
from w2sbench.models.board.weights import load_weights, parameter_count

BATCH = 512


class BoardEncoder:
    def __init__(self, rung):
        if rung.weights is None:
            raise TaskDefinitionError(f"rung {rung.name}: a board rung needs weights (the sha256 of its weight file)")
        self.rung = rung
        self.config = config_of(rung.model)

    @cached_property
    def net(self):
        return load_weights(self.rung.name, self.rung.weights, self.config.hidden)

    @cached_property
    def parameter_count(self) -> int:
        return parameter_count(self.net)

    @torch.inference_mode()
    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Every batch has exactly BATCH rows (a short one is padded with empty boards): the matrix
        kernels treat a batch's last rows differently when its size is not a multiple of their
        block, so a text's features would otherwise depend on how many texts came with it."""
        width = self.config.hidden[-1]
        out = np.zeros((len(texts), width), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            planes = np.stack([example_planes(t) for t in chunk])
            x = torch.zeros((BATCH, *planes.shape[1:]), dtype=torch.float32)
            x[: len(chunk)] = torch.from_numpy(planes)
            out[start : start + len(chunk)] = self.net.features(x)[: len(chunk)].numpy()
            if progress:
                progress(len(chunk))
        return out
