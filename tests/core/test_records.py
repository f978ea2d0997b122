"""Read-only readers of record folders (compare, tasks audit) never move or write a file, and
name each bad record with the command that repairs it."""

import json

import pytest
from click.testing import CliRunner

from tests.protocol.test_run import grid, workspace
from w2sbench.cli import main
from w2sbench.core.errors import CacheError
from w2sbench.core.records import intact_records
from w2sbench.methods.api import make_method
from w2sbench.running.sweep import run_grid


def _folder_state(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_compare_on_a_corrupted_folder_writes_nothing_and_says_how_to_repair(tasks_env, tmp_path):
    run_grid(
        workspace(tmp_path), grid([make_method("naive"), make_method("naive", {"hard": True})]), show_progress=False
    )
    folder = tmp_path / "results"
    victim = sorted(folder.glob("*.json"))[0]
    record = json.loads(victim.read_text())
    record["scores"]["pgr"] = 0.99
    victim.write_text(json.dumps(record))
    before = _folder_state(folder)
    done = CliRunner().invoke(main, ["compare", "--results", str(folder)])
    assert done.exit_code == CacheError.exit_code, done.output
    assert f"{victim.name}: checksum mismatch" in done.output and "nothing was changed" in done.output
    assert "w2sbench run --results DIR" in done.output
    assert _folder_state(folder) == before  # no .corrupt file, nothing renamed


def test_records_a_store_set_aside_are_not_counted_against_the_folder(tasks_env, tmp_path):
    [first] = run_grid(workspace(tmp_path), grid([make_method("naive")]), show_progress=False)
    folder = tmp_path / "results"
    (folder / "0.corrupt").write_text("{")  # what ResultStore leaves for inspection
    assert [r.key for r in intact_records([folder])] == [first.key]
    (folder / "stray.txt").write_text("x")
    with pytest.raises(CacheError, match="stray.txt: unexpected file"):
        intact_records([folder])
