"""Adversarial records: an entry that edits, copies or re-seals its own result records with the
project's own code (scores and checksum recomputed), and what refuses each.

| attack | outcome | what stops it |
|---|---|---|
| copy a record under another experiment's file name (counted twice) | **refused**, naming both files | records.misnamed, in read_records and ResultStore |
| a second record for the same cell (other parameters, re-sealed) | **refused**, naming both files | records.duplicates |
"""

from __future__ import annotations

import shutil

import pytest

from tests.submissions.conftest import TRACKS
from w2sbench.core.errors import CacheError
from w2sbench.core.records import read_records
from w2sbench.core.result import ResultStore


@pytest.fixture
def entry(arena, tmp_path):
    """A private copy of the arena's honest entry (its records may be forged freely)."""
    root = tmp_path / "submissions"
    shutil.copytree(arena["root"] / "honest", root / "honest")
    return root / "honest"


def only_record(entry):
    [path] = sorted((entry / "results").glob("*.json"))
    return path, ResultStore(entry / "results").read(path.stem)


def test_a_record_copied_under_another_name_is_refused_naming_both_files(entry):
    path, _ = only_record(entry)
    copy = path.with_name("0" * 32 + ".json")  # the name of another seed's record
    shutil.copy(path, copy)
    found, bad = read_records(entry / "results")
    assert list(found) == [path.stem]
    [(where, why)] = bad
    assert where == copy and path.name in why and copy.name in why
    with pytest.raises(CacheError, match=f"{copy.name}.*{path.name}"):
        ResultStore(entry / "results").all()


def test_a_second_record_for_the_same_cell_is_refused_naming_both_files(entry):
    from w2sbench.leaderboard.board import build_board, load_entries

    path, record = only_record(entry)
    other = record.model_copy(
        update={"key": "f" * 64, "method": record.method.model_copy(update={"params": {"stale": 1}})}
    )
    second = ResultStore(entry / "results").write(other)
    second_path = ResultStore(entry / "results").path(second.key)
    found, bad = read_records(entry / "results")
    assert found == {}
    assert {p for p, _ in bad} == {path, second_path}
    assert all(path.name in why or second_path.name in why for _, why in bad)
    with pytest.raises(CacheError, match="a second record"):
        ResultStore(entry / "results").all()
    board = build_board(TRACKS["toy"], load_entries(entry.parent))
    assert [name for name, _ in board.invalid] == ["honest"] and not board.rows
