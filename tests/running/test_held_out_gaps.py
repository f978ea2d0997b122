"""Held-out gaps (w2sbench.running.held_out_gaps): a hand-computed gap, an interval that excludes
a gap only when it should, no test example read, the reported seeds refused, and --check failing
on a stale table."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import FakeEncoder, fake_ladder
from w2sbench.cli import main
from w2sbench.core.cell import Cell
from w2sbench.core.errors import W2SError
from w2sbench.core.splits import Splits
from w2sbench.protocol.workspace import Workspace
from w2sbench.reporting.cells import GAP_MARGIN, held_out_checks
from w2sbench.running import held_out_gaps as H
from w2sbench.tasks.task import get_task


@pytest.fixture
def ws(tmp_path, tasks_env):
    return Workspace(tmp_path / "cache", tmp_path / "results", encoder_factory=FakeEncoder)


def test_the_gap_is_the_seed_mean_of_paired_validation_accuracies():
    weak = [np.array([1, 0, 1, 0], bool), np.array([1, 1, 0, 0, 0, 0], bool)]
    strong = [np.array([1, 1, 1, 0], bool), np.array([1, 1, 1, 1, 1, 0], bool)]
    g = H.gap_of(Cell("t", "w", "s", "toy"), weak, strong, n_boot=2000)
    # seed means: weak (0.5 + 1/3) / 2, ceiling (0.75 + 5/6) / 2
    assert g.acc_weak == pytest.approx((0.5 + 1 / 3) / 2)
    assert g.acc_ceiling == pytest.approx((0.75 + 5 / 6) / 2)
    assert g.gap == pytest.approx(g.acc_ceiling - g.acc_weak)
    assert g.low <= g.gap <= g.high and g.n_validation == 10
    assert H.gap_of(Cell("t", "w", "s", "toy"), weak, strong, n_boot=2000) == g  # seeded by the cell


def test_no_gap_has_an_interval_at_zero_and_a_clear_gap_lies_above_the_margin():
    rng = np.random.default_rng(0)
    same = [rng.random(800) < 0.7 for _ in range(5)]
    none = H.gap_of(Cell("t", "w", "s", "toy"), same, same, n_boot=500)
    assert none.gap == 0 and none.low == none.high == 0 and not none.low > GAP_MARGIN
    better = [s | (rng.random(800) < 0.5) for s in same]  # about 15 points more right
    clear = H.gap_of(Cell("t", "w", "s", "toy"), same, better, n_boot=500)
    assert clear.low > GAP_MARGIN and clear.low < clear.gap < clear.high


def test_grouped_validation_examples_are_resampled_as_units():
    """Pairs that are always both right or both wrong: resampled as pairs, the interval is wider
    (about sqrt(2)) than resampled as single examples; the point gap is the same."""
    rng = np.random.default_rng(1)
    weak = [np.repeat(rng.random(300) < 0.6, 2) for _ in range(3)]
    strong = [np.repeat(rng.random(300) < 0.8, 2) for _ in range(3)]
    pairs = [np.repeat(np.arange(300), 2)] * 3
    loose = H.gap_of(Cell("t", "w", "s", "toy"), weak, strong, n_boot=3000)
    grouped = H.gap_of(Cell("t", "w", "s", "toy"), weak, strong, pairs, n_boot=3000)
    assert grouped.gap == loose.gap
    assert (grouped.high - grouped.low) / (loose.high - loose.low) == pytest.approx(np.sqrt(2), rel=0.25)
    assert H.gap_of(Cell("t", "w", "s", "toy"), weak, strong, [None] * 3, n_boot=3000) == loose


class _Poison(list):
    def __iter__(self):
        raise AssertionError("the held-out gap read a test example")

    def __len__(self):
        raise AssertionError("the held-out gap read a test example")


def test_measure_scores_validation_and_never_reads_the_test_set(ws):
    task = get_task("toy")
    for seed in (100, 101):
        s = ws.splits(task, seed)
        ws._splits[task.id, seed] = Splits(s.supervisor_train, s.transfer, s.validation, test=_Poison())
    gaps = H.measure(ws, [task], fake_ladder(), seeds=(100, 101))
    assert [(g.task, g.weak, g.strong) for g in gaps] == [("toy", w.name, s.name) for w, s in fake_ladder().pairs()]
    n_val = sum(len(ws.splits(task, seed).validation) for seed in (100, 101))
    assert all(g.n_validation == n_val for g in gaps)
    by_cell = {(g.task, g.weak, g.strong): g for g in gaps}
    assert by_cell["toy", "weak", "strong"].gap > 0  # the fake ladder's strong rung is less noisy


def test_held_out_checks_read_the_table_and_name_a_missing_cell():
    cell = {
        "task": "t",
        "weak": "w",
        "strong": "s",
        "acc_weak": 0.6,
        "acc_ceiling": 0.7,
        "gap": 0.1,
        "low": 0.05,
        "high": 0.15,
        "n_validation": 100,
    }
    small = dict(cell, weak="m", gap=0.02, low=-0.01, high=0.05)
    table = {
        "ladder": "lad",
        "seeds": [100],
        "split": "validation",
        "numerics": "fp32",
        "data": {},
        "cells": [cell, small],
    }
    kept, left = held_out_checks([Cell("t", "w", "s", "lad"), Cell("t", "m", "s", "lad")], "lad", table)
    assert kept.kept and kept.gap == 0.1 and not left.kept
    with pytest.raises(W2SError, match="ladder lad .* has no gap for t x->s"):
        held_out_checks([Cell("t", "x", "s", "lad")], "lad", table)
    with pytest.raises(W2SError, match="ladder other .* has no gap"):
        held_out_checks([Cell("t", "w", "s", "other")], "other", table)


def test_write_then_check_passes_and_a_stale_table_fails(tmp_path, tasks_env, monkeypatch):
    table = tmp_path / "pkg" / "fake.json"
    table.parent.mkdir()
    monkeypatch.setattr(H, "tables_dir", lambda: table.parent)
    monkeypatch.setattr(H, "Workspace", functools.partial(Workspace, encoder_factory=FakeEncoder))
    monkeypatch.setattr(H, "get_ladder", lambda name: fake_ladder())
    args = ["--cache", str(tmp_path / "cache"), "--repo", str(tmp_path)]

    def gaps(*argv):
        return CliRunner().invoke(main, ["gaps", *argv, *args])

    assert gaps("--tasks", "toy", "--seeds", "100,101", "--ladder", "fake", "--write").exit_code == 0
    written = json.loads(table.read_text())
    assert written["seeds"] == [100, 101] and len(written["cells"]) == 3
    doc_file = tmp_path / H.doc_path("fake")
    doc = doc_file.read_text()
    assert "weak -> strong" in doc and "| toy" in doc and "ladder fake" in doc
    out = gaps("--check")  # every committed table's ladder, its tasks and seeds read from it
    assert out.exit_code == 0 and "reproduce the committed table" in out.output
    doc_file.write_text(doc + "edited by hand\n")
    out = gaps("--check")
    assert out.exit_code == 1 and "fake.md is not the committed table's Markdown" in out.output
    written["cells"][0]["gap"] += 0.5
    table.write_text(json.dumps(written))
    doc_file.write_text(H.markdown(written))
    out = gaps("--check")
    assert out.exit_code == 1 and "recomputed rows differ (toy weak->mid)" in out.output


def test_the_reported_seeds_are_refused(tasks_env):
    out = CliRunner().invoke(main, ["gaps", "--tasks", "toy", "--seeds", "3-5", "--write"])
    assert out.exit_code == 2 and "3, 4 are seeds a track reports" in out.output


def test_which_ladders_a_refresh_measures(monkeypatch):
    """--check with --tracks-tasks: every ladder a track keeps cells by, once each; --write alone:
    the embedded ladder; --check alone: every committed table."""
    from types import SimpleNamespace

    seen = []
    monkeypatch.setattr(H, "_refresh_ladder", lambda request, ladder, progress: seen.append(ladder) or [])
    tracks = [SimpleNamespace(ladder=name, tasks=[]) for name in ("embedded", "chess-board", "embedded")]
    monkeypatch.setattr(H, "_held_out_tracks", lambda: tracks)
    monkeypatch.setattr(H, "committed_ladders", lambda: ["a", "b"])

    def request(tracks_tasks, write):
        return H.GapsRequest(None, None, None, tracks_tasks, None, Path("repo"), write)

    H.refresh(request(True, False), None)
    written = H.refresh(request(False, True), None).written
    H.refresh(request(False, False), None)
    H.refresh(request(True, False), "chess-board")
    assert written == [H.committed_path("embedded"), Path("repo") / H.doc_path("embedded")]
    assert seen == ["embedded", "chess-board", "embedded", "a", "b", "chess-board"]


def test_every_committed_tables_markdown_is_current():
    """docs/results/gaps/LADDER.md is its table's Markdown (what --check compares without recomputing)."""
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    assert H.committed_ladders()
    for ladder in H.committed_ladders():
        assert (repo / H.doc_path(ladder)).read_text() == H.markdown(H.load_table(ladder)), ladder


def test_the_reference_heads_train_with_the_budget_of_the_tracks_that_read_the_table(monkeypatch):
    """One table serves every track that keeps cells by it: their budget, which must agree."""
    from types import SimpleNamespace

    from w2sbench.models.probe import TrainConfig

    own = TrainConfig(epochs=10, lr=3e-4, weight_decay=0.01)

    def track(ladder, config):
        return SimpleNamespace(ladder=ladder, train_config=lambda: config)

    monkeypatch.setattr(H, "_held_out_tracks", lambda: [track("a", own), track("a", own), track("b", TrainConfig())])
    assert H.ladder_budget("a") == own
    assert H.ladder_budget("b") == TrainConfig() == H.ladder_budget("none")
    monkeypatch.setattr(H, "_held_out_tracks", lambda: [track("a", own), track("a", TrainConfig())])
    with pytest.raises(W2SError, match="ladder a: the tracks that keep cells by its held-out gaps train with"):
        H.ladder_budget("a")
