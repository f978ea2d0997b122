"""Hand-made result records for the statistics tests: chosen predictions, real Result objects."""

from __future__ import annotations

import hashlib

import numpy as np

from w2sbench.core.metrics import accuracy, pgr
from w2sbench.core.result import (
    MethodRef,
    Predictions,
    Provenance,
    Result,
    RungRef,
    Scores,
    TaskRef,
)
from w2sbench.running.tracks import Track

# a track of two tasks, a fake ladder's two pairs and two seeds, for boards built from hand-made records
TOY_TRACK = Track(
    name="toy",
    title="toy track",
    status="provisional",
    description="hand-made records",
    suite="toy",
    tasks=["a", "b"],
    ladder="fake",
    pairs=["weak:strong", "weak:mid"],
    seeds=[0, 1],
    time_limit_s=60,
)


def correct_on(labels: np.ndarray, right: np.ndarray) -> list[float]:
    """Probabilities that are right exactly where `right` is True."""
    labels = np.asarray(labels)
    return np.where(np.asarray(right, dtype=bool), labels, 1 - labels).astype(float).tolist()


def record(
    task: str,
    seed: int,
    labels,
    weak,
    w2s,
    ceiling,
    method: str = "naive",
    params: dict | None = None,
    weak_name: str = "weak",
    strong_name: str = "strong",
    oracle: bool = False,
    ladder: str = "toy",
) -> Result:
    """A sealed record whose scores are computed from the given predictions."""
    labels = [int(v) for v in labels]
    acc = {
        m: accuracy(np.asarray(p), np.asarray(labels)) for m, p in (("weak", weak), ("w2s", w2s), ("ceiling", ceiling))
    }
    key = hashlib.sha256(
        f"{task}/{weak_name}/{strong_name}/{method}/{sorted((params or {}).items())}/{seed}".encode()
    ).hexdigest()
    r = Result(
        key=key,
        task=TaskRef(id=task, version=1, data_revision="toy", n_test=len(labels)),
        weak=RungRef(name=weak_name, model="toy/weak", revision="toy", parameters=1),
        strong=RungRef(name=strong_name, model="toy/strong", revision="toy", parameters=3),
        method=MethodRef(name=method, params=params or {}, code_hash="toy", oracle=oracle),
        seed=seed,
        ladder=ladder,
        scores=Scores(
            acc_weak=acc["weak"],
            acc_w2s=acc["w2s"],
            acc_ceiling=acc["ceiling"],
            auroc_weak=None,
            auroc_w2s=None,
            auroc_ceiling=None,
            pgr=pgr(acc["w2s"], acc["weak"], acc["ceiling"]),
            pgr_ci=(None, None),
            pgr_auroc=None,
            agreement={"supervisor_wrong": None},
        ),
        predictions=Predictions(
            ids_sha256=f"{task}-ids", labels=labels, weak=list(weak), w2s=list(w2s), ceiling=list(ceiling)
        ),
        timings_s={},
        provenance=Provenance(
            w2sbench="toy",
            python="3",
            libraries={},
            git_revision=None,
            config_hash="toy",
            regime="probe",
            budget={"epochs": 5},
        ),
    )
    return r.model_copy(update={"sha256": r.content_sha256()})
