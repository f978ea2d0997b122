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

import hashlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

from w2sbench import __version__
from w2sbench.core.errors import W2SError
from w2sbench.running.executors import task_texts
from w2sbench.core.example import Example
from w2sbench.models.ladder import Ladder, Rung
from w2sbench.protocol.experiment import PROTOCOL_VERSION, Workspace, ids_sha256, rung_ref
from w2sbench.core.result import git_revision, provenance
from w2sbench.core.splits import FRACTIONS, Splits
from w2sbench.core.splits import WEAK_LABELLED_ROLES as ROLES
from w2sbench.core.store import atomic_write_bytes
from w2sbench.tasks.task import SHA40, Task

MANIFEST = "manifest.json"
CARD = "README.md"
MANIFEST_SCHEMA = 1
COLUMNS = ("id", "role", "soft_label", "hard_label")
_SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")  # what `datasets` accepts as a split name


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TaskProvenance(_Schema):
    id: str
    version: int
    data_revision: str


class RungProvenance(_Schema):
    name: str
    model: str
    revision: str
    key: str
    parameters: int | None


class TableEntry(_Schema):
    """One table: where it is, its checksum, and what produced it."""

    path: str
    sha256: str
    task: TaskProvenance
    rung: RungProvenance
    seed: int
    config_hash: str  # the content key of the weak-label artifact that produced the table
    rows: dict[str, int]
    ids_sha256: dict[str, str]  # per role, sha256 of the ids in split order


class Harness(_Schema):
    w2sbench: str
    protocol: int
    git_revision: str | None
    libraries: dict[str, str]


class Manifest(_Schema):
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
    generative = [t.id for t in tasks if t.framing == "generative"]
    if generative:
        raise W2SError(f"labels export: standard weak labels are P(class 1) tables of binary tasks; "
                       f"{', '.join(generative)} is generative (its supervisor is trained in the run)")
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
    for rung in rungs if ws.regime == "probe" else []:  # fine-tuned rungs have no feature cache
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
                        raise W2SError(f"task {task.id}: split {role} is empty for seed {seed}")
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
                        rung=RungProvenance(name=rung.name, model=rung.model, revision=ref.revision,
                                            key=rung.key(), parameters=ref.parameters),
                        seed=seed,
                        config_hash=ws.artifact_key("weak", task, rung, seed),
                        rows={role: len(getattr(splits, role)) for role in ROLES},
                        ids_sha256={role: ids_sha256(getattr(splits, role)) for role in ROLES},
                    )
                )
    prov = provenance("", ws.regime)
    harness = Harness(w2sbench=__version__, protocol=PROTOCOL_VERSION, git_revision=git_revision(),
                      libraries=prov.libraries)
    card = dataset_card(tasks, ladder, entries, harness, ws.training_identity()).encode()
    atomic_write_bytes(out / CARD, card)
    files[CARD] = sha256_bytes(card)
    manifest = Manifest(harness=harness, ladder=ladder.name, fractions=tuple(FRACTIONS),
                        training=ws.training_identity(), tables=entries, files=dict(sorted(files.items())))
    atomic_write_bytes(out / MANIFEST, (manifest.model_dump_json(indent=1) + "\n").encode())
    return manifest


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise W2SError(f"{out}: not a folder; choose another --out")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise W2SError(f"{out}: not empty and not an earlier weak-label export (no {MANIFEST}); choose another --out")


def dataset_card(tasks: list[Task], ladder: Ladder, entries: list[TableEntry], harness: Harness,
                 training: dict) -> str:
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
        f"- **{t.id}** (version {t.version}): {t.description.strip()} Licence: {t.licence}. Cite: {t.citation.strip()}"
        for t in tasks
    )
    first_task = tasks[0].id
    first_split = configs[0]["data_files"][0]["split"]
    return f"""---
{yaml.safe_dump(front, sort_keys=False).strip()}
---

# w2sbench standardized weak labels

Soft labels of weak supervisors for the weak-to-strong protocol of
[w2sbench](https://github.com/) (Burns et al. 2023, *Weak-to-Strong Generalization*,
arXiv:2312.09390): for each (task, weak rung, seed), the weak rung was trained with ground
truth on the `supervisor_train` split of the task's pool, and these are its predictions
P(class 1) on the `transfer` split (what a student learns from), the `validation` split
(weak-labelled, for early stopping) and the `test` split (the supervisor's own test score).
Splits are deterministic by seed and example group, so the example ids match what the
harness computes.

Ladder: `{ladder.name}`; weak supervisors trained in the `{training.get("regime", "probe")}` regime.
Harness: w2sbench {harness.w2sbench}, protocol {harness.protocol} (git {harness.git_revision or 'unknown'}).

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
            raise W2SError(
                f"weak labels {self.source}: no table for task {task.id}, weak rung {rung.name}, seed {seed}; "
                f"available: {', '.join(self.available()) or '(none)'}"
            )
        return found

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
            raise W2SError(f"{where}: made for {task.id} version {entry.task.version}, this task is version {task.version}")
        if entry.task.data_revision != local.data_revision:
            raise W2SError(
                f"{where}: made for {task.id} data revision {entry.task.data_revision}, "
                f"the local data is {local.data_revision}"
            )
        if entry.rung.model != rung.model:
            raise W2SError(f"{where}: made by {entry.rung.model}, rung {rung.name} here is {rung.model}")
        out = {}
        for role in ROLES:
            mine = [e.id for e in getattr(splits, role)]
            theirs = table.ids[role]
            if len(mine) != len(theirs) or set(mine) != set(theirs):
                missing, extra = set(mine) - set(theirs), set(theirs) - set(mine)
                raise W2SError(
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
        raise W2SError(f"weak labels {source}: {rel} listed in {MANIFEST} cannot be read: {e}") from None
    actual = sha256_bytes(data)
    if actual != expected:
        raise W2SError(
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
        raise W2SError(f"weak labels {source}: no {MANIFEST} in {folder}; is this a w2sbench weak-label export?") from None
    except (ValidationError, ValueError) as e:
        raise W2SError(f"weak labels {source}: {MANIFEST} is invalid: {str(e).splitlines()[0]}") from None
    if manifest.schema_version != MANIFEST_SCHEMA:
        raise W2SError(f"weak labels {source}: manifest schema {manifest.schema_version}, this w2sbench reads {MANIFEST_SCHEMA}")
    contents = {rel: _read_verified(folder, rel, sha, source) for rel, sha in manifest.files.items()}
    listed = set(manifest.files)
    unexpected = sorted(
        str(p.relative_to(folder)) for p in (folder / "data").rglob("*") if p.is_file() and str(p.relative_to(folder)) not in listed
    ) if (folder / "data").exists() else []
    if unexpected:
        raise W2SError(f"weak labels {source}: files not in {MANIFEST}: {', '.join(unexpected[:5])}; nothing was used")
    tables: dict[tuple[str, str, int], _Table] = {}
    for entry in manifest.tables:
        if manifest.files.get(entry.path) != entry.sha256:
            raise W2SError(f"weak labels {source}: table {entry.path} is not listed with its sha256 in {MANIFEST}")
        tables[(entry.task.id, entry.rung.name, entry.seed)] = _parse_table(entry, contents[entry.path], source)
    return WeakLabelSet(source=source, folder=folder, manifest=manifest, tables=tables)


def _parse_table(entry: TableEntry, data: bytes, source: str) -> _Table:
    where = f"weak labels {source} ({entry.path})"
    table = pq.read_table(io.BytesIO(data))
    if tuple(table.column_names) != COLUMNS:
        raise W2SError(f"{where}: columns {table.column_names}, expected {list(COLUMNS)}")
    cols = table.to_pydict()
    soft_all = np.asarray(cols["soft_label"], dtype=np.float64)
    if not np.all(np.isfinite(soft_all)) or soft_all.min(initial=0) < 0 or soft_all.max(initial=0) > 1:
        raise W2SError(f"{where}: soft labels must be probabilities in [0, 1]")
    if not np.array_equal(np.asarray(cols["hard_label"]), (soft_all > 0.5).astype(np.int64)):
        raise W2SError(f"{where}: hard_label is not soft_label > 0.5")
    roles = np.asarray(cols["role"])
    ids, soft = {}, {}
    for role in ROLES:
        mask = roles == role
        ids[role] = tuple(np.asarray(cols["id"], dtype=object)[mask].tolist())
        soft[role] = soft_all[mask]
        if len(ids[role]) != entry.rows.get(role):
            raise W2SError(f"{where}: {len(ids[role])} {role} rows, the manifest says {entry.rows.get(role)}")
        digest = hashlib.sha256("\n".join(ids[role]).encode()).hexdigest()
        if digest != entry.ids_sha256.get(role):
            raise W2SError(f"{where}: {role} ids do not match the manifest's ids_sha256")
    if set(roles.tolist()) - set(ROLES):
        raise W2SError(f"{where}: unknown roles {sorted(set(roles.tolist()) - set(ROLES))}")
    return _Table(entry=entry, ids=ids, soft=soft)


# ------------------------------------------------------------------------------- the Hub


def parse_ref(ref: str) -> tuple[str, str]:
    """'owner/name@revision' -> (repo id, revision); the revision is required (pin it)."""
    repo_id, sep, revision = ref.rpartition("@")
    if not sep or not repo_id or not revision:
        raise W2SError(f"--weak-labels {ref!r}: expected REPO_ID@REVISION, e.g. org/w2s-weak-labels@<40-hex commit>")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo_id):
        raise W2SError(f"--weak-labels {ref!r}: {repo_id!r} is not a namespaced Hub id (owner/name)")
    return repo_id, revision


def pull(
    repo_id: str,
    revision: str,
    *,
    cache_dir: str | Path | None = None,
    token: str | bool | None = None,
    endpoint: str | None = None,
    force_download: bool = False,
) -> WeakLabelSet:
    """Download (or find in the local Hub cache) a revision of a weak-label dataset and verify it.

    Goes through huggingface_hub's snapshot_download, so HF_HUB_OFFLINE=1 and a missing
    network both fall back to the local cache (HF_HUB_CACHE). Pin ``revision`` to a commit:
    the returned set's source names the commit actually used.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub import errors as hf_errors

    try:
        folder = snapshot_download(
            repo_id,
            repo_type="dataset",
            revision=revision,
            cache_dir=cache_dir,
            token=token,
            endpoint=endpoint,
            force_download=force_download,
        )
    except hf_errors.RevisionNotFoundError:
        raise W2SError(f"weak labels {repo_id}: revision {revision!r} does not exist on the Hub") from None
    except hf_errors.RepositoryNotFoundError:
        raise W2SError(f"weak labels {repo_id}: no such dataset repository (or it is private: set HF_TOKEN)") from None
    except hf_errors.LocalEntryNotFoundError as e:
        raise W2SError(
            f"weak labels {repo_id}@{revision}: not in the local Hub cache and the Hub cannot be reached "
            f"({str(e).splitlines()[0]})"
        ) from None
    except (hf_errors.HfHubHTTPError, OSError, ValueError) as e:
        raise W2SError(f"weak labels {repo_id}@{revision}: download failed: {type(e).__name__}: {e}") from None
    folder = Path(folder)
    commit = folder.name if SHA40.match(folder.name) else revision
    return load_folder(folder, source=f"{repo_id}@{commit}")


def pull_ref(ref: str, **kwargs) -> WeakLabelSet:
    """`--weak-labels REPO_ID@REV`: pull and verify; the library side of the run flag."""
    repo_id, revision = parse_ref(ref)
    return pull(repo_id, revision, **kwargs)


@dataclass(frozen=True)
class Pushed:
    repo_id: str
    commit: str
    url: str


def push(
    folder: Path,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    endpoint: str | None = None,
    message: str | None = None,
) -> Pushed:
    """Verify an export, then upload it as a Hub dataset repository in one commit.

    The token comes from ``token``, else the usual places (HF_TOKEN, `hf auth login`). Data
    files on the Hub that are not in this export are deleted in the same commit, so the
    revision holds exactly what the manifest lists.
    """
    from huggingface_hub import HfApi, get_token
    from huggingface_hub import errors as hf_errors

    labels = load_folder(folder)
    if token is None and get_token() is None:
        raise W2SError("labels push: no Hugging Face token; set HF_TOKEN or run `hf auth login`")
    api = HfApi(endpoint=endpoint, token=token)
    files = [*labels.manifest.files, MANIFEST]
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True, private=private)
        info = api.upload_folder(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=str(folder),
            allow_patterns=files,
            delete_patterns=["data/**"],
            commit_message=message or f"w2sbench weak labels: {len(labels.tables)} tables",
        )
    except (hf_errors.HfHubHTTPError, OSError, ValueError) as e:
        raise W2SError(f"labels push {repo_id}: upload failed: {type(e).__name__}: {e}") from None
    return Pushed(repo_id=repo_id, commit=info.oid, url=info.commit_url)


def describe(labels: WeakLabelSet) -> Iterable[str]:
    """One line per table, for the command line."""
    for entry in labels.manifest.tables:
        yield (f"{entry.task.id:<20} {entry.rung.name:<14} seed {entry.seed}  "
               f"{entry.rows['transfer']}/{entry.rows['validation']}/{entry.rows['test']}  {entry.sha256[:16]}")
