"""The stores and in-process caches the experiments of a run share: task data, splits, features,
students, and the method-independent steps 2-3 (weak labels, ceilings), cached by content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from w2sbench.core.errors import W2SError
from w2sbench.core.result import (
    ResultStore,
    config_key,
)
from w2sbench.core.splits import FRACTIONS, Splits, split_pool
from w2sbench.core.store import load_arrays, save_arrays
from w2sbench.models.encoder import Encoder, encoder_for
from w2sbench.models.features import FeatureStore
from w2sbench.models.ladder import Ensemble, Rung, Supervisor, members_of
from w2sbench.models.numerics import current as current_numerics
from w2sbench.models.probe import TrainConfig
from w2sbench.models.student import Student
from w2sbench.protocol.experiment import PROTOCOL_VERSION, Experiment, experiment_key
from w2sbench.protocol.framing import framing_of
from w2sbench.protocol.regime import regime_of
from w2sbench.protocol.trainer import Trainer
from w2sbench.tasks.loading import TaskData, load_task_data
from w2sbench.tasks.task import Task


@dataclass
class Caches:
    """The in-process caches workspaces may share (validate's per-entry workspaces share one, so
    task data and feature indexes load once, not twice per entry): encoders and feature stores
    by rung (its numeric setting included), task data by id, splits by (id, seed)."""

    encoders: dict = field(default_factory=dict)
    stores: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    splits: dict = field(default_factory=dict)


class Workspace:
    """The stores and in-process caches that the experiments of a run share."""

    def __init__(
        self,
        cache_root: Path,
        results_dir: Path,
        train_config: TrainConfig = TrainConfig(),
        local_data: dict[str, Path] | None = None,
        encoder_factory: Callable[[Rung], Encoder] = encoder_for,
        weak_label_source=None,
        regime: str = "probe",
        finetune_config=None,
        caches: Caches | None = None,
    ):
        self.cache_root = Path(cache_root)
        self.results = ResultStore(results_dir)
        self.local_data = local_data or {}
        self.encoder_factory = encoder_factory
        # pulled standard weak labels (w2sbench.labels.weak_label_set.WeakLabelSet) used instead of
        # training the supervisor
        self.weak_label_source = weak_label_source
        self.regime = regime_of(regime, train_config, finetune_config)
        self.trainer = Trainer(self.student, self.regime, finetune_config)  # what framings train with
        caches = caches or Caches()
        self._encoders: dict[str, Encoder] = caches.encoders
        self._stores: dict[str, FeatureStore] = caches.stores
        self._data: dict[str, TaskData] = caches.data
        self._splits: dict[tuple[str, int], Splits] = caches.splits

    def task_data(self, task: Task) -> TaskData:
        """The task's examples, loaded once per run."""
        if task.id not in self._data:
            self._data[task.id] = load_task_data(task, self.local_data.get(task.id))
        return self._data[task.id]

    def splits(self, task: Task, seed: int) -> Splits:
        """The task's seeded split, computed once per run (every pair and method shares it)."""
        if (task.id, seed) not in self._splits:
            data = self.task_data(task)
            self._splits[task.id, seed] = split_pool(data.pool, data.test, seed)
        return self._splits[task.id, seed]

    @staticmethod
    def _rung_slot(rung: Rung) -> tuple:
        """What tells shared caches' rungs apart: name, weights and numeric setting (a full rung key
        costs package-metadata lookups on every call)."""
        return rung.name, rung.model, rung.weights, current_numerics().dtype

    def encoder(self, rung: Rung) -> Encoder:
        """The rung's encoder, made once per run (it loads its weights only when it first embeds)."""
        key = self._rung_slot(rung)
        if key not in self._encoders:
            self._encoders[key] = self.encoder_factory(rung)
        return self._encoders[key]

    def features(self, rung: Rung) -> FeatureStore:
        key = self._rung_slot(rung)
        if key not in self._stores:
            self._stores[key] = FeatureStore(self.cache_root, rung, self.encoder(rung))
        return self._stores[key]

    def student(self, rung: Rung, seed: int) -> Student:
        """The rung as a trainable student of this workspace's regime."""
        return self.regime.student(rung, seed, self.features)

    def training_identity(self, task: Task | None = None) -> dict:
        """What about training changes every result: the regime and its settings, as the task's
        framing applies them (a generative task always fine-tunes its language models)."""
        return self.regime.identity() if task is None else framing_of(task).training_identity(self.trainer)

    def task_key(self, task: Task) -> dict:
        return {"id": task.id, "version": task.version, "data": self.task_data(task).data_revision}

    def artifact_key(self, kind: str, task: Task, rung: Rung, seed: int) -> str:
        """The content key of a step 2-3 artifact (also the config hash of exported weak labels)."""
        return config_key(
            {
                "kind": kind,
                "protocol": PROTOCOL_VERSION,
                "task": self.task_key(task),
                "rung": rung.key(),
                "seed": seed,
                "fractions": FRACTIONS,
                **self.training_identity(task),
            }
        )

    def _trained(self, kind: str, task: Task, rung: Rung, seed: int, compute) -> dict[str, np.ndarray]:
        """A cached, content-keyed artifact of steps 2-3 (weak labels or ceiling predictions)."""
        key = self.artifact_key(kind, task, rung, seed)
        path = self.cache_root / "artifacts" / kind / f"{key[:32]}.npz"
        arrays = load_arrays(path)
        if arrays is None:
            arrays = compute()
            save_arrays(path, arrays)
        return arrays

    def weak_labels(self, task: Task, weak: Supervisor, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        """The weak supervisor, trained on supervisor_train with ground truth, predicting every
        split, as its framing stores them (framing_of(task).read unpacks them).

        With a weak_label_source, its verified labels are used instead (no supervisor is trained).
        An Ensemble's labels are the mean of its members' (each member cached alone).
        """
        if isinstance(weak, Ensemble):
            parts = [self.weak_labels(task, m, seed, splits) for m in weak.members]
            return {role: np.mean([p[role] for p in parts], axis=0) for role in parts[0]}
        if self.weak_label_source is not None:
            if not framing_of(task).standard_labels:
                raise W2SError(
                    f"task {task.id}: standard weak labels are binary; a generative task trains its supervisor"
                )
            return self.weak_label_source.weak_labels(self, task, weak, seed, splits)

        def compute():
            return framing_of(task).train_weak(self.trainer, weak, seed, splits)

        return self._trained("weak", task, weak, seed, compute)

    def ceiling(self, task: Task, strong: Rung, seed: int, splits: Splits) -> np.ndarray:
        """The strong rung trained on transfer with ground truth, predicting test: the top of the gap."""

        def compute():
            return framing_of(task).train_ceiling(self.trainer, strong, seed, splits)

        return self._trained("ceiling", task, strong, seed, compute)["test"]

    def experiment_key(self, exp: Experiment) -> str:
        """experiment.experiment_key with this run's task data, training settings and weak-label set."""
        weak_labels = (
            None
            if self.weak_label_source is None
            else [self.weak_label_source.identity(exp.task, m, exp.seed) for m in members_of(exp.weak)]
        )
        return experiment_key(exp, self.task_key(exp.task), self.training_identity(exp.task), weak_labels)
