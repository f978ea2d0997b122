"""--cache holds everything a command caches: prepared models too, not only features and weak labels."""

from pathlib import Path

from click.testing import CliRunner

from w2sbench.cli import main
from w2sbench.models.packaged import prepared_dir


def test_run_cache_option_also_holds_prepared_models(tasks_env, tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path / "environment-cache"))  # restored after the test
    seen = {}

    def fake_run_grid(ws, grid, **kwargs):  # where the run would keep features, and its prepared models
        seen["workspace"], seen["models"] = ws.cache_root, prepared_dir("all-mpnet-base-v2")
        return []

    monkeypatch.setattr("w2sbench.running.sweep.run_grid", fake_run_grid)
    flag = tmp_path / "flag-cache"
    out = CliRunner().invoke(
        main,
        [
            "run",
            "--tasks",
            "toy",
            "--pairs",
            "minilm-l3:mpnet-base",
            "--seeds",
            "0",
            "--cache",
            str(flag),
            "--results",
            str(tmp_path / "results"),
            "--no-progress",
        ],
    )
    assert out.exit_code == 0, out.output
    assert seen["workspace"] == flag.resolve()
    assert seen["models"] == flag.resolve() / "models" / "all-mpnet-base-v2"


def test_evaluate_and_validate_cache_option_also_holds_prepared_models(tmp_path, monkeypatch):
    from w2sbench.cli.submissions import _harness

    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path / "environment-cache"))
    harness = _harness(tmp_path / "flag-cache", unsandboxed=True, time_limit=None)
    assert Path(harness.cache_dir) == (tmp_path / "flag-cache").resolve()
    assert prepared_dir("paraphrase-MiniLM-L3-v2").parent.parent == (tmp_path / "flag-cache").resolve()
