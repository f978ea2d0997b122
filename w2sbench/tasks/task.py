"""Task definitions: the strict schema of `tasks/*.yaml` and the registry that reads them.

A task is data, not code: where its rows come from (a pinned Hub revision, or files shipped
with the project and their sha256), which upstream split plays which role, and the named
conversion that turns an upstream row into standard examples.

A task file may ``include:`` base files (read_task_mapping): fields that several tasks share are
written once, in a folder the registry does not list (tasks/_base/), and merged under the task's
own before the schema sees them.
"""

from __future__ import annotations

import difflib
import importlib.util
import pkgutil
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Discriminator, Field, PrivateAttr, Tag, ValidationError, model_validator

from w2sbench.core.errors import TaskDefinitionError, W2SError, unknown_name
from w2sbench.core.paths import tasks_dir
from w2sbench.core.schema import SHA40, SHA256, Strict, read_yaml_mapping, validation_problems


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

    builder: str = Field(
        pattern=r"^[a-z_][\w.]*$", description="module with draw_private, e.g. w2sbench.tasks.builders.chess_puzzles"
    )
    size: int = Field(gt=0, description="rows drawn (before conversion, hygiene and the test cap)")


def _splits_kind(value) -> str:
    return "carve" if isinstance(value, dict) and "carve" in value else "roles"


# a role map or a carve, told apart by the carve key: an error then names one form's fields, not both
Splits = Annotated[
    Annotated[dict[Literal["pool", "test"], str], Tag("roles")] | Annotated[Carve, Tag("carve")],
    Discriminator(_splits_kind),
]


class Change(Strict):
    """What one version changed against the one before it (the task's ``changes:``)."""

    version: int = Field(ge=2, description="the version this change made (version 1 is the first definition)")
    change: str = Field(min_length=1, description="what changed, in a sentence or two")


class Task(Strict):
    """One task definition (tasks/ID.yaml)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    version: int = Field(ge=1, description="bump when the conversion or data changes")
    description: str
    source: HubSource | FilesSource = Field(discriminator="kind")
    splits: Splits = Field(
        description="role -> upstream split name (pool is split into supervisor_train/transfer/validation), "
        "or a carve of pool and test from pooled upstream splits"
    )
    conversion: Conversion
    match_candidates: float | None = Field(
        None,
        gt=1,
        description="keep only (right, wrong) candidates of one question whose lengths differ by at "
        "most this ratio (w2sbench.tasks.hygiene.match_candidates)",
    )
    sizes: Sizes
    balance: bool = True
    suites: list[str] = Field(min_length=1)
    private: PrivateDraw | None = Field(
        None, description="how a secret draws the private test split (files sources only)"
    )
    licence: str
    citation: str
    homepage: str
    changes: list[Change] = Field(
        default_factory=list,
        description="the version history: what each version after the first changed, by "
        "increasing version, none later than version",
    )

    _file: Path | None = PrivateAttr(None)  # the task file it was read from (load_task_file)

    @model_validator(mode="after")
    def _roles_complete(self):
        if not isinstance(self.splits, Carve) and set(self.splits) != {"pool", "test"}:
            missing = sorted({"pool", "test"} - set(self.splits))
            raise ValueError(
                f"splits: must map both roles 'pool' and 'test' to upstream split names (missing: {', '.join(missing)})"
            )
        if isinstance(self.source, FilesSource):
            named = (
                [("carve", s) for s in self.splits.carve]
                if isinstance(self.splits, Carve)
                else sorted(self.splits.items())
            )
            shipped = sorted(self.source.splits)
            for role, split in named:
                if split not in shipped:
                    close = difflib.get_close_matches(split, shipped, n=1, cutoff=0.5)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise ValueError(
                        f"splits.{role}: {split!r} is not a split of source.splits "
                        f"(which has {', '.join(shipped)}){hint}"
                    )
        if self.private is not None and (not isinstance(self.source, FilesSource) or isinstance(self.splits, Carve)):
            raise ValueError("private: needs a files source with a pool and a test split (the pool file is kept)")
        return self

    @model_validator(mode="after")
    def _changes_in_order(self):
        versions = [c.version for c in self.changes]
        if repeated := sorted({v for v in versions if versions.count(v) > 1}):
            raise ValueError(
                f"changes: version {repeated[0]} has more than one entry (say everything it changed in one change)"
            )
        if late := [v for v in versions if v > self.version]:
            raise ValueError(f"changes: version {late[0]} is later than the task's version {self.version}")
        if versions != sorted(versions):
            raise ValueError(
                f"changes: list them by increasing version (got {', '.join(map(str, versions))}; the "
                "changes of included files come before the task's own)"
            )
        return self

    @property
    def file(self) -> Path | None:
        """The task file this definition was read from (None for one built in code)."""
        return self._file

    @property
    def where(self) -> str:
        """How an error names the task: its id and, when known, its file."""
        return f"task {self.id} ({self._file})" if self._file else f"task {self.id}"

    def conversion_problems(self) -> list[str]:
        """What the schema cannot check of ``conversion``, each naming its field: an unknown name
        (with the close ones), and parameters that the converter does not take, lacks or would
        read as another type, with what it takes. Empty when the conversion fits."""
        from w2sbench.tasks import conversions

        name = self.conversion.name
        try:
            conversions.get_converter(name)
        except W2SError as e:
            return [f"conversion.name: {e}"]
        problems = [
            f"conversion.params.{key}: {what}" for key, what in conversions.param_problems(name, self.conversion.params)
        ]
        return problems + [conversions.accepted(name)] if problems else []

    def definition_problems(self) -> list[str]:
        """Every problem that reading the task file can find beyond its schema: the conversion's
        (conversion_problems), balance on a generative conversion, a private builder module that
        does not exist."""
        problems = self.conversion_problems()
        if problems:
            return problems
        if self.balance and self.framing == "generative":
            problems.append(
                f"balance: true needs binary labels, but conversion {self.conversion.name!r} is "
                "generative; set balance: false"
            )
        if self.private is not None and (missing := _missing_module(self.private.builder)):
            problems.append(f"private.builder: {missing} (expected a module with draw_private(n, seed, shipped))")
        return problems

    def history(self) -> str:
        """The description followed by each change as "Version N: ...", as one paragraph."""
        return " ".join(
            [
                " ".join(self.description.split()),
                *(f"Version {c.version}: {' '.join(c.change.split())}" for c in self.changes),
            ]
        )

    def upstream_splits(self) -> list[str]:
        """Every upstream split the task reads."""
        return list(self.splits.carve if isinstance(self.splits, Carve) else self.splits.values())

    @property
    def framing(self) -> str:
        """binary (Examples, a head per rung) or generative (Prompts, a language model writes
        the answer): what the task's conversion yields."""
        from w2sbench.tasks.conversions import framing_name

        return framing_name(self.conversion.name)

    @property
    def pinned(self) -> bool:
        return isinstance(self.source, FilesSource) or self.source.revision is not None

    def data_revision(self) -> str:
        """What identifies the data: the Hub commit, or the checksums of the shipped files."""
        if isinstance(self.source, FilesSource):
            return "sha256:" + ",".join(f.sha256[:16] for _, f in sorted(self.source.splits.items()))
        return self.source.revision or "unpinned"


def _missing_module(name: str) -> str | None:
    """Why module ``name`` cannot be imported, suggesting close names; None when it can."""
    try:
        if importlib.util.find_spec(name) is not None:
            return None
    except (ImportError, ValueError):
        pass
    known = set()
    for package in {name.rpartition(".")[0], "w2sbench.tasks.builders"} - {""}:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.submodule_search_locations:
            known |= {f"{package}.{m.name}" for m in pkgutil.iter_modules(spec.submodule_search_locations)}
    return str(unknown_name("module", name, known))


# the tags that say which form of a union field an error is about: left out of the field path
_UNION_TAGS = {"source": {"hub", "files"}, "splits": {"roles", "carve"}}


INCLUDE = "include"  # the field naming a task file's base files: read here, not a field of Task
OWN_FIELDS = ("id", "version")  # what each task file states itself: a base file may not set them


def merge_mappings(base: dict, over: dict) -> dict:
    """``over`` merged onto ``base``: mappings merged key by key, recursively; any other value
    (a list, a scalar, null) of ``over`` replaces the base's."""
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            merge_mappings(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        )
    return out


def _include_names(path: Path, raw: dict) -> list[str]:
    names = raw.pop(INCLUDE, None)
    names = [names] if isinstance(names, str) else names
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise TaskDefinitionError(
            f"{path}: {INCLUDE}: expected a base file's path or a list of them, relative to this file (got {names!r})"
        )
    return names


def read_task_mapping(path: Path, _chain: tuple[Path, ...] = ()) -> dict:
    """A task file's mapping with the base files it names in ``include:`` merged in.

    ``include:`` is a path or a list of paths, relative to the including file. The bases are
    merged in the order given (a later one wins over an earlier one), then the file's own keys
    over them (merge_mappings: mappings merged recursively, lists and scalars replaced), with one
    exception: ``changes`` lists are concatenated, the bases' entries first. A base file may
    itself include others; it may not set id or version. A missing, unreadable or malformed base
    and an include cycle are errors naming the including file, the include field and the path."""
    path = Path(path)
    raw = read_yaml_mapping(path, "base task file" if _chain else "task definition", TaskDefinitionError)
    if _chain and (own := [k for k in OWN_FIELDS if k in raw]):
        raise TaskDefinitionError(f"{path}: a base file may not set {' or '.join(own)} (each task file states its own)")
    if INCLUDE not in raw:
        return raw
    chain = (*_chain, path.resolve())
    merged: dict = {}
    changes: list = []  # the changes fields of the bases, then the file's own
    for name in _include_names(path, raw):
        base = path.parent / name
        where = f"{path}: {INCLUDE}: {name!r}"
        if base.resolve() in chain:
            cycle = [*chain[chain.index(base.resolve()) :], base.resolve()]
            raise TaskDefinitionError(f"{where}: an include cycle ({' -> '.join(map(str, cycle))})")
        if not base.is_file():
            raise TaskDefinitionError(f"{where}: no such file {base}")
        try:
            included = read_task_mapping(base, chain)
        except TaskDefinitionError as e:
            raise TaskDefinitionError(f"{where}: {e}") from None
        changes += [included["changes"]] if "changes" in included else []
        merged = merge_mappings(merged, included)
    changes += [raw["changes"]] if "changes" in raw else []
    merged = merge_mappings(merged, raw)
    if changes:  # concatenated; a value that is not a list is kept, for the schema to name
        wrong = [c for c in changes if not isinstance(c, list)]
        merged["changes"] = wrong[0] if wrong else [entry for c in changes for entry in c]
    return merged


def load_task_file(path: Path) -> Task:
    """Parse and validate one task file, with its includes merged in (read_task_mapping); errors
    name the file and the field."""
    path = Path(path)
    raw = read_task_mapping(path)
    try:
        task = Task.model_validate(raw)
    except ValidationError as e:
        names = read_yaml_mapping(path, "task definition", TaskDefinitionError).get(INCLUDE)
        names = [names] if isinstance(names, str) else names or []
        merged = f" (merged with {INCLUDE}: {', '.join(names)})" if names else ""
        raise TaskDefinitionError(
            f"{path}: invalid task definition{merged}: {'; '.join(validation_problems(e, union_tags=_UNION_TAGS))}"
        ) from None
    if task.id != path.stem:
        raise TaskDefinitionError(f"{path}: id {task.id!r} must equal the file name {path.stem!r}")
    problems = task.definition_problems()
    if problems:
        raise TaskDefinitionError(f"{path}: invalid task definition: {'; '.join(problems)}")
    task._file = path
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
        raise TaskDefinitionError(
            f"suite {suite}: fix the task files that do not parse first: " + "; ".join(str(e) for e in broken.values())
        )
    return members
