"""Fixtures of the method tests: a recording student for wiring checks, a shared fake-ladder
cache, and one torch thread (tiny heads on 2 shared cores run 25x slower with two threads)."""

from __future__ import annotations

import numpy as np
import pytest

from w2sbench.core.example import Inputs
from w2sbench.core.losses import soft_cross_entropy
from w2sbench.methods.api import MethodContext, OracleContext


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here runs on one torch thread (tiny heads on 2 shared cores run 25x slower with two threads)."""


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory):
    """One feature/weak-label/ceiling cache for every end-to-end method test (same toy task)."""
    return tmp_path_factory.mktemp("method-cache")


class RecordingStudent:
    """A Student double: records each fit call; its predictor returns ``output(ids)``."""

    def __init__(self, name="strong", output=None, features=None):
        self.name = name
        self.calls = []
        self.output = output or (lambda ids: np.full(len(ids), 0.7))
        self._features = features

    def features(self, inputs: Inputs) -> np.ndarray:
        return np.stack([self._features[i] for i in inputs.ids])

    def fit(self, inputs, targets, loss=soft_cross_entropy, *, config=None, select=None):
        self.calls.append(
            {"inputs": inputs, "targets": np.array(targets, dtype=np.float64), "loss": loss, "select": select}
        )
        return lambda x: np.asarray(self.output(x.ids), dtype=np.float64)


def inputs(n: int, prefix: str = "t") -> Inputs:
    return Inputs(ids=tuple(f"{prefix}{i}" for i in range(n)), texts=tuple(f"text {prefix}{i}" for i in range(n)))


def context(student, weak, *, intermediates=(), validation_weak=None, validation_labels=None, seed=0):
    weak = np.asarray(weak, dtype=np.float64)
    validation_weak = np.asarray(validation_weak if validation_weak is not None else [0.2, 0.8], dtype=np.float64)
    fields = dict(
        student=student,
        transfer=inputs(len(weak)),
        weak_labels=weak,
        validation=inputs(len(validation_weak), "v"),
        validation_weak_labels=validation_weak,
        intermediates=tuple(intermediates),
        seed=seed,
    )
    if validation_labels is not None:
        return OracleContext(**fields, validation_labels=np.asarray(validation_labels, dtype=np.float64))
    return MethodContext(**fields)
