"""The Hub tasks' conversions on real upstream rows (a local mirror in ../shared/realdata, in each
Hub dataset's schema; skipped, naming the folder, where it is absent).

Every task there must pass the strict audit, and the facts that made each fix necessary must
still hold on the raw rows, so a fix is tested against the failure it answers."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from w2sbench.tasks.audit import audit_task
from w2sbench.tasks.conversions._fields import normalise
from w2sbench.tasks.loading import load_task_data
from w2sbench.tasks.task import Sizes, get_task

REAL = Path(__file__).resolve().parents[3] / "shared" / "realdata"


def real(task_id: str) -> Path:
    folder = REAL / task_id
    if not folder.is_dir():
        pytest.skip(f"no real rows: {folder} is absent")
    return folder


def _tasks() -> list[str]:
    return sorted(p.name for p in REAL.iterdir() if p.is_dir()) if REAL.is_dir() else ["(none)"]


@pytest.mark.parametrize("task_id", _tasks())
def test_every_real_task_passes_the_audit(task_id):
    if task_id == "(none)":
        pytest.skip(f"no real rows: {REAL} is absent")
    task = get_task(task_id)
    failed = [f"{c.name}: {c.message}" for c in audit_task(task, load_task_data(task, real(task_id))) if not c.passed]
    assert not failed


def _column(task_id: str, split: str, column: str) -> list:
    return pq.read_table(real(task_id) / f"{split}.parquet", columns=[column]).column(column).to_pylist()


def test_virtue_is_carved_because_its_official_files_share_sentences():
    def sentence(s):  # as the group key compares them
        return normalise(s.split("[SEP]")[0])

    train = {sentence(s) for s in _column("ethics_virtue", "train", "scenario")}
    validation = [sentence(s) for s in _column("ethics_virtue", "validation", "scenario")]
    assert sum(v in train for v in validation) == 4555 and len(validation) == 4975  # rows, as the mirror's README
    data = load_task_data(get_task("ethics_virtue"), real("ethics_virtue"))
    assert {e.text for e in data.pool}.isdisjoint({e.text for e in data.test})
    assert {e.id.split("/")[0] for e in data.test} == {"train", "validation", "test"}  # carved from all three


def test_wic_is_carved_because_its_official_split_shares_words():
    train = set(_column("superglue_wic", "train", "word"))
    assert sum(w in train for w in _column("superglue_wic", "validation", "word")) == 254
    data = load_task_data(get_task("superglue_wic"), real("superglue_wic"))

    def words(examples):
        return {e.text.split(":")[0] for e in examples}

    assert words(data.pool).isdisjoint(words(data.test))


def test_multirc_keeps_length_matched_candidates_per_question():
    """Before balancing and capping (which sample examples, not questions)."""
    task = get_task("superglue_multirc")
    uncapped = task.model_copy(update={"balance": False, "sizes": Sizes(pool=10**6, test=10**6)})
    data = load_task_data(uncapped, real("superglue_multirc"))
    for role in (data.pool, data.test):
        by_question: dict[str, list[int]] = {}
        for e in role:
            by_question.setdefault(e.text, []).append(e.label)
        uneven = sum(abs(2 * sum(ls) - len(ls)) for ls in by_question.values())
        assert uneven == 0  # as many right as wrong candidates in every question
        right = sorted(len(e.text_pair) for e in role if e.label == 1)
        wrong = sorted(len(e.text_pair) for e in role if e.label == 0)
        assert abs(right[len(right) // 2] - wrong[len(wrong) // 2]) <= 2  # median lengths alike


@pytest.mark.parametrize("task_id", ["ethics_deontology", "glue_cola", "sciq", "openbookqa", "cosmos_qa"])
def test_no_test_input_or_group_occurs_in_the_pool(task_id):
    data = load_task_data(get_task(task_id), real(task_id))
    pool = {(e.text, e.text_pair) for e in data.pool}
    assert not [e for e in data.test if (e.text, e.text_pair) in pool]
    assert {e.group for e in data.pool}.isdisjoint({e.group for e in data.test} - {None})
