"""Task definitions: the strict schema of `tasks/*.yaml` and the registry that reads them.

A task is data, not code: where its rows come from (a pinned Hub revision, or files shipped
with the project and their sha256), which upstream split plays which role, and the named
conversion that turns an upstream row into standard examples.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from w2sbench.core.errors import TaskDefinitionError, unknown_name
from w2sbench.core.paths import tasks_dir
from w2sbench.core.schema import validation_problems

SHA40 = re.compile(r"^[0-9a-f]{40}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Strict(BaseModel):
    """Base for every schema: unknown fields are an error, objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class HubSource(Strict):
    """A Hugging Face Hub dataset at a pinned commit (or explicitly unpinned, with the reason)."""

    kind: Literal["hub"]
    dataset: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="namespaced Hub id")
    config: str | None = None
    revision: str | None = Field(None, description="40-hex commit; null only with unpinned_reason")
    unpinned_reason: str | None = None
    ref: str | None = Field(None, description="a branch to follow when unpinned, e.g. refs/convert/parquet")
    data_dir: str | None = Field(None, description="subfolder, e.g. the parquet export's")

    @model_validator(mode="after")
    def _pinned_or_said(self):
        if self.revision is None and not self.unpinned_reason:
            raise ValueError("revision is null: give unpinned_reason (never invent a hash)")
        if self.ref is not None and self.revision is not None:
            raise ValueError("give either a pinned revision or a ref to follow, not both")
        if self.revision is not None and not SHA40.match(self.revision):
            raise ValueError(f"revision {self.revision!r} is not a 40-hex commit")
        return self


class ShippedFile(Strict):
    """A data file shipped in tasks/, checked against its sha256 before use."""

    path: str = Field(description="relative to the tasks folder")
    sha256: str = Field(pattern=SHA256.pattern)


class FilesSource(Strict):
    """Files shipped with the project: one per upstream split, with checksums."""

    kind: Literal["files"]
    splits: dict[str, ShippedFile]
    build_command: str = Field(description="the command that rebuilds these files")


class Conversion(Strict):
    """The named converter (see w2sbench.tasks.conversions) and its parameters."""

    name: str
    params: dict = Field(default_factory=dict)


class Carve(Strict):
    """Pool and test carved from pooled upstream splits on group boundaries, for a task whose
    official splits share groups (w2sbench.tasks.hygiene.carve): the split is ours, not the task's."""

    carve: list[str] = Field(min_length=1, description="upstream splits whose examples are pooled")
    test_share: float = Field(gt=0, lt=1, description="share of the groups that make up the test role")


class Sizes(Strict):
    """Caps on examples after conversion and balancing."""

    pool: int = Field(gt=0, description="cap on the training pool split into supervisor_train/transfer/validation")
    test: int = Field(gt=0)


class PrivateDraw(Strict):
    """A test split drawn afresh from a secret (w2sbench.tasks.private): the builder's
    ``draw_private(n, seed, shipped)`` returns n rows in the shipped files' schema, none of them
    in the shipped files, so labels carried from the public data cannot reach the score."""

    builder: str = Field(pattern=r"^[a-z_][\w.]*$", description="module with draw_private, e.g. w2sbench.tasks.builders.chess_puzzles")
    size: int = Field(gt=0, description="rows drawn (before conversion, hygiene and the test cap)")


class Task(Strict):
    """One task definition (tasks/ID.yaml)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    version: int = Field(ge=1, description="bump when the conversion or data changes")
    description: str
    source: HubSource | FilesSource = Field(discriminator="kind")
    splits: dict[Literal["pool", "test"], str] | Carve = Field(
        description="role -> upstream split name (pool is split into supervisor_train/transfer/validation), "
        "or a carve of pool and test from pooled upstream splits"
    )
    conversion: Conversion
    match_candidates: float | None = Field(
        None, gt=1, description="keep only (right, wrong) candidates of one question whose lengths differ by at "
        "most this ratio (w2sbench.tasks.hygiene.match_candidates)"
    )
    sizes: Sizes
    balance: bool = True
    suites: list[str] = Field(min_length=1)
    private: PrivateDraw | None = Field(None, description="how a secret draws the private test split (files sources only)")
    licence: str
    citation: str
    homepage: str

    @model_validator(mode="after")
    def _roles_complete(self):
        if not isinstance(self.splits, Carve) and set(self.splits) != {"pool", "test"}:
            raise ValueError("splits must map both roles 'pool' and 'test' to upstream split names")
        if isinstance(self.source, FilesSource):
            missing = set(self.upstream_splits()) - set(self.source.splits)
            if missing:
                raise ValueError(f"splits name {sorted(missing)} but source.splits has no such file")
        if self.private is not None and (not isinstance(self.source, FilesSource) or isinstance(self.splits, Carve)):
            raise ValueError("private: needs a files source with a pool and a test split (the pool file is kept)")
        return self

    def upstream_splits(self) -> list[str]:
        """Every upstream split the task reads."""
        return list(self.splits.carve if isinstance(self.splits, Carve) else self.splits.values())

    @property
    def framing(self) -> str:
        """binary (Examples, a head per rung) or generative (Prompts, a language model writes
        the answer): what the task's conversion yields."""
        from w2sbench.tasks.conversions import framing_of

        return framing_of(self.conversion.name)

    @property
    def pinned(self) -> bool:
        return isinstance(self.source, FilesSource) or self.source.revision is not None

    def data_revision(self) -> str:
        """What identifies the data: the Hub commit, or the checksums of the shipped files."""
        if isinstance(self.source, FilesSource):
            return "sha256:" + ",".join(f.sha256[:16] for _, f in sorted(self.source.splits.items()))
        return self.source.revision or "unpinned"


def load_task_file(path: Path) -> Task:
    """Parse and validate one task file; errors name the file and the field."""
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise TaskDefinitionError(f"{path}: cannot read task definition: {e}") from None
    if not isinstance(raw, dict):
        raise TaskDefinitionError(f"{path}: expected a mapping of task fields, got {type(raw).__name__}")
    try:
        task = Task.model_validate(raw)
    except ValidationError as e:
        raise TaskDefinitionError(f"{path}: invalid task definition: {validation_problems(e)}") from None
    if task.id != path.stem:
        raise TaskDefinitionError(f"{path}: id {task.id!r} must equal the file name {path.stem!r}")
    return task


@lru_cache(maxsize=8)
def _registry(folder: Path) -> dict[str, Task | TaskDefinitionError]:
    """Every task file, parsed or the error it raised: one broken file breaks only what uses it."""
    out: dict[str, Task | TaskDefinitionError] = {}
    for p in sorted(folder.glob("*.yaml")):
        try:
            out[p.stem] = load_task_file(p)
        except TaskDefinitionError as e:
            out[p.stem] = e
    return out


def all_tasks(folder: Path | None = None) -> dict[str, Task]:
    """Every valid task defined in the tasks folder, by id (see broken_tasks for the others)."""
    return {k: v for k, v in _registry(Path(folder or tasks_dir()).resolve()).items() if isinstance(v, Task)}


def broken_tasks(folder: Path | None = None) -> dict[str, TaskDefinitionError]:
    """Task files that do not parse, by id, with the error naming the file and field."""
    return {k: v for k, v in _registry(Path(folder or tasks_dir()).resolve()).items() if not isinstance(v, Task)}


def get_task(task_id: str, folder: Path | None = None) -> Task:
    registry = _registry(Path(folder or tasks_dir()).resolve())
    if task_id not in registry:
        raise unknown_name("task", task_id, registry)
    found = registry[task_id]
    if isinstance(found, TaskDefinitionError):
        raise found
    return found


def suite_tasks(suite: str, folder: Path | None = None) -> list[Task]:
    """The tasks of a named suite, in id order."""
    tasks = all_tasks(folder)
    members = [t for t in tasks.values() if suite in t.suites]
    if not members:
        raise unknown_name("suite", suite, {s for t in tasks.values() for s in t.suites})
    broken = broken_tasks(folder)
    if broken:  # a broken file may belong to the suite: running it without that task would mislead
        raise TaskDefinitionError(f"suite {suite}: fix the task files that do not parse first: "
                                  + "; ".join(str(e) for e in broken.values()))
    return members
