"""Adversarial records: an entry that edits, copies or re-seals its own result records with the
project's own code (scores and checksum recomputed), and what refuses each.

attack -- outcome -- what stops it:

- copy a record under another experiment's file name (counted twice) -- **refused**, naming both
  files -- records.misnamed, in read_records and ResultStore
- a second record for the same cell (other parameters, re-sealed) -- **refused**, naming both
  files -- records.duplicates
- records of one method trained with two budgets (or regimes), pooled into one score --
  **refused**, naming the files -- records.duplicates
- push 3 of 300 wrong predictions across 0.5, scores recomputed (within the old 0.01 drift) --
  **caught** -- validate re-runs every record: hard predictions identical
- replace one record of several by the truth (outside a random sample) -- **caught**, naming the
  file -- validate re-runs every record, not a sample
- lower the ceiling in one record (drops the cell for every entry) -- **caught** -- weak and
  ceiling predictions compared with the harness's own
- scores past the ceiling however reached (carried labels, matched pairs) -- **flagged**: needs
  review, not ranked until accepted -- submissions.review
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.submissions.conftest import TRACKS, toy_harness, toy_track, write_submission
from w2sbench.core.errors import CacheError
from w2sbench.core.records import read_records
from w2sbench.core.result import Result, ResultStore, groups_of
from w2sbench.protocol.scoring import score
from w2sbench.submissions.checks import ValidateOptions
from w2sbench.submissions.evaluate import evaluate
from w2sbench.submissions.validate import validate


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
        update={"key": "f" * 64, "method": record.method.model_copy(update={"code_hash": "0" * 64})}
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


def test_records_of_one_method_trained_with_two_budgets_are_refused_naming_the_files(entry):
    """Another seed's record trained with another budget would be pooled into the same score."""
    path, record = only_record(entry)
    budget = {**record.provenance.budget, "epochs": record.provenance.budget["epochs"] + 1}
    other = record.model_copy(
        update={
            "key": "e" * 64,
            "seed": record.seed + 1,
            "provenance": record.provenance.model_copy(update={"budget": budget}),
        }
    )
    ResultStore(entry / "results").write(other)
    other_path = ResultStore(entry / "results").path(other.key)
    found, bad = read_records(entry / "results")
    assert found == {}
    assert {p for p, _ in bad} == {path, other_path}
    for p, why in bad:
        assert "one folder holds one regime and budget per task" in why
        assert (other_path if p == path else path).name in why
    with pytest.raises(CacheError, match="budget"):
        ResultStore(entry / "results").all()


def test_two_tasks_may_train_with_two_budgets(entry):
    """A track trains its tasks with its own budget (Track.train): another task's records at
    another budget are not pooled with these, so the folder keeps both."""
    path, record = only_record(entry)
    budget = {**record.provenance.budget, "epochs": record.provenance.budget["epochs"] + 1}
    task = record.task.model_copy(update={"id": record.task.id + "-other"})
    other = record.model_copy(
        update={"key": "e" * 64, "task": task, "provenance": record.provenance.model_copy(update={"budget": budget})}
    )
    ResultStore(entry / "results").write(other)
    found, bad = read_records(entry / "results")
    assert bad == [] and set(found) == {path.stem, ResultStore(entry / "results").path(other.key).stem}


def forge(path, edit) -> None:
    """Rewrite a record as an attacker with the project's code would: scores recomputed, re-sealed."""
    record = Result.model_validate_json(path.read_bytes())
    p = {m: np.array(getattr(record.predictions, m)) for m in ("weak", "w2s", "ceiling")}
    labels = np.array(record.predictions.labels)
    edit(p, labels)
    predictions = record.predictions.model_copy(update={m: p[m].tolist() for m in p})
    forged = record.model_copy(
        update={
            "predictions": predictions,
            "scores": score(labels, p["weak"], p["w2s"], p["ceiling"], groups_of(record)),
        }
    )
    ResultStore(path.parent).write(forged)


def push_wrong_across(k: int, role: str = "w2s"):
    def edit(p, labels):
        wrong = np.flatnonzero((p[role] > 0.5) != labels)[:k]
        assert len(wrong) == k
        p[role][wrong] = np.where(labels[wrong] == 1, 0.51, 0.49)

    return edit


def push_right_across(k: int, role: str):
    def edit(p, labels):
        right = np.flatnonzero((p[role] > 0.5) == labels)[:k]
        p[role][right] = np.where(labels[right] == 1, 0.49, 0.51)

    return edit


def reproduce(report) -> tuple[str, str]:
    [check] = [c for c in report.checks if c.name == "reproduce"]
    return check.status, check.detail


@pytest.mark.parametrize(
    "edit, message",
    [
        (push_wrong_across(3), "the method's predictions differ from its re-run: 3 hard prediction(s) changed"),
        (push_right_across(10, "ceiling"), "the ceiling's predictions differ from the harness's own: 10 hard"),
        (push_wrong_across(5, "weak"), "the weak supervisor's predictions differ from the harness's own: 5 hard"),
    ],
    ids=["w2s-within-old-tolerance", "lowered-ceiling", "weak"],
)
def test_a_forged_record_is_caught_by_the_re_run(arena, entry, edit, message):
    path, _ = only_record(entry)
    forge(path, edit)
    assert read_records(entry / "results")[1] == []  # intact as a file: checksum, name and scores agree
    report = validate(entry, toy_harness(arena["cache"], TRACKS))
    status, detail = reproduce(report)
    assert status == "fail" and not report.ok
    assert message in detail and path.name in detail


def test_every_record_is_re_run_not_a_sample(arena, tmp_path):
    """One record of three replaced by the truth: a sample of two misses it one time in three."""
    tracks = {"toy": toy_track(seeds=(0, 1, 2))}
    folder = write_submission(tmp_path / "submissions", "honest", builtin="naive")
    results = evaluate(folder, toy_harness(arena["cache"], tracks), show_progress=False).results["toy"]
    target = ResultStore(folder / "results").path(next(r.key for r in results if r.seed == 2))
    clean = validate(folder, toy_harness(arena["cache"], tracks))
    assert clean.ok and reproduce(clean)[1].startswith("3 record(s) re-run"), clean.checks
    forge(target, lambda p, labels: p["w2s"].__setitem__(slice(None), labels.astype(float)))
    status, detail = reproduce(validate(folder, toy_harness(arena["cache"], tracks)))
    assert status == "fail" and "1 of 3 record(s)" in detail and target.name in detail and "seed 2" in detail


def test_skipping_the_re_run_is_a_warning_never_a_pass(arena, entry):
    status, detail = reproduce(validate(entry, toy_harness(arena["cache"], TRACKS), ValidateOptions(rerun=False)))
    assert status == "warn" and "not re-run" in detail


def test_scores_past_the_ceiling_are_flagged_until_a_maintainer_accepts_them(entry):
    """However a method got there (labels carried in, the matched-pair shortcut), acc_w2s above the
    ceiling's interval is not ranked; an acceptance for its exact code hash ranks it."""
    from w2sbench.leaderboard.board import build_leaderboard

    path, record = only_record(entry)
    forge(path, lambda p, labels: p["w2s"].__setitem__(slice(None), labels.astype(float)))
    board = build_leaderboard(entry.parent, TRACKS).boards[0]
    assert not board.rows
    [(name, why)] = board.invalid
    assert (
        name == "honest"
        and why.startswith("needs review")
        and "acc_w2s 1.000 above the ceiling's 95% upper bound" in why
    )
    assert "PGR" in why and record.method.code_hash in why
    (entry.parent / "reviewed.yaml").write_text(f"accepted:\n  honest: [{record.method.code_hash}]\n")
    board = build_leaderboard(entry.parent, TRACKS).boards[0]
    assert [r.name for r in board.rows] == ["honest"] and not board.invalid


@pytest.mark.parametrize("name", ["naive", "bootstrap", "conf-filter", "early-stop-gt"])
def test_the_reference_entries_are_not_flagged(name):
    """The shipped reference records (offline-quick, real features) stay under the ceiling's interval.
    (On the toy task's fake encoder naive training does beat its ceiling: flagged there, as it should be.)"""
    from pathlib import Path

    from w2sbench.submissions.review import review_flags

    results = Path(__file__).resolve().parents[2] / "submissions" / name / "results"
    records, bad = read_records(results)
    assert records and not bad
    assert review_flags(list(records.values())) == []
