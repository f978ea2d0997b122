"""The private test split: drawn from a secret, never from the shipped files, and read like a mirror."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import write_toy_task
from w2sbench.core.errors import DataError, TaskDefinitionError
from w2sbench.tasks.builders.chess_puzzles import STOCKFISH
from w2sbench.tasks.loading import load_task_data, sha256_file, shipped_file
from w2sbench.tasks.private import SECRET_ENV, commitment, draw, private_mirror, secret
from w2sbench.tasks.task import _registry, get_task, load_task_file

SECRET = "0123456789abcdef-maintainers"
OTHER = "fedcba9876543210-maintainers"


@pytest.fixture
def private_toy(tmp_path, monkeypatch):
    folder = write_toy_task(tmp_path / "tasks", private={"builder": "tests.conftest", "size": 300})
    monkeypatch.setenv("W2SBENCH_TASKS", str(folder))
    _registry.cache_clear()
    yield get_task("toy")
    _registry.cache_clear()


def test_the_secret_comes_from_the_environment_and_must_be_long(monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(DataError, match=r"\$W2SBENCH_PRIVATE_SEED"):
        secret()
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(DataError, match="5 characters, fewer than 16"):
        secret()
    monkeypatch.setenv(SECRET_ENV, SECRET)
    assert secret() == SECRET


def test_a_draw_keeps_the_pool_and_replaces_the_test_split_by_fresh_rows(private_toy, tmp_path):
    task = private_toy
    folder = draw(task, SECRET, tmp_path / "private")
    shipped = {s: pq.read_table(shipped_file(task, s)) for s in task.source.splits}
    assert (folder / "train.parquet").read_bytes() == (tmp_path / "tasks" / "data/toy/train.parquet").read_bytes()
    drawn = pq.read_table(folder / "test.parquet")
    assert drawn.num_rows == 300
    assert not set(drawn.column("text").to_pylist()) & {
        t for tb in shipped.values() for t in tb.column("text").to_pylist()
    }
    assert commitment(folder) == sha256_file(folder / "test.parquet")

    data = load_task_data(task, folder)
    assert data.source == f"private:test sha256 {commitment(folder)}"
    assert {e.text for e in data.test} <= set(drawn.column("text").to_pylist())
    assert data.pool == load_task_data(task).pool  # training data is the public task's


def test_the_same_secret_draws_the_same_split_and_another_secret_another(private_toy, tmp_path):
    a = draw(private_toy, SECRET, tmp_path / "one")
    b = draw(private_toy, SECRET, tmp_path / "two")
    c = draw(private_toy, OTHER, tmp_path / "one")
    assert commitment(a) == commitment(b) != commitment(c)
    assert a.parent.name != c.parent.name  # folders are named by the secret's digest, never the secret
    assert SECRET not in str(a) and OTHER not in str(c)


def test_a_damaged_draw_is_redrawn_to_the_same_bytes(private_toy, tmp_path, capsys):
    folder = draw(private_toy, SECRET, tmp_path / "private")
    before = commitment(folder)
    (folder / "test.parquet").write_bytes(b"truncated")
    assert commitment(draw(private_toy, SECRET, tmp_path / "private")) == before
    assert "corrupted" in capsys.readouterr().err
    assert sha256_file(folder / "test.parquet") == before


def test_only_tasks_with_a_private_draw_get_one(private_toy, tmp_path, monkeypatch):
    assert set(private_mirror([private_toy], SECRET, tmp_path)) == {"toy"}
    plain = write_toy_task(tmp_path / "plain")
    monkeypatch.setenv("W2SBENCH_TASKS", str(plain))
    _registry.cache_clear()
    assert private_mirror([get_task("toy")], SECRET, tmp_path) == {}
    with pytest.raises(DataError, match="task toy has no private draw"):
        draw(get_task("toy"), SECRET, tmp_path)


def test_a_builder_without_draw_private_is_named(tmp_path, monkeypatch):
    folder = write_toy_task(tmp_path / "tasks", private={"builder": "json", "size": 10})
    monkeypatch.setenv("W2SBENCH_TASKS", str(folder))
    _registry.cache_clear()
    with pytest.raises(DataError, match="private.builder 'json' has no draw_private"):
        draw(get_task("toy"), SECRET, tmp_path / "private")
    _registry.cache_clear()


def test_a_private_draw_needs_a_files_source(tmp_path):
    import yaml

    folder = write_toy_task(tmp_path / "tasks", private={"builder": "tests.conftest", "size": 10})
    definition = yaml.safe_load((folder / "toy.yaml").read_text())
    definition["source"] = {"kind": "hub", "dataset": "org/data", "revision": "a" * 40}
    (folder / "toy.yaml").write_text(yaml.safe_dump(definition))
    with pytest.raises(TaskDefinitionError, match="private: needs a files source"):
        load_task_file(folder / "toy.yaml")


@pytest.mark.skipif(not Path(STOCKFISH).exists(), reason=f"stockfish is not installed at {STOCKFISH}")
def test_chess_puzzles_draws_fresh_positions_whatever_the_worker_count():
    from w2sbench.tasks.builders.chess_puzzles import _position_key, draw_private
    from w2sbench.tasks.task import all_tasks

    task = all_tasks()["chess_puzzles"]
    assert task.private is not None and task.private.builder == "w2sbench.tasks.builders.chess_puzzles"
    shipped = [pq.read_table(shipped_file(task, s)) for s in task.source.splits]
    one = draw_private(3, 987654321, shipped, workers=1)
    two = draw_private(3, 987654321, shipped, workers=2)
    assert one.equals(two) and one.num_rows == 3
    taken = {_position_key(f) for t in shipped for f in t.column("FEN").to_pylist()}
    assert not {_position_key(f) for f in one.column("FEN").to_pylist()} & taken
    assert not one.equals(draw_private(3, 123456789, shipped, workers=1))
