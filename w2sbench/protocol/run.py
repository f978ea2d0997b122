"""Running one experiment (w2sbench.protocol.experiment.Experiment) and writing its record.

1. split the pool by group; 2. train the weak supervisor on supervisor_train with ground
truth, its soft predictions on transfer are the weak labels; 3. train the strong ceiling on
transfer with ground truth; 4. the method trains the strong student on transfer with weak
labels only; 5. score. Steps 1-3 do not depend on the method: their outputs are cached by
content and shared by every method.
"""

from __future__ import annotations

import time

from w2sbench.core.errors import DataError, MethodError, W2SError
from w2sbench.core.result import (
    MethodRef,
    Result,
    RungRef,
    TaskRef,
    provenance,
)
from w2sbench.models.ladder import JOIN, Ensemble, Rung, members_of
from w2sbench.protocol.experiment import Experiment
from w2sbench.protocol.framing import framing_of
from w2sbench.protocol.workspace import Workspace


def run_experiment(ws: Workspace, exp: Experiment) -> Result:
    """Run (or finish) one experiment and write its record; steps 1-3 come from the cache when present."""
    if exp.method.framing != exp.task.framing:
        raise MethodError(
            f"method {exp.method.name} is for {exp.method.framing} tasks; task {exp.task.id} is {exp.task.framing}"
        )
    framing = framing_of(exp.task)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    data = ws.task_data(exp.task)
    splits = ws.splits(exp.task, exp.seed)
    for role in ("supervisor_train", "transfer", "validation"):
        if not getattr(splits, role):
            raise DataError(f"task {exp.task.id}: split {role} is empty for seed {exp.seed}; the pool is too small")
    weak = {
        role: framing.read(stored, getattr(splits, role))
        for role, stored in ws.weak_labels(exp.task, exp.weak, exp.seed, splits).items()
    }
    timings["weak_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    ceiling = framing.read(ws.ceiling(exp.task, exp.strong, exp.seed, splits), splits.test)
    timings["ceiling_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    try:
        predictor = exp.method.fit(framing.context(ws.trainer, exp, splits, weak))
        raw = framing.predict(predictor, splits, exp.method.name)
        scores, predictions = framing.score(exp, splits, weak["test"], raw, ceiling)
    except MethodError as e:  # a bad answer: say which experiment gave it
        if exp.label() in str(e):
            raise
        raise MethodError(f"{exp.label()}: {e}") from e
    except W2SError:
        raise
    except Exception as e:
        raise MethodError(f"method {exp.method.name} crashed on {exp.label()}: {type(e).__name__}: {e}") from e
    timings["method_s"] = time.perf_counter() - clock
    key = ws.experiment_key(exp)
    training = ws.training_identity(exp.task)
    result = Result(
        key=key,
        task=TaskRef(
            id=exp.task.id,
            version=exp.task.version,
            data_revision=data.data_revision,
            n_test=len(splits.test),
            data_source=data.source,
        ),
        weak=rung_ref(ws, exp.weak),
        strong=rung_ref(ws, exp.strong),
        method=MethodRef(**exp.method.identity()),
        seed=exp.seed,
        ladder=exp.ladder.name,
        scores=scores,
        predictions=predictions,
        timings_s={k: round(v, 3) for k, v in timings.items()},
        provenance=provenance(
            key,
            training["regime"],
            training["train"],
            numerics_of(ws, exp),
            ws.weak_label_source.provenance() if ws.weak_label_source is not None else None,
            training.get("framing"),
        ),
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
    revision = rung.revision or (
        f"packaged:{rung.packaged}" if rung.packaged else f"sha256:{rung.weights}" if rung.weights else "unpinned"
    )
    return RungRef(name=rung.name, model=rung.model, revision=revision, parameters=ws.encoder(rung).parameter_count)


def numerics_of(ws: Workspace, exp: Experiment) -> dict | None:
    """The encoders' numeric setting and kernels, for the record (None when no rung is a transformer)."""
    for rung in (exp.strong, *members_of(exp.weak)):
        encoder = ws.encoder(rung)
        if getattr(encoder, "numerics", None) is not None:
            return {**encoder.numerics.identity(), "kernels": encoder.kernels}
    return None
