"""The manifest of a weak-label export: checksums and provenance of every table, and the table paths."""

from __future__ import annotations

import hashlib
import re

from w2sbench.core.schema import Strict

MANIFEST = "manifest.json"
CARD = "README.md"
MANIFEST_SCHEMA = 1
COLUMNS = ("id", "role", "soft_label", "hard_label")
_SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")  # what `datasets` accepts as a split name


class TaskProvenance(Strict):
    id: str
    version: int
    data_revision: str


class RungProvenance(Strict):
    name: str
    model: str
    revision: str
    key: str
    parameters: int | None


class TableEntry(Strict):
    """One table: where it is, its checksum, and what produced it."""

    path: str
    sha256: str
    task: TaskProvenance
    rung: RungProvenance
    seed: int
    config_hash: str  # the content key of the weak-label artifact that produced the table
    rows: dict[str, int]
    ids_sha256: dict[str, str]  # per role, sha256 of the ids in split order


class Harness(Strict):
    w2sbench: str
    protocol: int
    git_revision: str | None
    libraries: dict[str, str]


class Manifest(Strict):
    schema_version: int = MANIFEST_SCHEMA
    harness: Harness
    ladder: str
    fractions: tuple[float, ...]
    training: dict  # the regime and its settings the weak supervisors were trained with
    tables: list[TableEntry]
    files: dict[str, str]  # every file of the export except manifest.json -> sha256


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def split_name(rung: str, seed: int) -> str:
    """The `datasets` split of a (weak rung, seed) table inside its task's config."""
    return f"{rung.replace('-', '_').replace('.', '_')}__seed{seed}"


def table_path(task_id: str, rung: str, seed: int) -> str:
    return f"data/{task_id}/{rung}/seed{seed}.parquet"
