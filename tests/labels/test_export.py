"""Exported standard weak labels: the files, the manifest, the card, and using them instead of training.

Pitfalls guarded: labels made for another task version, data revision or split (different
example ids) silently scoring a run; a corrupted or extra file being used; a run on pulled
labels sharing result records with a run that trained its own supervisor.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import FakeEncoder, fake_ladder, latent_rows, write_rows
from tests.labels.conftest import SEEDS, workspace
from w2sbench.cli import main
from w2sbench.core.errors import W2SError
from w2sbench.core.splits import WEAK_LABELLED_ROLES as ROLES
from w2sbench.core.splits import split_pool
from w2sbench.labels.manifest import MANIFEST, split_name
from w2sbench.labels.weak_label_set import load_folder
from w2sbench.methods.api import make_method
from w2sbench.models.ladder import get_ladder
from w2sbench.protocol.workspace import Workspace
from w2sbench.running.grid import Grid
from w2sbench.running.sweep import run_grid
from w2sbench.tasks.task import _registry, get_task


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_writes_checksummed_tables_with_provenance(exported):
    ws, out, manifest = exported
    assert len(manifest.tables) == 2 * len(SEEDS)
    on_disk = json.loads((out / MANIFEST).read_text())
    listed = set(on_disk["files"])
    assert listed == {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MANIFEST}
    for rel, digest in on_disk["files"].items():
        assert sha(out / rel) == digest
    task = get_task("toy")
    data = ws.task_data(task)
    for entry in manifest.tables:
        assert entry.task.id == "toy" and entry.task.version == task.version
        assert entry.task.data_revision == data.data_revision
        assert entry.rung.model == f"fake/{entry.rung.name}" and entry.rung.key
        assert entry.config_hash == ws.artifact_key("weak", task, fake_ladder().rung(entry.rung.name), entry.seed)
        table = pq.read_table(out / entry.path)
        assert table.column_names == ["id", "role", "soft_label", "hard_label"]
        assert sorted(set(table["role"].to_pylist())) == sorted(ROLES)
    assert manifest.harness.protocol >= 1 and manifest.harness.w2sbench


def test_tables_hold_exactly_the_cached_weak_labels(exported):
    ws, out, _ = exported
    labels = load_folder(out)
    task, ladder = get_task("toy"), fake_ladder()
    data = ws.task_data(task)
    for rung in ladder.rungs[:2]:
        for seed in SEEDS:
            splits = split_pool(data.pool, data.test, seed)
            mine = ws.weak_labels(task, rung, seed, splits)
            theirs = labels.weak_labels(ws, task, rung, seed, splits)
            for role in ROLES:
                np.testing.assert_array_equal(theirs[role], mine[role])


def test_datasets_load_dataset_reads_each_task_config(exported, tmp_path):
    import datasets

    ws, out, manifest = exported
    card = (out / "README.md").read_text()
    front = yaml.safe_load(card.split("---")[1])
    assert [c["config_name"] for c in front["configs"]] == ["toy"]
    loaded = datasets.load_dataset(str(out), "toy", cache_dir=str(tmp_path / "hf-datasets"))
    assert set(loaded) == {split_name(r, s) for r in ("weak", "mid") for s in SEEDS}
    for entry in manifest.tables:
        split = loaded[split_name(entry.rung.name, entry.seed)]
        assert split.column_names == ["id", "role", "soft_label", "hard_label"]
        assert len(split) == sum(entry.rows.values())
        expected = pq.read_table(out / entry.path).to_pydict()
        assert split["id"] == expected["id"] and split["soft_label"] == expected["soft_label"]


def test_a_run_on_pulled_labels_trains_no_supervisor(exported, tmp_path, monkeypatch):
    producer, out, _ = exported
    ladder = fake_ladder()
    grid = Grid([get_task("toy")], ladder, [(ladder.rungs[0], ladder.rungs[2])], [make_method("naive")], SEEDS)
    trained = run_grid(producer, grid, show_progress=False)

    original = Workspace._trained

    def no_weak_training(self, kind, task, rung, seed, compute):
        assert kind != "weak", "the weak supervisor was trained although labels were given"
        return original(self, kind, task, rung, seed, compute)

    monkeypatch.setattr(Workspace, "_trained", no_weak_training)
    consumer = Workspace(
        tmp_path / "consumer" / "cache",
        tmp_path / "consumer" / "results",
        encoder_factory=FakeEncoder,
        weak_label_source=load_folder(out),
    )
    pulled = run_grid(consumer, grid, show_progress=False)
    # the weak rung's model was never needed: no feature of it was computed
    assert not consumer.features(ladder.rungs[0]).folder.exists()
    assert consumer.features(ladder.rungs[2]).folder.exists()
    for a, b in zip(trained, pulled, strict=False):
        assert a.predictions.weak == b.predictions.weak
        assert a.scores == b.scores
        assert a.key != b.key, "pulled labels must not share result records with trained ones"


def _rewrite_table(out, entry_index: int, transform) -> None:
    """Replace one table by transform(table) and make the manifest consistent with it."""
    manifest = json.loads((out / MANIFEST).read_text())
    entry = manifest["tables"][entry_index]
    table = transform(pq.read_table(out / entry["path"]))
    buf = io.BytesIO()
    pq.write_table(table, buf)
    (out / entry["path"]).write_bytes(buf.getvalue())
    digest = hashlib.sha256(buf.getvalue()).hexdigest()
    cols = table.to_pydict()
    for role in ROLES:
        ids = [i for i, r in zip(cols["id"], cols["role"], strict=False) if r == role]
        entry["rows"][role] = len(ids)
        entry["ids_sha256"][role] = hashlib.sha256("\n".join(ids).encode()).hexdigest()
    entry["sha256"] = manifest["files"][entry["path"]] = digest
    (out / MANIFEST).write_text(json.dumps(manifest))


def _splits(ws, seed):
    data = ws.task_data(get_task("toy"))
    return split_pool(data.pool, data.test, seed)


def test_labels_for_other_example_ids_are_refused(exported):
    ws, out, manifest = exported
    index = next(i for i, e in enumerate(manifest.tables) if e.rung.name == "weak" and e.seed == 0)
    _rewrite_table(out, index, lambda t: t.slice(1))  # a consistent export of a different transfer split
    labels = load_folder(out)  # internally consistent, so it verifies
    with pytest.raises(W2SError, match="example ids of split transfer do not match"):
        labels.weak_labels(ws, get_task("toy"), fake_ladder().rungs[0], 0, _splits(ws, 0))


def test_labels_for_another_task_version_are_refused(exported, tasks_env):
    ws, out, _ = exported
    definition = yaml.safe_load((tasks_env / "toy.yaml").read_text())
    definition["version"] = 2
    (tasks_env / "toy.yaml").write_text(yaml.safe_dump(definition))
    _registry.cache_clear()
    fresh = workspace(out.parent / "v2")
    with pytest.raises(W2SError, match="version 1, this task is version 2"):
        load_folder(out).weak_labels(fresh, get_task("toy"), fake_ladder().rungs[0], 0, _splits(fresh, 0))


def test_labels_for_another_data_revision_are_refused(exported, tasks_env):
    ws, out, _ = exported
    definition = yaml.safe_load((tasks_env / "toy.yaml").read_text())
    new_sha = write_rows(tasks_env / "data/toy/test.parquet", latent_rows(300, 7, "b"))
    definition["source"]["splits"]["test"]["sha256"] = new_sha
    (tasks_env / "toy.yaml").write_text(yaml.safe_dump(definition))
    _registry.cache_clear()
    fresh = workspace(out.parent / "newdata")
    with pytest.raises(W2SError, match="data revision"):
        load_folder(out).weak_labels(fresh, get_task("toy"), fake_ladder().rungs[0], 0, _splits(fresh, 0))


def test_a_missing_table_names_what_is_available(exported):
    ws, out, _ = exported
    with pytest.raises(W2SError, match=r"no table for task toy, weak rung weak, seed 5; available: toy/mid/seed0"):
        load_folder(out).weak_labels(ws, get_task("toy"), fake_ladder().rungs[0], 5, _splits(ws, 5))


def test_a_corrupted_table_is_an_error_and_nothing_is_used(exported):
    _, out, manifest = exported
    path = out / manifest.tables[0].path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(W2SError, match=r"sha256 .* nothing was used"):
        load_folder(out)


def test_a_modified_card_or_an_unlisted_file_is_refused(exported):
    _, out, _ = exported
    shutil.copy(out / "README.md", out / "README.bak")
    (out / "README.md").write_text("edited")
    with pytest.raises(W2SError, match="README.md has sha256"):
        load_folder(out)
    shutil.move(out / "README.bak", out / "README.md")
    load_folder(out)
    pq.write_table(pa.table({"id": ["x"]}), out / "data/toy/extra.parquet")
    with pytest.raises(W2SError, match="files not in manifest.json: data/toy/extra.parquet"):
        load_folder(out)


def test_export_refuses_to_overwrite_a_folder_that_is_not_an_export(tasks_env, tmp_path):
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me")
    ladder = fake_ladder()
    from w2sbench.labels.export import export_labels

    with pytest.raises(W2SError, match="not empty and not an earlier weak-label export"):
        export_labels(workspace(tmp_path), [get_task("toy")], ladder, ladder.rungs[:1], [0], tmp_path / "precious")
    assert (tmp_path / "precious" / "notes.txt").read_text() == "keep me"


def test_export_refuses_a_generative_task(tmp_path):
    from w2sbench.labels.export import export_labels

    ladder = get_ladder("gpt2")
    with pytest.raises(W2SError, match="chess_first_move is generative"):
        export_labels(
            workspace(tmp_path), [get_task("chess_first_move")], ladder, ladder.rungs[:1], [0], tmp_path / "out"
        )
    assert not (tmp_path / "out").exists()


def test_cli_verify(exported):
    _, out, manifest = exported
    result = CliRunner().invoke(main, ["labels", "verify", str(out)])
    assert result.exit_code == 0, result.output
    assert f"verified {len(manifest.tables)} tables" in result.output
    (out / manifest.tables[0].path).write_bytes(b"not parquet")
    result = CliRunner().invoke(main, ["labels", "verify", str(out)])
    assert result.exit_code == 9 and "error:" in result.output and "sha256" in result.output  # WeakLabelsError


def test_cli_help_names_the_subcommands():
    result = CliRunner().invoke(main, ["labels", "--help"])
    assert result.exit_code == 0
    for name in ("export", "push", "pull", "verify"):
        assert name in result.output


def test_a_failed_export_keeps_the_previous_one(exported, monkeypatch):
    from w2sbench.labels.export import export_labels

    ws, out, manifest = exported
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    calls = []

    def fails_on_the_third(self, task, rung, seed, splits):
        calls.append(1)
        if len(calls) == 3:
            raise W2SError("supervisor failed")
        return original(self, task, rung, seed, splits)

    original = Workspace.weak_labels
    monkeypatch.setattr(Workspace, "weak_labels", fails_on_the_third)
    ladder = fake_ladder()
    with pytest.raises(W2SError, match="supervisor failed"):
        export_labels(ws, [get_task("toy")], ladder, ladder.rungs[:2], SEEDS, out)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".export")] == []  # no staging left


def test_the_card_links_the_declared_repository_or_none(exported, monkeypatch):
    """Never a placeholder link: the Project-URL of the package metadata, else the bare name."""
    from importlib import metadata

    from w2sbench.labels import export

    _, out, _ = exported
    assert "https://github.com/)" not in (out / "README.md").read_text()

    class Metadata:
        def __init__(self, urls):
            self.urls = urls

        def get_all(self, name):
            return self.urls if name == "Project-URL" else None

    monkeypatch.setattr(metadata, "metadata", lambda name: Metadata(["Repository, https://example.org/w2sbench"]))
    assert export.project_link() == "[w2sbench](https://example.org/w2sbench)"
    monkeypatch.setattr(metadata, "metadata", lambda name: Metadata(None))
    assert export.project_link() == "w2sbench"
