"""Standardized weak labels: export them, publish them on the Hub, pull them back verified.

Steps 1-2 of the protocol (split, weak supervisor) do not depend on the method, so their
output, the weak supervisor's soft labels, can be published once and reused by anyone. An
export is a folder that is also a Hub dataset repository:

    README.md            dataset card; its YAML `configs:` make `datasets.load_dataset(folder, task)` work
    manifest.json        sha256 of every other file, and the provenance of every table
    data/<task>/<rung>/seed<k>.parquet   one table per (task, weak rung, seed):
                         id, role (transfer | validation | test), soft_label = P(class 1), hard_label

`pull` downloads a pinned revision through huggingface_hub (so it works offline from the
local Hub cache), verifies every checksum before anything is read, and returns a
WeakLabelSet; a Workspace given one uses its labels instead of training the supervisor, and
refuses labels made for another task version, data revision or set of example ids.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from w2sbench import __version__
from w2sbench.core.errors import DataError, W2SError
from w2sbench.core.example import Example
from w2sbench.core.result import git_revision, library_versions
from w2sbench.core.splits import FRACTIONS, Splits
from w2sbench.core.splits import WEAK_LABELLED_ROLES as ROLES
from w2sbench.core.store import atomic_write_bytes
from w2sbench.labels.manifest import (
    CARD,
    MANIFEST,
    Harness,
    Manifest,
    RungProvenance,
    TableEntry,
    TaskProvenance,
    sha256_bytes,
    split_name,
    table_path,
)
from w2sbench.models.ladder import Ladder, Rung
from w2sbench.protocol.experiment import PROTOCOL_VERSION
from w2sbench.protocol.framing import framing_of
from w2sbench.protocol.run import rung_ref
from w2sbench.protocol.scoring import ids_sha256
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.jobs import task_texts
from w2sbench.tasks.task import Task

# --------------------------------------------------------------------------------- export


def _table_bytes(splits: Splits, weak: dict[str, np.ndarray]) -> bytes:
    ids, roles, soft = [], [], []
    for role in ROLES:
        examples: list[Example] = getattr(splits, role)
        probs = np.asarray(weak[role], dtype=np.float64)
        if probs.shape != (len(examples),):
            raise W2SError(f"weak labels for {role} have shape {probs.shape}, expected ({len(examples)},)")
        ids += [e.id for e in examples]
        roles += [role] * len(examples)
        soft.append(probs)
    soft_all = np.concatenate(soft)
    table = pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "role": pa.array(roles, pa.string()),
            "soft_label": pa.array(soft_all, pa.float64()),
            "hard_label": pa.array((soft_all > 0.5).astype(np.int64), pa.int64()),
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def default_weak_rungs(ladder: Ladder) -> list[Rung]:
    """Every rung that is the weak side of some pair: all but the top of the ladder."""
    return list(ladder.rungs[:-1])


def export_labels(
    ws: Workspace,
    tasks: list[Task],
    ladder: Ladder,
    rungs: list[Rung],
    seeds: list[int],
    out: Path,
    progress: Callable[[str], None] | None = None,
) -> Manifest:
    """Write the weak labels of every (task, weak rung, seed) to ``out`` with manifest and card.

    Weak labels come from the workspace's cache when present (they are the same artifacts a
    run uses), else the weak supervisor is trained. ``out`` must be empty or an earlier export,
    which is replaced only once the new one is complete (it is written to a staging folder).
    """
    out = Path(out)
    if not tasks or not rungs or not seeds:
        raise W2SError("labels export: give at least one task, one weak rung and one seed")
    generative = [t.id for t in tasks if not framing_of(t).standard_labels]
    if generative:
        raise W2SError(
            f"labels export: standard weak labels are P(class 1) tables of binary tasks; "
            f"{', '.join(generative)} is generative (its supervisor is trained in the run)"
        )
    names = {split_name(r.name, s) for r in rungs for s in seeds}
    if len(names) != len(rungs) * len(seeds):
        raise W2SError("labels export: two rung names map to the same datasets split name")
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".staging"))
    stage.chmod(0o755)
    try:
        manifest = _export(ws, tasks, ladder, rungs, seeds, stage, progress)
        if out.exists():
            shutil.rmtree(out)
        stage.rename(out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return manifest


def _export(ws, tasks, ladder, rungs, seeds, out: Path, progress) -> Manifest:
    say = progress or (lambda message: None)
    for rung in rungs if ws.regime.caches_features else []:  # fine-tuned rungs have no feature cache
        texts = [t for task in tasks for t in task_texts(ws, task)]
        store = ws.features(rung)
        todo = store.missing(texts)
        if todo:
            say(f"features {rung.name}: {len(todo)} texts")
            store.compute(todo)
    entries: list[TableEntry] = []
    files: dict[str, str] = {}
    for task in tasks:
        data = ws.task_data(task)
        for rung in rungs:
            for seed in seeds:
                say(f"weak labels {task.id} {rung.name} seed {seed}")
                splits = ws.splits(task, seed)
                for role in ("supervisor_train", *ROLES):
                    if not getattr(splits, role):
                        raise DataError(f"task {task.id}: split {role} is empty for seed {seed}")
                weak = ws.weak_labels(task, rung, seed, splits)
                blob = _table_bytes(splits, weak)
                rel = table_path(task.id, rung.name, seed)
                atomic_write_bytes(out / rel, blob)
                files[rel] = sha256_bytes(blob)
                ref = rung_ref(ws, rung)
                entries.append(
                    TableEntry(
                        path=rel,
                        sha256=files[rel],
                        task=TaskProvenance(id=task.id, version=task.version, data_revision=data.data_revision),
                        rung=RungProvenance(
                            name=rung.name,
                            model=rung.model,
                            revision=ref.revision,
                            key=rung.key(),
                            parameters=ref.parameters,
                        ),
                        seed=seed,
                        config_hash=ws.artifact_key("weak", task, rung, seed),
                        rows={role: len(getattr(splits, role)) for role in ROLES},
                        ids_sha256={role: ids_sha256(getattr(splits, role)) for role in ROLES},
                    )
                )
    harness = Harness(
        w2sbench=__version__, protocol=PROTOCOL_VERSION, git_revision=git_revision(), libraries=library_versions()
    )
    card = dataset_card(tasks, ladder, entries, harness, ws.training_identity()).encode()
    atomic_write_bytes(out / CARD, card)
    files[CARD] = sha256_bytes(card)
    manifest = Manifest(
        harness=harness,
        ladder=ladder.name,
        fractions=tuple(FRACTIONS),
        training=ws.training_identity(),
        tables=entries,
        files=dict(sorted(files.items())),
    )
    atomic_write_bytes(out / MANIFEST, (manifest.model_dump_json(indent=1) + "\n").encode())
    return manifest


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise W2SError(f"{out}: not a folder; choose another --out")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise W2SError(f"{out}: not empty and not an earlier weak-label export (no {MANIFEST}); choose another --out")


def project_link() -> str:
    """w2sbench, linked to the repository its package metadata declares (Project-URL), else unlinked:
    a card never carries a placeholder link."""
    from importlib import metadata

    try:
        urls = metadata.metadata("w2sbench").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    found = [u.split(",", 1)[1].strip() for u in urls if "," in u]
    return f"[w2sbench]({found[0]})" if found else "w2sbench"


def dataset_card(tasks: list[Task], ladder: Ladder, entries: list[TableEntry], harness: Harness, training: dict) -> str:
    """README.md: YAML front matter with one `datasets` config per task, then the human card."""
    import yaml

    configs = []
    for task in tasks:
        mine = [e for e in entries if e.task.id == task.id]
        configs.append(
            {
                "config_name": task.id,
                "data_files": [{"split": split_name(e.rung.name, e.seed), "path": e.path} for e in mine],
            }
        )
    front = {
        "pretty_name": "w2sbench standardized weak labels",
        "tags": ["weak-to-strong", "w2sbench", "weak-supervision"],
        "task_categories": ["text-classification"],
        "configs": configs,
    }
    rows = "\n".join(
        f"| {e.task.id} | {e.rung.name} (`{e.rung.model}`) | {e.seed} | {e.rows['transfer']} / "
        f"{e.rows['validation']} / {e.rows['test']} | `{e.sha256[:16]}` |"
        for e in entries
    )
    sources = "\n".join(
        f"- **{t.id}** (version {t.version}): {t.history()} Licence: {t.licence}. Cite: {t.citation.strip()}"
        for t in tasks
    )
    first_task = tasks[0].id
    first_split = configs[0]["data_files"][0]["split"]
    return f"""---
{yaml.safe_dump(front, sort_keys=False).strip()}
---

# w2sbench standardized weak labels

Soft labels of weak supervisors for the weak-to-strong protocol of
{project_link()} (Burns et al. 2023, *Weak-to-Strong Generalization*,
arXiv:2312.09390): for each (task, weak rung, seed), the weak rung was trained with ground
truth on the `supervisor_train` split of the task's pool, and these are its predictions
P(class 1) on the `transfer` split (what a student learns from), the `validation` split
(weak-labelled, for early stopping) and the `test` split (the supervisor's own test score).
Splits are deterministic by seed and example group, so the example ids match what the
harness computes.

Ladder: `{ladder.name}`; weak supervisors trained in the `{training.get("regime", "probe")}` regime.
Harness: w2sbench {harness.w2sbench}, protocol {harness.protocol} (git {harness.git_revision or "unknown"}).

## Columns

- `id`: the example id in the task's standard examples
- `role`: `transfer`, `validation` or `test`
- `soft_label`: the weak supervisor's P(class 1)
- `hard_label`: `soft_label > 0.5`

## Use

```bash
w2sbench labels pull REPO_ID --revision COMMIT        # verify every checksum, cache offline
w2sbench run --weak-labels REPO_ID@COMMIT             # use these labels instead of training the supervisor
```

```python
import datasets
datasets.load_dataset("REPO_ID", "{first_task}", split="{first_split}", revision="COMMIT")
```

One config per task; one split per weak rung and seed (`<rung>__seed<k>`).
`manifest.json` holds the sha256 of every file and the provenance of every table (task id,
version and data revision; rung, model, revision and cache key; the config hash).

## Tables

| task | weak rung | seed | rows (transfer / validation / test) | sha256 |
|---|---|---|---|---|
{rows}

## Sources and licences

{sources}
"""
