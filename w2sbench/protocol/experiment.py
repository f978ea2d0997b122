"""The weak-to-strong protocol for one experiment (task, weak rung, strong rung, method, seed).

1. split the pool by group; 2. train the weak supervisor on supervisor_train with ground
truth, its soft predictions on transfer are the weak labels; 3. train the strong ceiling on
transfer with ground truth; 4. the method trains the strong student on transfer with weak
labels only; 5. score. Steps 1-3 do not depend on the method: their outputs are cached by
content and shared by every method.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from w2sbench.models.encoder import Encoder, encoder_for
from w2sbench.core.errors import W2SError
from w2sbench.core.example import Example, Inputs, labels_of
from w2sbench.models.features import FeatureStore
from w2sbench.models.ladder import JOIN, Ensemble, Ladder, Rung, Supervisor, members_of
from w2sbench.tasks.loading import TaskData, load_task_data
from w2sbench.methods.api import Method, MethodContext, OracleContext
from w2sbench.core.metrics import accuracy, agreement, auroc, bootstrap_pgr, pgr
from w2sbench.core.result import (
    MethodRef,
    Predictions,
    Result,
    ResultStore,
    RungRef,
    Scores,
    TaskRef,
    config_key,
    provenance,
)
from w2sbench.core.splits import FRACTIONS, WEAK_LABELLED_ROLES, Splits, split_pool
from w2sbench.core.store import load_arrays, save_arrays
from w2sbench.models.probe import Student, TrainConfig
from w2sbench.tasks.task import Task

PROTOCOL_VERSION = 1
REGIMES = ("probe", "finetune")


@dataclass(frozen=True)
class Experiment:
    task: Task
    ladder: Ladder
    weak: Supervisor
    strong: Rung
    method: Method
    seed: int

    def label(self) -> str:
        return f"{self.task.id} {self.weak.name}->{self.strong.name} {self.method.name} seed {self.seed}"


def ids_sha256(examples: list[Example]) -> str:
    return hashlib.sha256("\n".join(e.id for e in examples).encode()).hexdigest()


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
    ):
        self.cache_root = Path(cache_root)
        self.results = ResultStore(results_dir)
        self.train_config = train_config
        self.local_data = local_data or {}
        self.encoder_factory = encoder_factory
        # pulled standard weak labels (w2sbench.labels.weak_labels.WeakLabelSet) used instead of training the supervisor
        self.weak_label_source = weak_label_source
        if regime not in REGIMES:
            raise W2SError(f"unknown regime {regime!r}; known: {', '.join(REGIMES)}")
        self.regime = regime
        self.finetune_config = finetune_config
        self._stores: dict[str, FeatureStore] = {}
        self._data: dict[str, TaskData] = {}
        self._splits: dict[tuple[str, int], Splits] = {}

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

    def features(self, rung: Rung) -> FeatureStore:
        if rung.name not in self._stores:
            self._stores[rung.name] = FeatureStore(self.cache_root, rung, self.encoder_factory(rung))
        return self._stores[rung.name]

    def student(self, rung: Rung, seed: int) -> Student:
        """The rung as a trainable student of this workspace's regime (probe or finetune)."""
        if self.regime == "finetune":
            from w2sbench.models.finetune import make_finetune_student

            return make_finetune_student(rung, seed, self.finetune_config)
        return Student(self.features(rung), seed, self.train_config)

    def training_identity(self, task: Task | None = None) -> dict:
        """What about training changes every result: the regime and its settings. A generative
        task always fine-tunes its language models (there is no probe of a generation)."""
        generative = task is not None and task.framing == "generative"
        if generative or self.regime == "finetune":
            from w2sbench.models.finetune import FinetuneConfig

            regime = "generative" if generative else "finetune"
            return {"regime": regime, "train": asdict(self.finetune_config or FinetuneConfig())}
        return {"regime": "probe", "train": asdict(self.train_config)}

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
            if task.framing == "generative":
                raise W2SError(f"task {task.id}: standard weak labels are binary; a generative task trains its supervisor")
            return self.weak_label_source.weak_labels(self, task, weak, seed, splits)

        def compute():
            return framing_of(task).train_weak(self, weak, seed, splits)

        return self._trained("weak", task, weak, seed, compute)

    def ceiling(self, task: Task, strong: Rung, seed: int, splits: Splits) -> np.ndarray:
        """The strong rung trained on transfer with ground truth, predicting test: the top of the gap."""

        def compute():
            return framing_of(task).train_ceiling(self, strong, seed, splits)

        return self._trained("ceiling", task, strong, seed, compute)["test"]

    def experiment_key(self, exp: Experiment) -> str:
        config = {
            "protocol": PROTOCOL_VERSION,
            "task": self.task_key(exp.task),
            "ladder": exp.ladder.name,
            "weak": exp.weak.key(),
            "strong": exp.strong.key(),
            "method": exp.method.identity(),
            "seed": exp.seed,
            "fractions": FRACTIONS,
            **self.training_identity(exp.task),
        }
        if self.weak_label_source is not None:
            config["weak_labels"] = [
                self.weak_label_source.identity(exp.task, m, exp.seed) for m in members_of(exp.weak)
            ]
        return config_key(config)


def check_predictions(probs, n: int, method: str) -> np.ndarray:
    """A method's test predictions must be n finite probabilities; anything else names the method."""
    try:
        probs = np.asarray(probs, dtype=np.float64)
    except (TypeError, ValueError):
        raise W2SError(f"method {method}: predictor returned {type(probs).__name__}, expected an array of floats") from None
    if probs.shape != (n,):
        raise W2SError(f"method {method}: predictor returned shape {probs.shape}, expected ({n},)")
    if not np.all(np.isfinite(probs)):
        raise W2SError(f"method {method}: predictor returned NaN or infinite values")
    if probs.min() < 0 or probs.max() > 1:
        raise W2SError(f"method {method}: predictions outside [0, 1] (min {probs.min():.3g}, max {probs.max():.3g})")
    return probs


def score(labels: np.ndarray, p_weak: np.ndarray, p_w2s: np.ndarray, p_ceiling: np.ndarray) -> Scores:
    acc = {name: accuracy(p, labels) for name, p in (("weak", p_weak), ("w2s", p_w2s), ("ceiling", p_ceiling))}
    auc = {name: auroc(p, labels) for name, p in (("weak", p_weak), ("w2s", p_w2s), ("ceiling", p_ceiling))}
    ci = bootstrap_pgr(labels, p_weak, p_w2s, p_ceiling)
    return Scores(
        acc_weak=acc["weak"],
        acc_w2s=acc["w2s"],
        acc_ceiling=acc["ceiling"],
        auroc_weak=auc["weak"],
        auroc_w2s=auc["w2s"],
        auroc_ceiling=auc["ceiling"],
        pgr=pgr(acc["w2s"], acc["weak"], acc["ceiling"]),
        pgr_ci=(ci.low, ci.high),
        pgr_auroc=pgr(auc["w2s"], auc["weak"], auc["ceiling"]),
        agreement=agreement(p_w2s, p_weak, labels),
    )


def method_context(ws: Workspace, exp: Experiment, splits: Splits, weak: dict[str, np.ndarray]) -> MethodContext:
    """What the method may see: inputs and weak labels, built from label-free views only.

    Only a method that declares itself an oracle gets the validation split's ground truth.
    """
    fields = dict(
        student=ws.student(exp.strong, exp.seed),
        transfer=Inputs.of(splits.transfer),
        weak_labels=weak["transfer"],
        validation=Inputs.of(splits.validation),
        validation_weak_labels=weak["validation"],
        unlabeled=Inputs.of(splits.test),
        intermediates=tuple(ws.student(r, exp.seed) for r in exp.ladder.between(exp.weak, exp.strong)),
        seed=exp.seed,
    )
    if exp.method.oracle:
        return OracleContext(**fields, validation_labels=labels_of(splits.validation))
    return MethodContext(**fields)


class BinaryFraming:
    """Steps 2-5 of a binary task: heads on a rung, P(class 1) everywhere."""

    @staticmethod
    def train_weak(ws: Workspace, weak: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        head = ws.student(weak, seed).fit(Inputs.of(splits.supervisor_train), labels_of(splits.supervisor_train))
        return {role: head(Inputs.of(getattr(splits, role))) for role in WEAK_LABELLED_ROLES}

    @staticmethod
    def train_ceiling(ws: Workspace, strong: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        head = ws.student(strong, seed).fit(Inputs.of(splits.transfer), labels_of(splits.transfer))
        return {"test": head(Inputs.of(splits.test))}

    @staticmethod
    def read(stored: np.ndarray, examples: list[Example]) -> np.ndarray:
        """Predictions as the workspace stores them are what the method and scores use."""
        return stored

    context = staticmethod(method_context)

    @staticmethod
    def test_inputs(splits: Splits) -> Inputs:
        return Inputs.of(splits.test)

    @staticmethod
    def score(exp: Experiment, splits: Splits, weak_test, raw, ceiling) -> tuple[Scores, Predictions]:
        # records keep 6 decimals; scores are computed from exactly what the record keeps
        p_w2s = np.round(check_predictions(raw, len(splits.test), exp.method.name), 6)
        p_weak, p_ceiling = np.round(weak_test, 6), np.round(ceiling, 6)
        labels = labels_of(splits.test)
        predictions = Predictions(ids_sha256=ids_sha256(splits.test), labels=labels.tolist(), weak=p_weak.tolist(),
                                  w2s=p_w2s.tolist(), ceiling=p_ceiling.tolist())
        return score(labels, p_weak, p_w2s, p_ceiling), predictions


def framing_of(task: Task):
    """The steps of the task's framing: BinaryFraming, or w2sbench.protocol.generative's GenerativeFraming."""
    if task.framing == "generative":
        from w2sbench.protocol.generative import GenerativeFraming

        return GenerativeFraming
    return BinaryFraming


def run_experiment(ws: Workspace, exp: Experiment) -> Result:
    """Run (or finish) one experiment and write its record; steps 1-3 come from the cache when present."""
    if exp.method.framing != exp.task.framing:
        raise W2SError(f"method {exp.method.name} is for {exp.method.framing} tasks; task {exp.task.id} is "
                       f"{exp.task.framing}")
    framing = framing_of(exp.task)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    data = ws.task_data(exp.task)
    splits = ws.splits(exp.task, exp.seed)
    for role in ("supervisor_train", "transfer", "validation"):
        if not getattr(splits, role):
            raise W2SError(f"task {exp.task.id}: split {role} is empty for seed {exp.seed}; the pool is too small")
    weak = {role: framing.read(stored, getattr(splits, role))
            for role, stored in ws.weak_labels(exp.task, exp.weak, exp.seed, splits).items()}
    timings["weak_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    ceiling = framing.read(ws.ceiling(exp.task, exp.strong, exp.seed, splits), splits.test)
    timings["ceiling_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    try:
        predictor = exp.method.fit(framing.context(ws, exp, splits, weak))
        raw = predictor(framing.test_inputs(splits))
    except W2SError:
        raise
    except Exception as e:
        raise W2SError(f"method {exp.method.name} crashed on {exp.label()}: {type(e).__name__}: {e}") from e
    scores, predictions = framing.score(exp, splits, weak["test"], raw, ceiling)
    timings["method_s"] = time.perf_counter() - clock
    key = ws.experiment_key(exp)
    result = Result(
        key=key,
        task=TaskRef(id=exp.task.id, version=exp.task.version, data_revision=data.data_revision,
                     n_test=len(splits.test)),
        weak=rung_ref(ws, exp.weak),
        strong=rung_ref(ws, exp.strong),
        method=MethodRef(**exp.method.identity()),
        seed=exp.seed,
        ladder=exp.ladder.name,
        scores=scores,
        predictions=predictions,
        timings_s={k: round(v, 3) for k, v in timings.items()},
        provenance=provenance(key, ws.training_identity(exp.task)["regime"]),
    )
    return ws.results.write(result)


def rung_ref(ws: Workspace, rung: Rung | Ensemble) -> RungRef:
    if isinstance(rung, Ensemble):
        refs = [rung_ref(ws, m) for m in rung.members]
        return RungRef(
            name=rung.name,
            model=rung.model,
            revision=JOIN.join(r.revision for r in refs),
            parameters=None if None in (r.parameters for r in refs) else sum(r.parameters for r in refs),
        )
    revision = rung.revision or (f"packaged:{rung.packaged}" if rung.packaged else "unpinned")
    return RungRef(name=rung.name, model=rung.model, revision=revision, parameters=ws.features(rung).parameter_count())
