"""The command line: listings with --json, one-line user errors with suggestions, and `run` on a toy grid."""

import json

from click.testing import CliRunner

from w2sbench.cli import main


def test_methods_json_lists_naive_with_citation():
    out = CliRunner().invoke(main, ["methods", "--json"])
    assert out.exit_code == 0
    naive = {m["name"]: m for m in json.loads(out.output)}["naive"]
    assert naive["params"] == {"hard": False} and "Burns" in naive["citation"]


def test_tasks_json_and_show(tasks_env):
    out = CliRunner().invoke(main, ["tasks", "--json"])
    assert [t["id"] for t in json.loads(out.output)] == ["toy"]
    shown = CliRunner().invoke(main, ["tasks", "show", "toy"])
    assert shown.exit_code == 0 and "sha256" in shown.output and "licence: CC0-1.0" in shown.output


def test_unknown_names_are_one_line_errors(tasks_env):
    out = CliRunner().invoke(main, ["run", "--methods", "naiv", "--tasks", "toy"])
    assert out.exit_code == 2
    assert "unknown method 'naiv'. Did you mean: naive" in out.output and "Traceback" not in out.output
    out = CliRunner().invoke(main, ["run", "--tasks", "toi"])
    assert out.exit_code == 2 and "Did you mean: toy" in out.output
    out = CliRunner().invoke(main, ["run", "--tasks", "toy", "--pairs", "mpnet-base:minilm-l3"])
    assert out.exit_code == 2 and "is not below" in out.output


def test_misspelt_subcommand_suggests():
    out = CliRunner().invoke(main, ["methds"])
    assert out.exit_code != 0 and "Did you mean: methods" in out.output


def test_tasks_audit_passes_on_the_fixtures_and_fails_on_a_leak(tmp_path):
    from pathlib import Path

    fixtures = Path(__file__).parents[1] / "fixtures" / "tasks"
    ok = CliRunner().invoke(main, ["tasks", "audit", "boolq", "superglue_multirc", "--data-dir", str(fixtures)])
    assert ok.exit_code == 0, ok.output
    assert "group_leakage" in ok.output and "FAIL" not in ok.output


def test_tasks_audit_exits_nonzero_on_a_surface_leak(tasks_env, tmp_path):
    """(A group on both sides of the split no longer reaches the audit: the loader drops such
    test examples, w2sbench.tasks.hygiene; a label readable from the text's length does.)"""
    from tests.conftest import latent_rows, write_rows

    pool = latent_rows(120, 0, "a")
    test = latent_rows(120, 1, "b")
    for row in pool + test:
        row["text"] += " and more words" * (6 if row["label"] else 0)  # the label in the length
    write_rows(tmp_path / "leaky/train.parquet", pool)
    write_rows(tmp_path / "leaky/test.parquet", test)
    (tmp_path / "data").mkdir()
    (tmp_path / "leaky").rename(tmp_path / "data" / "toy")
    out = CliRunner().invoke(main, ["tasks", "audit", "toy", "--data-dir", str(tmp_path / "data")])
    assert out.exit_code == 1 and "FAILED: toy:surface_leak" in out.output


def test_a_generative_task_on_an_encoder_ladder_is_a_clear_error(tmp_path):
    out = CliRunner().invoke(
        main,
        [
            "run",
            "--tasks",
            "chess_first_move",
            "--pairs",
            "minilm-l3:minilm-l6",
            "--seeds",
            "0",
            "--results",
            str(tmp_path),
            "--no-progress",
        ],
    )
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert "rung minilm-l3 is an encoder: a generative task needs causal language models" in out.output


def test_audit_checks_ceiling_above_floor_on_a_runs_records():
    out = CliRunner().invoke(main, ["tasks", "audit", "wordnet_gloss", "--results", "submissions/naive/results"])
    assert out.exit_code == 0, out.output
    assert "ceiling_above_floor/minilm-l3->mpnet-base" in out.output and "embedded (probe)" in out.output


def test_rescore_without_the_secret_or_on_a_public_track_is_a_one_line_error(tmp_path, monkeypatch):
    from w2sbench.core.errors import DataError, SubmissionError

    monkeypatch.delenv("W2SBENCH_PRIVATE_SEED", raising=False)
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))  # --cache sets it for the process: restored after the test
    out = CliRunner().invoke(main, ["rescore", "--track", "chess-board", "--cache", str(tmp_path)])
    assert out.exit_code == DataError.exit_code and "set $W2SBENCH_PRIVATE_SEED" in out.output
    assert "Traceback" not in out.output
    monkeypatch.setenv("W2SBENCH_PRIVATE_SEED", "0123456789abcdef0123")
    out = CliRunner().invoke(main, ["rescore", "--track", "offline-quick", "--cache", str(tmp_path)])
    assert out.exit_code == SubmissionError.exit_code and "track offline-quick is not private" in out.output
