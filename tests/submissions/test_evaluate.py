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


def test_evaluate_adopts_the_records_run_methods_folder_made_for_the_same_experiments(toy_env, tmp_path, monkeypatch):
    """`run --methods FOLDER` then `evaluate FOLDER --reuse RESULTS`: the experiment is not run again,
    its record is the run's, and a record of another method in that folder is not taken."""
    import json

    from click.testing import CliRunner

    from tests.conftest import use_fake_models
    from w2sbench.cli import main

    _, cache = toy_env
    use_fake_models(monkeypatch, cache)
    folder = write_submission(tmp_path / "submissions", "mine", tracks=("offline-quick",))  # a name `run` knows
    made = tmp_path / "results"
    out = CliRunner().invoke(
        main,
        [
            "run",
            "--tasks",
            "toy",
            "--pairs",
            "weak:strong",
            "--seeds",
            "0",
            "--ladder",
            "fake",
            "--methods",
            f"naive,{folder}",
            "--results",
            str(made),
            "--no-progress",
        ],
    )
    assert out.exit_code == 0, out.output
    [mine] = [p for p in made.glob("*.json") if json.loads(p.read_text())["method"]["name"] == "mine"]
    monkeypatch.setattr(
        "w2sbench.running.executors.LocalExecutor.run",
        lambda *a, **k: (_ for _ in ()).throw(AssertionError("an adopted experiment ran again")),
    )
    tracks = {"offline-quick": toy_track("offline-quick")}
    report = evaluate(folder, toy_harness(cache, tracks), show_progress=False, reuse=(made,))
    assert report.reused == 1
    [kept] = list((folder / "results").glob("*.json"))
    assert kept.name == mine.name and json.loads(kept.read_text()) == json.loads(mine.read_text())


def test_evaluate_without_progress_prints_a_line_per_stage_and_per_track(toy_env, tmp_path, capfd):
    _, cache = toy_env
    folder = write_submission(tmp_path / "submissions", "lines", builtin="naive", tracks=("toy",))
    evaluate(folder, toy_harness(cache), show_progress=False)
    err = capfd.readouterr().err
    assert "w2sbench: evaluate lines: track toy: 1 records in" in err
    assert "done in" in err  # the executors' stages
