"""evaluate's count: an experiment that two tracks share is one record, counted once."""

from __future__ import annotations

from tests.submissions.conftest import toy_harness, toy_track, write_submission
from w2sbench.submissions.evaluate import evaluate


def test_records_shared_by_two_tracks_are_counted_once(toy_env, tmp_path):
    _, cache = toy_env
    tracks = {"toy": toy_track("toy"), "toy-wide": toy_track("toy-wide", seeds=(0, 1))}  # seed 0 is in both
    folder = write_submission(tmp_path / "submissions", "shared", builtin="naive", tracks=("toy", "toy-wide"))
    report = evaluate(folder, toy_harness(cache, tracks), show_progress=False)
    assert sum(len(r) for r in report.results.values()) == 3  # one per track cell, seed 0 twice
    files = list((folder / "results").glob("*.json"))
    assert report.record_count() == len(files) == 2
