"""Result records: one schema-versioned JSON per experiment, and the store that keeps them.

A record carries the test predictions of the weak supervisor, the ceiling and the method, so
every aggregate (seed-averaged PGR, its paired bootstrap CI, the leaderboard) is recomputed
from records alone. Records are written atomically, named by their content key, and carry
the sha256 of their own content: a corrupted record is detected, set aside and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from collections import defaultdict
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from w2sbench import __version__
from w2sbench.core.errors import CacheError
from w2sbench.core.store import atomic_write_bytes

SCHEMA_VERSION = 1


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskRef(Record):
    id: str
    version: int
    data_revision: str
    n_test: int
    data_source: str | None = Field(
        None, description="where the rows were read from (hub:, files:, mirror:); absent in older records"
    )


class RungRef(Record):
    name: str
    model: str
    revision: str
    parameters: int | None = Field(None, description="measured from the weights, when loaded in this run")


class MethodRef(Record):
    name: str
    params: dict
    code_hash: str
    oracle: bool


class Scores(Record):
    acc_weak: float
    acc_w2s: float
    acc_ceiling: float
    auroc_weak: float | None = Field(description="None for a generative task (no binary scores to rank)")
    auroc_w2s: float | None
    auroc_ceiling: float | None
    pgr: float | None = Field(description="None when acc_ceiling - acc_weak < MIN_GAP")
    pgr_ci: tuple[float | None, float | None]
    pgr_auroc: float | None
    agreement: dict[str, float | None]


class Predictions(Record):
    """Test-set P(class 1), aligned with ids; labels are the test ground truth (never shown to methods).

    A generative task records, per test prompt, 1.0 where that model's chosen completion is the
    answer and 0.0 where not, with every label 1: accuracy (p > 0.5 == label) and the paired
    bootstrap read both kinds alike.
    """

    ids_sha256: str
    labels: list[int]
    weak: list[float]
    w2s: list[float]
    ceiling: list[float]
    groups: list[int] | None = Field(
        None,
        description="each test example's group (core.metrics.group_index: examples that share a source, "
        "numbered by first appearance), which intervals resample as units; absent when every example is its own "
        "group, and in older records",
    )


class Provenance(Record):
    w2sbench: str
    python: str
    libraries: dict[str, str]
    git_revision: str | None
    config_hash: str
    regime: str
    budget: dict  # the regime's training settings (epochs, lr, ...): a cell's identity, never pooled
    numerics: dict | None = Field(
        None,
        description="the encoders' dtype and attention (in the key) and the kernels that ran them "
        "(models.numerics); absent for rungs without a transformer and in older records",
    )
    weak_labels: dict | None = Field(
        None,
        description="the standard weak-label set used instead of training the supervisor (its source and "
        "manifest sha256); absent when the harness trained the supervisor",
    )
    framing: str | None = Field(
        None,
        description="the task's framing where it is not binary (generative); regime stays the regime "
        "(probe or finetune). Absent on a binary task's record, as on every older one",
    )


class RecordIdentity(Record):
    """What a record is of: its content key and the experiment (task, rungs, method, seed, ladder).
    A full record (Result) and a private board's reduced one share it."""

    key: str
    task: TaskRef
    weak: RungRef
    strong: RungRef
    method: MethodRef
    seed: int
    ladder: str


class Result(RecordIdentity):
    schema_version: int = SCHEMA_VERSION
    scores: Scores
    predictions: Predictions
    timings_s: dict[str, float]
    provenance: Provenance
    sha256: str = ""

    def content_sha256(self) -> str:
        # fields added later stay out of the body when absent, so older records keep their checksums
        exclude = {
            "sha256": True,
            **({"task": {"data_source"}} if self.task.data_source is None else {}),
            "provenance": {f for f in ("numerics", "weak_labels", "framing") if getattr(self.provenance, f) is None},
            **({"predictions": {"groups"}} if self.predictions.groups is None else {}),
        }
        body = self.model_dump(mode="json", exclude=exclude)
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def config_key(config: dict) -> str:
    """The content key of an experiment's configuration."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


@lru_cache(maxsize=1)
def git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def library_versions() -> dict[str, str]:
    """The installed versions of the libraries a result depends on."""
    libs = {}
    for lib in ("torch", "transformers", "datasets", "numpy", "scikit-learn"):
        try:
            libs[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            pass
    return libs


def provenance(
    config_hash: str,
    regime: str,
    budget: dict,
    numerics: dict | None = None,
    weak_labels: dict | None = None,
    framing: str | None = None,
) -> Provenance:
    return Provenance(
        w2sbench=__version__,
        python=platform.python_version(),
        libraries=library_versions(),
        git_revision=git_revision(),
        config_hash=config_hash,
        regime=regime,
        budget=budget,
        numerics=numerics,
        weak_labels=weak_labels,
        framing=framing,
    )


# The rules every reader of records applies (ResultStore here, core.records for read-only reads).


def record_file_name(key: str) -> str:
    """The file a record of this key lives in (ResultStore.path)."""
    return f"{key[:32]}.json"


def misnamed(path: Path, r: Result) -> str | None:
    """Why a record's file name is not its key's (a copy counted as another seed), or None."""
    if path.name == record_file_name(r.key):
        return None
    return (
        f"its key names {record_file_name(r.key)}, not {path.name} (a copy or a rename of that record); "
        f"records are never renamed: delete {path.name} and re-run evaluate"
    )


def groups_of(r: Result) -> np.ndarray | None:
    """The record's test groups (Predictions.groups) as an array, or None: every example its own."""
    return None if r.predictions.groups is None else np.asarray(r.predictions.groups, dtype=np.int64)


def params_of(r: Result) -> str:
    """A record's method parameters, as one comparable string."""
    return json.dumps(r.method.params, sort_keys=True)


def version_of(r: Result) -> tuple[str, str, str]:
    """The method version a record was made by: name, code hash and parameters."""
    return r.method.name, r.method.code_hash, params_of(r)


def settings_of(r: Result) -> str:
    """How a record's heads were trained: its regime (and framing, where not binary), budget and
    encoders' dtype, as one comparable string."""
    dtype = f" {r.provenance.numerics['dtype']}" if r.provenance.numerics else ""
    framing = f" {r.provenance.framing}" if r.provenance.framing else ""
    return f"{r.provenance.regime}{framing} {json.dumps(r.provenance.budget, sort_keys=True)}{dtype}"


def identity_of(r: Result) -> tuple:
    """What one record stands for: (task, ladder, weak, strong, method and its parameters, seed,
    regime and budget). Two parameter settings of one method (naive and naive hard=True) are two cells."""
    return (r.task.id, r.ladder, r.weak.name, r.strong.name, r.method.name, params_of(r), r.seed, settings_of(r))


def _duplicates(found: dict[Path, Result]) -> list[tuple[Path, str]]:
    by_identity: dict[tuple, list[Path]] = defaultdict(list)
    for path, r in found.items():
        by_identity[identity_of(r)].append(path)
    bad = []
    for identity, paths in by_identity.items():
        if len(paths) < 2:
            continue
        task, _, weak, strong, method, params, seed, settings = identity
        method = method if params == "{}" else f"{method} {params}"
        for p in paths:
            others = ", ".join(q.name for q in paths if q != p)
            why = (
                f"a second record for {task} {weak}->{strong} {method} seed {seed} ({settings}): also in {others}; "
                "keep the one of the current code (`w2sbench evaluate ... --prune` removes stale ones)"
            )
            bad.append((p, why))
    return bad


def _mixed_settings(found: dict[Path, Result]) -> list[tuple[Path, str]]:
    """Records of one method on one task and ladder trained with different regimes or budgets:
    pooled into one score they would mix two experiments, so every one of them is named. (Tasks
    may differ in budget: a track trains every head of its tasks with one, running.tracks.Track.train.)"""
    groups: dict[tuple, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for path, r in found.items():
        groups[(r.task.id, r.ladder, r.method.name, params_of(r))][settings_of(r)].append(path)
    bad = []
    for (task, ladder, method, _), by_settings in groups.items():
        if len(by_settings) < 2:
            continue
        for settings, paths in by_settings.items():
            others = "; ".join(
                f"{s} in {', '.join(q.name for q in ps)}" for s, ps in by_settings.items() if s != settings
            )
            for p in paths:
                bad.append(
                    (
                        p,
                        f"{method} on {task}, ladder {ladder}, trained as {settings}, but also as {others}: one "
                        "folder holds one regime and budget per task; move one set of records to its own folder",
                    )
                )
    return bad


def duplicates(found: dict[Path, Result]) -> list[tuple[Path, str]]:
    """Every record that may not be pooled with the others, with why, naming the other files: a
    second record of a cell, or records of one method trained with different regimes or budgets."""
    bad = dict(_duplicates(found))
    bad.update((p, why) for p, why in _mixed_settings(found) if p not in bad)
    return sorted(bad.items())


class ResultStore:
    """A folder of result records, one file per content key."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / f"{key[:32]}.json"

    def write(self, result: Result) -> Result:
        """Seal the record with its checksum and write it atomically; returns the sealed record."""
        result = result.model_copy(update={"sha256": result.content_sha256()})
        atomic_write_bytes(self.path(result.key), (result.model_dump_json(indent=1) + "\n").encode())
        return result

    def read(self, key: str) -> Result | None:
        """The record for key, or None if absent; a corrupted record is set aside and reported."""
        path = self.path(key)
        if not path.exists():
            return None
        return self._load(path)

    def _load(self, path: Path) -> Result | None:
        try:
            result = Result.model_validate_json(path.read_bytes())
        except ValidationError as e:
            why = "not a valid result record: " + "; ".join(
                f"{'.'.join(map(str, err['loc'])) or '(top)'}: {err['msg']}" for err in e.errors()[:3]
            )
        except (ValueError, OSError) as e:
            why = f"unreadable: {e}"
        else:
            if result.sha256 == result.content_sha256():
                if misnamed(path, result):  # not corruption: a copy, counted as another experiment
                    raise CacheError(f"result record {path}: {misnamed(path, result)}")
                return result
            why = "checksum mismatch: its content changed after it was sealed"
        aside = path.with_suffix(".corrupt")
        path.replace(aside)
        print(
            f"w2sbench: result record {path} is corrupted ({why}); set aside as {aside} for "
            "inspection, and its experiment is recomputed",
            file=sys.stderr,
        )
        return None

    def all(self) -> list[Result]:
        """Every intact record; a misnamed record, or two records of one cell, is a CacheError naming the files."""
        found = {p: self._load(p) for p in sorted(self.root.glob("*.json"))}
        found = {p: r for p, r in found.items() if r is not None}
        twice = duplicates(found)
        if twice:
            raise CacheError(f"result records in {self.root}: " + "; ".join(f"{p.name}: {why}" for p, why in twice))
        return list(found.values())
