"""The private test split: rows drawn from a secret the maintainers keep, so no label a submission
carries can reach the score.

A task with ``private:`` in its task file names a builder that draws fresh rows without limit
(chess_puzzles: positions of a seeded random walk, labelled by a fixed-node engine search).
Given the secret (``$W2SBENCH_PRIVATE_SEED``), ``private_mirror`` writes one folder per such
task, read by the harness like any local mirror (w2sbench.tasks.loading): the shipped pool file
unchanged (training and weak supervision are the public track's) and a test file of
``size`` rows drawn with a seed derived from the secret, none of them in the shipped files. The
private test split then goes through the task's own conversion, hygiene and caps.

The folders are named by a digest of the secret, written atomically and checked against the
sha256 recorded beside them, so a rescore resumes and a damaged file is redrawn. The test
file's sha256 (``commitment``) is published with the private scores: once a secret is retired
(rotated after a leak), anyone can redraw with it and check which split was scored. Each
published private record carries in the same way a commitment to the full record it was
reduced from (``record_commitment``: keyed by the secret, so it says nothing without it), which
the maintainers can open later to prove what was scored, and lists its examples in an order
keyed by the secret too (``example_order``).
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import io
import json
import os
from pathlib import Path

from w2sbench.core.errors import DataError
from w2sbench.core.store import atomic_write_bytes, warn_corrupt
from w2sbench.tasks.loading import PRIVATE_MANIFEST, sha256_file, shipped_file
from w2sbench.tasks.task import Task

SECRET_ENV = "W2SBENCH_PRIVATE_SEED"
MIN_SECRET_CHARS = 16  # a short secret could be found by redrawing every value against the commitment
HOW = "python -c 'import secrets; print(secrets.token_hex(16))'"


def secret(value: str | None = None) -> str:
    """The maintainers' secret: the value given, else $W2SBENCH_PRIVATE_SEED; missing or short is an error."""
    chosen = value or os.environ.get(SECRET_ENV, "")
    if not chosen:
        raise DataError(f"no private seed: set ${SECRET_ENV} to the maintainers' secret (make one with {HOW})")
    if len(chosen) < MIN_SECRET_CHARS:
        raise DataError(
            f"${SECRET_ENV} has {len(chosen)} characters, fewer than {MIN_SECRET_CHARS}: a short "
            f"secret can be found by redrawing every value; make one with {HOW}"
        )
    return chosen


def seed_of(secret: str, task: Task) -> int:
    """The builder's seed for this task: 60 bits of a hash, never the secret itself."""
    return int(hashlib.sha256(f"w2sbench-private/{task.id}/{task.version}/{secret}".encode()).hexdigest()[:15], 16)


def folder_of(secret: str, root: Path) -> Path:
    return Path(root) / hashlib.sha256(f"w2sbench-private-folder/{secret}".encode()).hexdigest()[:16]


def _drawn(folder: Path, task: Task) -> dict | None:
    """The folder's manifest if its files are whole and of this task's draw, else None."""
    path = folder / PRIVATE_MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
        wanted = {"task": task.id, "version": task.version, "builder": task.private.builder, "size": task.private.size}
        if any(manifest.get(k) != v for k, v in wanted.items()):
            return None
        for role in ("pool", "test"):
            file = folder / f"{task.splits[role]}.parquet"
            if not file.exists() or sha256_file(file) != manifest[f"{role}_sha256"]:
                warn_corrupt(file, "its sha256 differs from the private draw's manifest")
                return None
    except (OSError, ValueError, KeyError) as e:
        warn_corrupt(path, f"{type(e).__name__}: {e}")
        return None
    return manifest


def draw(task: Task, secret: str, root: Path) -> Path:
    """The task's private split as a mirror folder (drawn once, then read back)."""
    if task.private is None:
        raise DataError(f"task {task.id} has no private draw: its task file has no private: field")
    folder = folder_of(secret, root) / task.id
    if _drawn(folder, task) is not None:
        return folder
    import pyarrow.parquet as pq

    pool = shipped_file(task, task.splits["pool"])
    shipped = [pq.read_table(shipped_file(task, split)) for split in task.source.splits]
    try:
        builder = importlib.import_module(task.private.builder)
        rows = builder.draw_private(task.private.size, seed_of(secret, task), shipped)
    except (ImportError, AttributeError) as e:
        raise DataError(f"task {task.id}: private.builder {task.private.builder!r} has no draw_private: {e}") from None
    if rows.num_rows != task.private.size:
        raise DataError(
            f"task {task.id}: {task.private.builder}.draw_private gave {rows.num_rows} rows, "
            f"private.size is {task.private.size}"
        )
    buffer = io.BytesIO()
    pq.write_table(rows, buffer, compression="zstd")
    test_bytes, pool_bytes = buffer.getvalue(), pool.read_bytes()
    atomic_write_bytes(folder / f"{task.splits['pool']}.parquet", pool_bytes)
    atomic_write_bytes(folder / f"{task.splits['test']}.parquet", test_bytes)
    manifest = {
        "task": task.id,
        "version": task.version,
        "builder": task.private.builder,
        "size": task.private.size,
        "pool_sha256": hashlib.sha256(pool_bytes).hexdigest(),
        "test_sha256": hashlib.sha256(test_bytes).hexdigest(),
    }
    atomic_write_bytes(folder / PRIVATE_MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
    return folder


def commitment(folder: Path) -> str:
    """The sha256 of a private split's test file: published, it names the split without revealing it."""
    return json.loads((Path(folder) / PRIVATE_MANIFEST).read_text())["test_sha256"]


def record_commitment(secret: str, content_sha256: str) -> str:
    """A full private record's commitment: HMAC-SHA256 of its content checksum under a key derived
    from the secret. Published, it binds the record without revealing anything of it (the
    record's probabilities and labels stay with the maintainers); with the secret and the full
    record anyone can check it."""
    key = hashlib.sha256(f"w2sbench-private-record/{secret}".encode()).digest()
    return hmac.new(key, content_sha256.encode(), hashlib.sha256).hexdigest()


def example_order(secret: str, task_id: str, ids_sha256: str, n: int) -> list[int]:
    """The order in which a private split's examples are published: position j holds example
    ``order[j]`` of the split. The split's own order can be recomputed from the inputs (examples
    are sorted by a hash of their ids); this one is keyed by the secret, so without it a
    position says nothing of which input sits there. One order per split, shared by every
    record of the task (the board's paired bootstrap needs them aligned)."""
    key = hashlib.sha256(f"w2sbench-private-order/{secret}".encode()).digest()
    return sorted(
        range(n), key=lambda i: hmac.new(key, f"{task_id}/{ids_sha256}/{i}".encode(), hashlib.sha256).digest()
    )


def private_mirror(tasks: list[Task], secret: str, root: Path) -> dict[str, Path]:
    """Task id -> private split folder, for the tasks that have a private draw."""
    return {t.id: draw(t, secret, root) for t in tasks if t.private is not None}
