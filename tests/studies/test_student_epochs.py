"""The student-epochs study (studies/student_epochs.py): only the student's epochs change, the
interval over tasks is hand-computed, copied errors are averaged per epoch count."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from studies import student_epochs as S
from w2sbench.models.probe import TrainConfig


class _Student:
    config = TrainConfig(epochs=10, lr=1e-3, weight_decay=1e-1)

    def fit(self, inputs, targets, *, config=None):
        self.seen = (inputs, targets, config)
        return "predictor"


def test_the_method_trains_its_student_for_its_epochs_and_nothing_else():
    student = _Student()
    ctx = SimpleNamespace(student=student, transfer="X", weak_labels=np.array([0.2, 0.9]))
    assert S.NaiveForEpochs(epochs=3).fit(ctx) == "predictor"
    inputs, targets, config = student.seen
    assert inputs == "X" and targets.tolist() == [0.2, 0.9]
    assert config == TrainConfig(epochs=3, lr=1e-3, weight_decay=1e-1)


def _record(epochs, weak, w2s, ceiling, wrong, task="t"):
    return SimpleNamespace(
        task=SimpleNamespace(id=task),
        weak=SimpleNamespace(name="a"),
        strong=SimpleNamespace(name="b"),
        method=SimpleNamespace(name="naive-epochs", params={"epochs": epochs}),
        scores=SimpleNamespace(acc_weak=weak, acc_w2s=w2s, acc_ceiling=ceiling, agreement={"supervisor_wrong": wrong}),
    )


def test_task_interval_averages_a_tasks_cells_first():
    # task t: cells 0.2 and 0.4 -> 0.3; task u: 0.5; task v: 0.7. Mean 0.5, sd 0.2, n 3:
    # half-width t(0.975, 2) * 0.2 / sqrt(3) = 4.3027 * 0.11547 = 0.4968
    got = S.task_interval({"t a->b": 0.2, "t c->b": 0.4, "u a->b": 0.5, "v a->b": 0.7, "w a->b": None})
    mean, low, high, n = got
    assert n == 3 and mean == pytest.approx(0.5)
    assert high - mean == pytest.approx(4.302653 * 0.2 / np.sqrt(3), rel=1e-5)
    assert S.task_interval({"t a->b": 0.2}) is None  # one task has no spread


def test_table_columns_are_epochs_and_copied_errors_are_means():
    rows = [
        _record(1, 0.6, 0.70, 0.8, 0.2),
        _record(1, 0.6, 0.66, 0.8, 0.4, task="u"),
        _record(40, 0.6, 0.62, 0.8, 0.9),
        _record(40, 0.6, 0.60, 0.8, 0.7, task="u"),
    ]
    assert S.copied_errors(rows) == {1: pytest.approx(0.3), 40: pytest.approx(0.8)}
    text = S.table(rows)
    assert "| 1 ep" in text and "| 40 ep" in text
    assert "+0.50" in text and "+0.30" in text  # t and u at 1 epoch: 0.10 / 0.20 and 0.06 / 0.20
    assert "0.300" in text and "0.800" in text
