"""Loading a task's rows through `datasets` and converting them to standard examples.

One code path serves every source: a Hub dataset at its pinned revision, the checksummed
files shipped in tasks/, or a local folder of parquet files in the upstream schema (how the
tests feed each converter its fixture rows).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from w2sbench.core.errors import W2SError
from w2sbench.core.example import Example
from w2sbench.core.paths import tasks_dir
from w2sbench.tasks.conversions import get_converter
from w2sbench.tasks.task import FilesSource, Task


@dataclass(frozen=True)
class TaskData:
    """A task's converted, balanced and capped examples, by role (pool and test)."""

    task: Task
    pool: list[Example]
    test: list[Example]
    data_revision: str


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_split(task: Task, split: str, local_dir: Path | None):
    """One upstream split as a datasets.Dataset."""
    import datasets

    datasets.disable_progress_bars()
    if local_dir is not None:
        base = split.split("[")[0]  # a slice such as train[:5000] applies to the base split's files
        files = sorted(Path(local_dir).glob(f"{base}*.parquet"))
        if not files:
            raise W2SError(f"{local_dir}: no parquet file for split {base!r} of task {task.id}")
        return datasets.load_dataset("parquet", data_files={base: [str(f) for f in files]}, split=split)
    src = task.source
    if isinstance(src, FilesSource):
        shipped = src.splits[split]
        path = tasks_dir() / shipped.path
        if not path.exists():
            raise W2SError(f"task {task.id}: data file {path} is missing; rebuild it with: {src.build_command}")
        actual = sha256_file(path)
        if actual != shipped.sha256:
            raise W2SError(
                f"task {task.id}: {path} has sha256 {actual[:16]}..., the task file expects "
                f"{shipped.sha256[:16]}...; rebuild it with: {src.build_command}"
            )
        return datasets.load_dataset("parquet", data_files={split: str(path)}, split=split)
    try:
        return datasets.load_dataset(
            src.dataset, src.config, split=split, revision=src.revision or src.ref, data_dir=src.data_dir
        )
    except Exception as e:  # datasets raises many types for an unreachable or missing dataset
        raise W2SError(
            f"task {task.id}: cannot load Hub dataset {src.dataset} ({src.config or 'default'}, "
            f"split {split!r}, revision {src.revision or 'unpinned'}): {type(e).__name__}: {e}"
        ) from None


def _rng(task: Task, split: str, index: int) -> random.Random:
    return random.Random(f"{task.id}/{task.version}/{split}/{index}")


def convert_rows(task: Task, rows, split: str) -> list[Example]:
    """Run the task's converter over every row; errors name the task, split and row."""
    fn = get_converter(task.conversion.name)
    out: list[Example] = []
    for index, row in enumerate(rows.to_list()):  # a datasets.Dataset: one Arrow conversion, not one per row
        try:
            out.extend(fn(row, index, split, _rng(task, split, index), **task.conversion.params))
        except (KeyError, TypeError, ValueError) as e:
            raise W2SError(
                f"task {task.id}: conversion {task.conversion.name!r} failed on split {split!r} "
                f"row {index}: {type(e).__name__}: {e}"
            ) from None
    ids = [e.id for e in out]
    if len(set(ids)) != len(ids):
        raise W2SError(f"task {task.id}: conversion {task.conversion.name!r} produced duplicate example ids")
    return out


def _order_key(task: Task, example: Example) -> str:
    return hashlib.sha256(f"{task.id}/{example.id}".encode()).hexdigest()


def balance_and_cap(task: Task, examples: list[Example], cap: int) -> list[Example]:
    """Deterministically undersample the majority class to 50/50 (if the task balances), then cap.

    Order is by a hash of the example id, so the kept set does not depend on upstream row order.
    """
    ordered = sorted(examples, key=lambda e: _order_key(task, e))
    if task.balance and task.framing == "generative":
        raise W2SError(f"task {task.id}: balance: true needs binary labels, but its conversion "
                       f"{task.conversion.name!r} is generative; set balance: false")
    if not task.balance:
        return ordered[:cap]
    pos = [e for e in ordered if e.label == 1]
    neg = [e for e in ordered if e.label == 0]
    n = min(len(pos), len(neg), cap // 2)
    kept = {e.id for e in pos[:n] + neg[:n]}
    return [e for e in ordered if e.id in kept]


FIXTURE_SPLITS = "splits.yaml"


def _splits(task: Task, local_dir: Path | None) -> dict[str, str]:
    """The task's role -> split map; a fixture folder may hold its own (``splits.yaml``) for a
    task whose splits are row slices of a huge upstream split (chess_lichess's train[:5000])."""
    path = Path(local_dir) / FIXTURE_SPLITS if local_dir is not None else None
    if path is None or not path.exists():
        return task.splits
    import yaml

    splits = yaml.safe_load(path.read_text())
    if not isinstance(splits, dict) or set(splits) != {"pool", "test"}:
        raise W2SError(f"{path}: expected a mapping of the roles pool and test to split names, got {splits!r}")
    return splits


def load_task_data(task: Task, local_dir: Path | None = None) -> TaskData:
    """Load, convert, balance and cap a task's pool and test examples."""
    roles = {}
    for role, split in _splits(task, local_dir).items():
        rows = _load_split(task, split, local_dir)
        examples = convert_rows(task, rows, split)
        cap = task.sizes.pool if role == "pool" else task.sizes.test
        roles[role] = balance_and_cap(task, examples, cap)
        if not roles[role]:
            raise W2SError(f"task {task.id}: role {role!r} (split {split!r}) has no examples after conversion")
    revision = f"local:{local_dir}" if local_dir is not None else task.data_revision()
    return TaskData(task=task, pool=roles["pool"], test=roles["test"], data_revision=revision)
