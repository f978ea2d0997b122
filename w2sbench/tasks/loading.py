"""Loading a task's rows through `datasets` and converting them to standard examples.

One code path serves every source: a Hub dataset at its pinned revision, the checksummed
files shipped in tasks/, or a local mirror: a folder ``DIR/<task id>/<split>.parquet`` of rows
in the upstream schema (the tests' fixture rows, or real rows kept on a machine without the
Hub), chosen with ``--data-dir DIR`` or ``$W2SBENCH_DATA_DIR`` (``data_dir`` and
``mirror_folders`` resolve it, for every command alike).

What identifies the data in records is the sha256 of the converted examples, so the same rows
read from a mirror and from the Hub give the same experiment keys; ``TaskData.source`` says
where they were read from. (Tasks read from their shipped files keep the files' checksums as
their identity: those pin the examples just as well, and committed records name them.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from w2sbench.core.errors import DataError, HubError, TaskDefinitionError
from w2sbench.core.example import Example
from w2sbench.core.paths import tasks_dir
from w2sbench.tasks import hygiene
from w2sbench.tasks.conversions import get_converter
from w2sbench.tasks.task import Carve, FilesSource, HubSource, Task

DATA_DIR_ENV = "W2SBENCH_DATA_DIR"


def data_dir(option: Path | str | None = None) -> Path | None:
    """The local mirror to read rows from: the option, else $W2SBENCH_DATA_DIR, else none (the
    task's own source). A named folder that does not exist is an error, not a silent fallback."""
    chosen = option if option not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    if chosen is None:
        return None
    path = Path(chosen)
    if not path.is_dir():
        how = "--data-dir" if option not in (None, "") else f"${DATA_DIR_ENV}"
        raise DataError(f"{how} {path}: no such folder (expected DIR/<task id>/<split>.parquet in the upstream schema)")
    return path


class Mirror(Mapping):
    """A local mirror as a task id -> folder map (what Workspace.local_data takes).

    A Hub task the mirror lacks is an error (its rows would otherwise come from somewhere else
    than asked); a task with shipped files keeps its files unless the mirror holds a folder
    for it (``get`` gives None)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def __getitem__(self, task_id: str) -> Path:
        from w2sbench.tasks.task import get_task

        folder = self.root / task_id
        if folder.is_dir():
            return folder
        if isinstance(get_task(task_id).source, HubSource):
            raise DataError(f"{self.root}: no folder {task_id}/ for task {task_id} (expected {folder}/<split>.parquet)")
        raise KeyError(task_id)

    def __iter__(self):
        return iter(sorted(p.name for p in self.root.iterdir() if p.is_dir()))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:  # a mirror with no folder yet is still the place to read from
        return True


def mirror(option: Path | str | None = None) -> Mirror | None:
    """The mirror chosen by ``--data-dir`` (else $W2SBENCH_DATA_DIR), or None: every command's
    one way to turn the option into where each task's rows come from."""
    root = data_dir(option)
    return None if root is None else Mirror(root)


@dataclass(frozen=True)
class TaskData:
    """A task's converted, balanced and capped examples, by role (pool and test)."""

    task: Task
    pool: list[Example]
    test: list[Example]
    data_revision: str
    source: str | None = None  # where the rows were read from (a Hub revision, shipped files, a mirror folder)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def shipped_file(task: Task, split: str) -> Path:
    """The path of a files task's shipped split, after checking it against the task's sha256."""
    src = task.source
    shipped = src.splits[split]
    path = tasks_dir() / shipped.path
    if not path.exists():
        raise DataError(f"task {task.id}: data file {path} is missing; rebuild it with: {src.build_command}")
    actual = sha256_file(path)
    if actual != shipped.sha256:
        raise DataError(
            f"task {task.id}: {path} has sha256 {actual[:16]}..., the task file expects "
            f"{shipped.sha256[:16]}...; rebuild it with: {src.build_command}"
        )
    return path


def _split_field(task: Task, split: str) -> str:
    """The task file's field that names upstream split ``split`` (splits.pool, splits.test, splits.carve)."""
    if isinstance(task.splits, Carve):
        return "splits.carve"
    return " and ".join(f"splits.{role}" for role, s in sorted(task.splits.items()) if s == split) or "splits"


def _load_split(task: Task, split: str, local_dir: Path | None):
    """One upstream split as a datasets.Dataset."""
    import datasets

    datasets.disable_progress_bars()
    if local_dir is not None:
        base = split.split("[")[0]  # a slice such as train[:5000] applies to the base split's files
        files = sorted(Path(local_dir).glob(f"{base}*.parquet"))
        if not files:
            found = sorted(p.name for p in Path(local_dir).glob("*.parquet"))
            raise DataError(
                f"{local_dir}: no parquet file for split {base!r} of task {task.id} "
                f"(expected {base}.parquet; found {', '.join(found) or 'none'}; the split is named "
                f"by {_split_field(task, split)} of {task.file or 'its task file'})"
            )
        return datasets.load_dataset("parquet", data_files={base: [str(f) for f in files]}, split=split)
    src = task.source
    if isinstance(src, FilesSource):
        return datasets.load_dataset("parquet", data_files={split: str(shipped_file(task, split))}, split=split)
    try:
        return datasets.load_dataset(
            src.dataset, src.config, split=split, revision=src.revision or src.ref, data_dir=src.data_dir
        )
    except Exception as e:  # datasets raises many types for an unreachable or missing dataset
        if isinstance(e, ValueError) and str(e).startswith("Unknown split"):  # a typo in the task file
            raise TaskDefinitionError(
                f"{task.where}: {_split_field(task, split)}: {src.dataset} has no split {split!r}: {e}"
            ) from None
        raise HubError(
            f"task {task.id}: cannot load Hub dataset {src.dataset} ({src.config or 'default'}, "
            f"split {split!r}, revision {src.revision or 'unpinned'}): {type(e).__name__}: {e}"
        ) from None


def _rng(task: Task, split: str, index: int) -> random.Random:
    return random.Random(f"{task.id}/{task.version}/{split}/{index}")


def _params_naming(task: Task, column: str) -> list[str]:
    """The conversion parameters whose value names ``column`` (a template's ``{column}``, a column name)."""
    field = re.compile(rf"{{{re.escape(column)}[}}\[.!:]")  # {column}, {column[key]}, {column:>10}

    def names(value) -> bool:
        if isinstance(value, str):
            return value.split(".")[0] == column or bool(field.search(value))
        return isinstance(value, (list, tuple)) and any(names(v) for v in value)

    return [f"conversion.params.{k}" for k, v in task.conversion.params.items() if names(v)]


def convert_rows(task: Task, rows, split: str, where: str = "its source") -> list[Example]:
    """Run the task's converter over every row; errors name the task and its file, split, row and
    (a schema mismatch) the missing column, the parameter that reads it and the columns the rows have."""
    problems = task.conversion_problems()  # checked when the file is read; again for a task built in code
    if problems:
        raise TaskDefinitionError(f"{task.where}: invalid conversion: {'; '.join(problems)}")
    fn = get_converter(task.conversion.name)
    out: list[Example] = []
    for index, row in enumerate(rows.to_list()):  # a datasets.Dataset: one Arrow conversion, not one per row
        try:
            out.extend(fn(row, index, split, _rng(task, split, index), **task.conversion.params))
        except KeyError as e:
            readers = _params_naming(task, str(e.args[0]) if e.args else "")
            by = f" ({', '.join(readers)} names it)" if readers else ""
            raise DataError(
                f"{task.where}: split {split!r} from {where} has no column {e} that conversion "
                f"{task.conversion.name!r} reads{by} (row {index}); its columns: {', '.join(rows.column_names)}"
            ) from None
        except (TypeError, ValueError) as e:
            raise DataError(
                f"{task.where}: conversion {task.conversion.name!r} (conversion.params) failed on split {split!r} "
                f"row {index}: {type(e).__name__}: {e}"
            ) from None
    ids = [e.id for e in out]
    if len(set(ids)) != len(ids):
        raise DataError(f"{task.where}: conversion {task.conversion.name!r} produced duplicate example ids")
    return out


def _order_key(task: Task, example: Example, purpose: str = "") -> str:
    salt = f"{purpose}/" if purpose else ""
    return hashlib.sha256(f"{task.id}/{salt}{example.id}".encode()).hexdigest()


def balance_and_cap(task: Task, examples: list[Example], cap: int) -> list[Example]:
    """Deterministically undersample the majority class to 50/50 (if the task balances), then cap.

    Order is by a hash of the example id, so the kept set does not depend on upstream row order.
    """
    ordered = sorted(examples, key=lambda e: _order_key(task, e))
    if task.balance and task.framing == "generative":
        raise TaskDefinitionError(
            f"{task.where}: balance: true needs binary labels, but its conversion "
            f"{task.conversion.name!r} is generative; set balance: false"
        )
    if not task.balance:
        return ordered[:cap]
    # which examples of the larger class are kept is drawn by a second hash: kept by the order key
    # itself, they would be the earliest in the order, and position would tell the class
    chosen = sorted(examples, key=lambda e: _order_key(task, e, "select"))
    pos = [e for e in chosen if e.label == 1]
    neg = [e for e in chosen if e.label == 0]
    n = min(len(pos), len(neg), cap // 2)
    kept = {e.id for e in pos[:n] + neg[:n]}
    return [e for e in ordered if e.id in kept]


FIXTURE_SPLITS = "splits.yaml"


def _splits(task: Task, local_dir: Path | None) -> dict[str, str] | Carve:
    """The task's role -> split map (or carve); a mirror folder may hold its own (``splits.yaml``)
    for a task whose splits are row slices of a huge upstream split (chess_lichess's train[:5000])
    or where only one labelled split survives."""
    path = Path(local_dir) / FIXTURE_SPLITS if local_dir is not None else None
    if path is None or not path.exists():
        return task.splits
    import yaml
    from pydantic import ValidationError

    splits = yaml.safe_load(path.read_text())
    if isinstance(splits, dict) and "carve" in splits:
        try:
            return Carve.model_validate(splits)
        except ValidationError as e:
            raise DataError(f"{path}: invalid carve: {e.errors()[0]['msg']}") from None
    if not isinstance(splits, dict) or set(splits) != {"pool", "test"}:
        raise DataError(f"{path}: expected a mapping of the roles pool and test to split names, got {splits!r}")
    return splits


def _converted(task: Task, split: str, local_dir: Path | None) -> list:
    where = str(local_dir) if local_dir is not None else f"{task.source.kind} source"
    return convert_rows(task, _load_split(task, split, local_dir), split, where)


def examples_sha256(pool: list, test: list) -> str:
    """The identity of converted data: every field of every pool and test example, in order."""
    body = [[role, dataclasses.asdict(e)] for role, examples in (("pool", pool), ("test", test)) for e in examples]
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


PRIVATE_MANIFEST = "private.json"  # in a private split's folder (w2sbench.tasks.private)


def _source(task: Task, local_dir: Path | None) -> str:
    if local_dir is not None and (Path(local_dir) / PRIVATE_MANIFEST).exists():
        drawn = json.loads((Path(local_dir) / PRIVATE_MANIFEST).read_text())
        return f"private:test sha256 {drawn['test_sha256']}"
    if local_dir is not None:
        return f"mirror:{Path(local_dir).resolve()}"
    if isinstance(task.source, FilesSource):
        return "files:" + ",".join(f.path for _, f in sorted(task.source.splits.items()))
    src = task.source
    return f"hub:{src.dataset}{'/' + src.config if src.config else ''}@{src.revision or src.ref or 'unpinned'}"


def load_task_data(task: Task, local_dir: Path | None = None) -> TaskData:
    """Load, convert, clean (hygiene.py), balance and cap a task's pool and test examples."""
    splits = _splits(task, local_dir)
    if isinstance(splits, Carve):
        pooled = [e for split in splits.carve for e in _converted(task, split, local_dir)]
        if len({e.id for e in pooled}) != len(pooled):
            raise DataError(f"task {task.id}: carving {splits.carve}: the splits' example ids collide")
        pool, test = hygiene.carve(task.id, pooled, splits.test_share)
        names = {"pool": f"carved from {'+'.join(splits.carve)}", "test": f"carved from {'+'.join(splits.carve)}"}
    else:
        pool, test = (_converted(task, splits[role], local_dir) for role in ("pool", "test"))
        names = splits
    pool = hygiene.dedupe_within(task.id, pool)
    test = hygiene.drop_seen_in_pool(pool, hygiene.dedupe_within(task.id, test))
    if task.match_candidates is not None:
        pool, test = (hygiene.match_candidates(task.id, role, task.match_candidates) for role in (pool, test))
    roles = {"pool": balance_and_cap(task, pool, task.sizes.pool), "test": balance_and_cap(task, test, task.sizes.test)}
    for role, examples in roles.items():
        if not examples:
            raise DataError(f"task {task.id}: role {role!r} ({names[role]}) has no examples after conversion")
    if local_dir is None and isinstance(task.source, FilesSource):
        revision = task.data_revision()
    else:
        revision = "examples:" + examples_sha256(roles["pool"], roles["test"])[:32]
    return TaskData(
        task=task, pool=roles["pool"], test=roles["test"], data_revision=revision, source=_source(task, local_dir)
    )
