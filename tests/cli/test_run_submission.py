"""`w2sbench run --methods FOLDER`: a researcher's own method (a submission folder) on any task
and pairs, without entering a track; its code runs in the isolated worker, as evaluate runs it."""

import json

from click.testing import CliRunner

from tests.conftest import use_fake_models
from tests.submissions.conftest import method_source, write_submission
from w2sbench.cli import main


def _records(folder):
    return {r["method"]["name"]: r for r in (json.loads(p.read_text()) for p in folder.glob("*.json"))}


def test_run_accepts_a_submission_folder_beside_a_builtin_method(tasks_env, tmp_path, monkeypatch, one_thread):
    use_fake_models(monkeypatch, tmp_path / "cache")
    folder = write_submission(tmp_path / "mine", "my-naive", method_source("my-naive"), tracks=("offline-quick",))
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
            "--methods",
            f"naive,{folder}",
            "--results",
            str(tmp_path / "results"),
            "--no-progress",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "my-naive" in out.output and "2 result records" in out.output
    records = _records(tmp_path / "results")
    mine, naive = records["my-naive"], records["naive"]
    assert mine["method"]["code_hash"] and mine["task"]["id"] == "toy"
    # Steps 1-3 do not depend on the method; the submitted naive trains as the builtin one does.
    for score in ("acc_weak", "acc_ceiling", "acc_w2s"):
        assert mine["scores"][score] == naive["scores"][score], score


def test_a_folder_without_metadata_is_an_unknown_method_name(tasks_env, tmp_path):
    out = CliRunner().invoke(main, ["run", "--tasks", "toy", "--methods", str(tmp_path)])
    assert out.exit_code == 2 and "unknown method" in out.output
