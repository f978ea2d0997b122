"""Needs review: the ceiling's interval against a hand-computed Wilson bound, the flags on
records built by hand, and acceptances tied to a code hash."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from w2sbench.core.errors import SubmissionError
from w2sbench.core.records import read_records
from w2sbench.submissions.review import (
    Reviewed,
    ceiling_upper,
    load_reviewed,
    needs_review,
    review_flags,
)

NAIVE = Path(__file__).resolve().parents[2] / "submissions" / "naive" / "results"


def test_the_ceiling_bound_is_the_wilson_upper_end():
    z, p, n = 1.959963984540054, 0.8, 100  # 80 of 100 right
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert ceiling_upper(0.8, 100) == pytest.approx(center + half, abs=1e-12) == pytest.approx(0.866633, abs=1e-6)


def with_scores(record, **scores):
    return record.model_copy(update={"scores": record.scores.model_copy(update=scores)})


@pytest.fixture
def one_cell():
    """The three seeds of one real cell (naive, offline suite)."""
    records, _ = read_records(NAIVE)
    first = next(r for r in records.values() if r.task.id.startswith("wordnet_"))
    cell = [
        r
        for r in records.values()
        if (r.task.id, r.weak.name, r.strong.name, r.ladder)
        == (first.task.id, first.weak.name, first.strong.name, first.ladder)
    ]
    assert len(cell) == 3
    return cell


def test_beating_the_ceiling_beyond_its_interval_is_flagged(one_cell):
    n = one_cell[0].task.n_test
    ceiling = one_cell[0].scores.acc_ceiling
    upper = ceiling_upper(ceiling, n)
    just_under = [with_scores(r, acc_w2s=upper - 1e-9, acc_ceiling=ceiling) for r in one_cell]
    assert not [f for f in review_flags(just_under) if "upper bound" in f.why]
    over = [with_scores(r, acc_w2s=upper + 1e-3, acc_ceiling=ceiling) for r in one_cell]
    [flag] = [f for f in review_flags(over) if "upper bound" in f.why]
    assert flag.cell == f"{one_cell[0].task.id} {one_cell[0].weak.name}->{one_cell[0].strong.name}"


def test_a_mean_pgr_above_one_is_flagged(one_cell):
    weak, ceiling = 0.6, 0.7
    records = [with_scores(r, acc_weak=weak, acc_ceiling=ceiling, acc_w2s=0.705) for r in one_cell]
    flags = review_flags(records)
    assert [f.cell for f in flags] == ["mean over cells"] and "PGR 1.05 above 1" in flags[0].why


def test_an_acceptance_holds_for_its_code_hash_only(one_cell):
    over = [with_scores(r, acc_w2s=1.0) for r in one_cell]
    flags = review_flags(over)
    code = one_cell[0].method.code_hash
    assert needs_review("naive", over, Reviewed(), flags)[0].startswith("needs review")
    assert needs_review("naive", over, Reviewed(accepted={"naive": [code]}), flags) == []
    assert needs_review("naive", over, Reviewed(accepted={"naive": ["0" * 16]}), flags)
    assert needs_review("other", over, Reviewed(accepted={"naive": [code]}), flags)
    # records alone flag nothing: the board decides, on the cells it ranks (tests/submissions/test_flags.py)
    assert needs_review("naive", over, Reviewed()) == []


def test_a_malformed_reviewed_file_names_itself(tmp_path):
    (tmp_path / "reviewed.yaml").write_text("accepted: [naive]\n")
    with pytest.raises(SubmissionError, match=r"reviewed.yaml: invalid accepted entries file"):
        load_reviewed(tmp_path)
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    assert load_reviewed(tmp_path) == Reviewed()
