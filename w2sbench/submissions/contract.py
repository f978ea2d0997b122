"""What a worker receives (pickled by the trusted harness) and returns (JSON, parsed strictly):
the one serialised form of the method contract, built by fit_job from a method's context."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from w2sbench.core.example import Inputs
from w2sbench.core.schema import Strict
from w2sbench.methods.api import MethodContext, OracleContext
from w2sbench.models.probe import ProbeStudent

# ---------------------------------------------------------------------------------------------
# What the worker receives (pickled by the trusted harness) and returns (JSON, parsed strictly)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RungInfo:
    """All a worker learns of a rung: its name."""

    name: str


class FeatureSource:
    """In-memory, picklable features of one rung for exactly the texts a method may see.

    It has what :class:`w2sbench.models.probe.ProbeStudent` reads of a feature store: ``.rung.name`` and
    ``.get(texts)``. A text outside the transfer and validation inputs, and the test batches
    asked so far, has no features.
    """

    def __init__(self, rung_name: str, texts: list[str], vectors: np.ndarray):
        if len(texts) != len(vectors):
            raise ValueError("one vector per text")
        self.rung = RungInfo(rung_name)
        self._row = {t: i for i, t in enumerate(texts)}
        self._vectors = np.asarray(vectors)

    def get(self, texts) -> np.ndarray:
        rows = [self._row.get(t) for t in texts]
        if any(r is None for r in rows):
            missing = next(t for t, r in zip(texts, rows, strict=False) if r is None)
            raise KeyError(
                f"rung {self.rung.name}: no features for {missing[:60]!r}; a method sees features of the "
                "transfer, validation and test texts only"
            )
        extra = getattr(self, "_extra", None)
        if extra is None:
            return self._vectors[rows]
        rows = np.asarray(rows, dtype=np.int64)
        n, dtype = len(self._vectors), np.result_type(self._vectors, extra)
        out = np.empty((len(rows), *self._vectors.shape[1:]), dtype=dtype)
        base = rows < n
        out[base] = self._vectors[rows[base]]
        out[~base] = extra[rows[~base] - n]
        return out

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        """Features of more texts (a test batch, sent after fit), kept beside the transfer and
        validation features rather than copied together with them: a batch's fork of the worker
        (worker_main._isolation) then writes only its batch's features, not the whole matrix."""
        extra = getattr(self, "_extra", None)
        start = len(self._vectors) + (0 if extra is None else len(extra))
        new = []
        for i, t in enumerate(texts):
            if t not in self._row:
                self._row[t] = start + len(new)
                new.append(i)
        vectors = np.asarray(vectors)[new]
        self._extra = vectors if extra is None else np.concatenate([extra, vectors])

    def __len__(self) -> int:
        return len(self._row)


@dataclass(frozen=True)
class MethodSpec:
    """Where the worker finds the method class, and the parameters to build it with."""

    module_file: str  # a path as the worker sees it
    class_name: str
    name: str  # the name the class must register under (the submission's name)
    params: dict


@dataclass(frozen=True)
class FitJob:
    """One fit call: the method's own MethodContext (the one definition of what a method sees,
    methods.api), its students made portable (probe students over in-memory feature sources)."""

    spec: MethodSpec
    context: MethodContext
    threads: int = 1


@dataclass(frozen=True)
class PredictJob:
    """One batch of test inputs (opaque ids, shuffled), sent after fit, with the features of its
    texts for each rung the method holds a student of (rung name -> texts, vectors)."""

    inputs: Inputs
    features: dict[str, tuple[list[str], np.ndarray]]


class Reply(Strict):
    ok: bool
    identity: dict | None = None
    shape: list[int] | None = None
    values: list[float] | None = None
    error: str | None = None
    traceback: str | None = None


class Identity(Strict):
    """What a worker reports of the class it loaded (checked by the harness)."""

    name: str
    params: dict
    oracle: bool
    citation: str
    class_code_hash: str


def texts_of(*views: Inputs) -> list[str]:
    """Every distinct text and text_pair of the views (what features are sent for)."""
    return list(dict.fromkeys(t for v in views for t in (*v.texts, *(v.text_pairs or ()))))


def features_of(student, texts: list[str]) -> np.ndarray:
    return student.features(Inputs(ids=tuple(texts), texts=tuple(texts)))


def portable_student(student, texts: list[str]) -> ProbeStudent:
    """A probe student that carries the features of exactly these texts, and nothing else."""
    return ProbeStudent(FeatureSource(student.name, texts, features_of(student, texts)), student.seed, student.config)


def fit_job(ctx: MethodContext, spec: MethodSpec, oracle: bool, threads: int) -> FitJob:
    """The worker's copy of a MethodContext: features for exactly the texts it contains; the
    validation labels only for a method that declares itself an oracle."""
    texts = texts_of(ctx.transfer, ctx.validation)
    if not oracle and isinstance(ctx, OracleContext):
        ctx = MethodContext(**{f.name: getattr(ctx, f.name) for f in fields(MethodContext)})
    context = replace(
        ctx,
        student=portable_student(ctx.student, texts),
        intermediates=tuple(portable_student(s, texts) for s in ctx.intermediates),
    )
    return FitJob(spec=spec, context=context, threads=threads)
