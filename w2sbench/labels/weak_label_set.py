"""WeakLabels read back: every checksum verified before a table is read, and the labels served to a
workspace only for the exact task version, data revision and example ids they were made for."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from pydantic import ValidationError

from w2sbench.core.errors import WeakLabelsError
from w2sbench.core.splits import WEAK_LABELLED_ROLES as ROLES
from w2sbench.core.splits import Splits
from w2sbench.labels.manifest import (
    COLUMNS,
    MANIFEST,
    MANIFEST_SCHEMA,
    Manifest,
    TableEntry,
    sha256_bytes,
)
from w2sbench.models.ladder import Rung
from w2sbench.protocol.workspace import Workspace
from w2sbench.tasks.task import Task

# ---------------------------------------------------------------------------- verification


@dataclass
class _Table:
    entry: TableEntry
    ids: dict[str, tuple[str, ...]]
    soft: dict[str, np.ndarray]


@dataclass
class WeakLabelSet:
    """Verified standard weak labels; hand one to a Workspace to use them instead of training."""

    source: str
    folder: Path
    manifest: Manifest
    tables: dict[tuple[str, str, int], _Table] = field(repr=False)

    def available(self) -> list[str]:
        return [f"{t}/{r}/seed{s}" for t, r, s in sorted(self.tables)]

    def _table(self, task: Task, rung: Rung, seed: int) -> _Table:
        found = self.tables.get((task.id, rung.name, seed))
        if found is None:
            raise WeakLabelsError(
                f"weak labels {self.source}: no table for task {task.id}, weak rung {rung.name}, seed {seed}; "
                f"available: {', '.join(self.available()) or '(none)'}"
            )
        return found

    def provenance(self) -> dict:
        """What a record names about the label set it was made with: where it came from and the
        sha256 of its manifest (which pins every table)."""
        return {"source": self.source, "manifest_sha256": sha256_bytes((self.folder / MANIFEST).read_bytes())}

    def identity(self, task: Task, rung: Rung, seed: int) -> dict:
        """What the experiment key records about the labels used: their content, not their name."""
        entry = self._table(task, rung, seed).entry
        return {"table_sha256": entry.sha256, "config_hash": entry.config_hash}

    def weak_labels(self, ws: Workspace, task: Task, rung: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        """The table's soft labels aligned with the local splits; refuses any mismatch."""
        table = self._table(task, rung, seed)
        entry = table.entry
        where = f"weak labels {self.source} ({entry.path})"
        local = ws.task_data(task)
        if entry.task.version != task.version:
            raise WeakLabelsError(
                f"{where}: made for {task.id} version {entry.task.version}, this task is version {task.version}"
            )
        if entry.task.data_revision != local.data_revision:
            raise WeakLabelsError(
                f"{where}: made for {task.id} data revision {entry.task.data_revision}, "
                f"the local data is {local.data_revision}"
            )
        if entry.rung.model != rung.model:
            raise WeakLabelsError(f"{where}: made by {entry.rung.model}, rung {rung.name} here is {rung.model}")
        out = {}
        for role in ROLES:
            mine = [e.id for e in getattr(splits, role)]
            theirs = table.ids[role]
            if len(mine) != len(theirs) or set(mine) != set(theirs):
                missing, extra = set(mine) - set(theirs), set(theirs) - set(mine)
                raise WeakLabelsError(
                    f"{where}: example ids of split {role} do not match the local split "
                    f"({len(theirs)} in the table, {len(mine)} here; {len(missing)} missing, {len(extra)} unknown)"
                )
            position = {i: k for k, i in enumerate(theirs)}
            out[role] = table.soft[role][[position[i] for i in mine]]
        return out


def _read_verified(folder: Path, rel: str, expected: str, source: str) -> bytes:
    path = folder / rel
    try:
        data = path.read_bytes()
    except OSError as e:
        raise WeakLabelsError(f"weak labels {source}: {rel} listed in {MANIFEST} cannot be read: {e}") from None
    actual = sha256_bytes(data)
    if actual != expected:
        raise WeakLabelsError(
            f"weak labels {source}: {rel} has sha256 {actual[:16]}..., {MANIFEST} says {expected[:16]}...; "
            f"the download is corrupted or was modified, nothing was used (delete {path} or pull with --force-download)"
        )
    return data


def load_folder(folder: Path, source: str | None = None) -> WeakLabelSet:
    """Verify an export (every checksum, every table against its manifest entry) and load it.

    Any mismatch raises W2SError before a single label is returned.
    """
    folder = Path(folder)
    source = source or str(folder)
    try:
        manifest = Manifest.model_validate_json((folder / MANIFEST).read_bytes())
    except OSError:
        raise WeakLabelsError(
            f"weak labels {source}: no {MANIFEST} in {folder}; is this a w2sbench weak-label export?"
        ) from None
    except (ValidationError, ValueError) as e:
        raise WeakLabelsError(f"weak labels {source}: {MANIFEST} is invalid: {str(e).splitlines()[0]}") from None
    if manifest.schema_version != MANIFEST_SCHEMA:
        raise WeakLabelsError(
            f"weak labels {source}: manifest schema {manifest.schema_version}, this w2sbench reads {MANIFEST_SCHEMA}"
        )
    contents = {rel: _read_verified(folder, rel, sha, source) for rel, sha in manifest.files.items()}
    listed = set(manifest.files)
    unexpected = (
        sorted(
            str(p.relative_to(folder))
            for p in (folder / "data").rglob("*")
            if p.is_file() and str(p.relative_to(folder)) not in listed
        )
        if (folder / "data").exists()
        else []
    )
    if unexpected:
        raise WeakLabelsError(
            f"weak labels {source}: files not in {MANIFEST}: {', '.join(unexpected[:5])}; nothing was used"
        )
    tables: dict[tuple[str, str, int], _Table] = {}
    for entry in manifest.tables:
        if manifest.files.get(entry.path) != entry.sha256:
            raise WeakLabelsError(
                f"weak labels {source}: table {entry.path} is not listed with its sha256 in {MANIFEST}"
            )
        tables[(entry.task.id, entry.rung.name, entry.seed)] = _parse_table(entry, contents[entry.path], source)
    return WeakLabelSet(source=source, folder=folder, manifest=manifest, tables=tables)


def _parse_table(entry: TableEntry, data: bytes, source: str) -> _Table:
    where = f"weak labels {source} ({entry.path})"
    table = pq.read_table(io.BytesIO(data))
    if tuple(table.column_names) != COLUMNS:
        raise WeakLabelsError(f"{where}: columns {table.column_names}, expected {list(COLUMNS)}")
    cols = table.to_pydict()
    soft_all = np.asarray(cols["soft_label"], dtype=np.float64)
    if not np.all(np.isfinite(soft_all)) or soft_all.min(initial=0) < 0 or soft_all.max(initial=0) > 1:
        raise WeakLabelsError(f"{where}: soft labels must be probabilities in [0, 1]")
    if not np.array_equal(np.asarray(cols["hard_label"]), (soft_all > 0.5).astype(np.int64)):
        raise WeakLabelsError(f"{where}: hard_label is not soft_label > 0.5")
    roles = np.asarray(cols["role"])
    ids, soft = {}, {}
    for role in ROLES:
        mask = roles == role
        ids[role] = tuple(np.asarray(cols["id"], dtype=object)[mask].tolist())
        soft[role] = soft_all[mask]
        if len(ids[role]) != entry.rows.get(role):
            raise WeakLabelsError(f"{where}: {len(ids[role])} {role} rows, the manifest says {entry.rows.get(role)}")
        digest = hashlib.sha256("\n".join(ids[role]).encode()).hexdigest()
        if digest != entry.ids_sha256.get(role):
            raise WeakLabelsError(f"{where}: {role} ids do not match the manifest's ids_sha256")
    if set(roles.tolist()) - set(ROLES):
        raise WeakLabelsError(f"{where}: unknown roles {sorted(set(roles.tolist()) - set(ROLES))}")
    return _Table(entry=entry, ids=ids, soft=soft)


def describe(labels: WeakLabelSet) -> Iterable[str]:
    """One line per table, for the command line."""
    for entry in labels.manifest.tables:
        yield (
            f"{entry.task.id:<20} {entry.rung.name:<14} seed {entry.seed}  "
            f"{entry.rows['transfer']}/{entry.rows['validation']}/{entry.rows['test']}  {entry.sha256[:16]}"
        )
