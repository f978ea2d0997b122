"""`--data-dir` (and $W2SBENCH_DATA_DIR) on every command that loads task rows: run, evaluate,
validate, labels export and tasks audit resolve it in one place (w2sbench.tasks.loading.mirror)
and fail with the folder named, before any work, when it is missing."""

import pytest
from click.testing import CliRunner

from w2sbench.cli import main
from w2sbench.core.errors import DataError

COMMANDS = [
    ["run", "--tasks", "glue_sst2", "--seeds", "0"],
    ["labels", "export", "--tasks", "glue_sst2"],
    ["evaluate", "submissions/naive"],
    ["validate", "submissions/naive", "--skip-rerun"],
    ["tasks", "audit", "glue_sst2"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_missing_mirror_is_a_data_error_naming_it(args, tmp_path):
    out = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path / "nowhere")])
    assert out.exit_code == DataError.exit_code, out.output
    assert f"--data-dir {tmp_path / 'nowhere'}: no such folder" in out.output


def test_the_environment_variable_names_the_mirror_too(tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_DATA_DIR", str(tmp_path / "gone"))
    out = CliRunner().invoke(main, ["tasks", "audit", "glue_sst2"])
    assert out.exit_code == DataError.exit_code and "$W2SBENCH_DATA_DIR" in out.output


def test_a_hub_task_missing_from_the_mirror_names_its_folder(tmp_path):
    (tmp_path / "boolq").mkdir()
    out = CliRunner().invoke(
        main,
        [
            "run",
            "--tasks",
            "glue_sst2",
            "--seeds",
            "0",
            "--data-dir",
            str(tmp_path),
            "--results",
            str(tmp_path / "results"),
        ],
    )
    assert out.exit_code == DataError.exit_code, out.output
    assert "no folder glue_sst2/ for task glue_sst2" in out.output
