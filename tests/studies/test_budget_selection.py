"""Budget selection (studies/budget_selection.py) on the fake ladder's toy task: one long fit
gives every shorter budget exactly, the table ranks by validation accuracy, and the reported
seeds are refused."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from studies import budget_selection as B
from tests.conftest import FakeEncoder, fake_ladder
from w2sbench.core.example import Inputs, labels_of
from w2sbench.models.probe import ProbeStudent, TrainConfig
from w2sbench.protocol.workspace import Workspace
from w2sbench.tasks.task import get_task


@pytest.fixture
def ws(tmp_path, tasks_env):
    return Workspace(tmp_path / "cache", tmp_path / "results", encoder_factory=FakeEncoder)


def test_the_first_epochs_of_a_longer_fit_are_the_shorter_fit(ws):
    splits = ws.splits(get_task("toy"), 100)
    strong = fake_ladder().rung("strong")
    curve = B.validation_curve(
        ProbeStudent(ws.features(strong), 100), splits.transfer, splits.validation, 1e-2, 1e-2, 6
    )
    assert len(curve) == 6
    for epochs in (1, 4, 6):
        student = ProbeStudent(ws.features(strong), 100, TrainConfig(epochs=epochs, lr=1e-2, weight_decay=1e-2))
        head = student.fit(Inputs.of(splits.transfer), labels_of(splits.transfer).astype(float))
        accuracy = np.mean((head(Inputs.of(splits.validation)) > 0.5) == labels_of(splits.validation))
        assert curve[epochs - 1] == pytest.approx(accuracy)


def test_reference_heads_are_the_pairs_supervisors_and_ceilings():
    heads = {(h.rung.name, h.role) for h in B.reference_heads(fake_ladder())}
    assert heads == {("weak", "weak"), ("mid", "weak"), ("mid", "ceiling"), ("strong", "ceiling")}


def test_selection_rows_rank_budgets_by_validation_accuracy(ws):
    heads = B.reference_heads(fake_ladder())
    rows = B.selection_rows(
        ws, [get_task("toy")], heads, seeds=(100, 101), epochs=(1, 3), lrs=(1e-4, 1e-2), weight_decays=(1e-2,)
    )
    assert len(rows) == 4 and all(r["n"] == 2 * len(heads) for r in rows)
    assert [r["all"] for r in rows] == sorted((r["all"] for r in rows), reverse=True)
    assert rows[0]["ceiling"] > rows[0]["weak"]  # trained enough, the less noisy rungs beat the weak heads
    best = B.chosen(rows)
    assert (best.epochs, best.lr, best.weight_decay) == (rows[0]["epochs"], rows[0]["lr"], rows[0]["weight_decay"])
    assert "val acc (all)" in B.selection_table(rows)


def test_ties_go_to_the_smaller_budget():
    rows = [
        {"epochs": e, "lr": lr, "weight_decay": 0.01, "weak": 0.6, "ceiling": 0.7, "all": 0.65, "n": 4}
        for e, lr in ((10, 1e-3), (3, 1e-2), (3, 1e-3))
    ]
    rows = sorted(rows, key=lambda r: (-r["all"], r["epochs"], r["lr"], r["weight_decay"]))
    assert (B.chosen(rows).epochs, B.chosen(rows).lr) == (3, 1e-3)


def test_the_reported_seeds_are_refused():
    out = CliRunner().invoke(B.main, ["--seeds", "0-4"])
    assert out.exit_code == 2 and "are seeds a track reports" in out.output
