"""`w2sbench run` goes on past a method that crashes or answers wrongly: the others' experiments
run, the table prints what completed, each failure names its experiment, the exit status says so."""

import json

from click.testing import CliRunner

from tests.conftest import use_fake_models
from tests.submissions.conftest import method_source, write_submission
from w2sbench.cli import main
from w2sbench.core.errors import MethodError

CRASHES = """
    def fit(self, ctx):
        raise RuntimeError("boom")
"""
NAN = """
    def fit(self, ctx):
        return lambda batch: np.full(len(batch), np.nan)
"""


def test_a_crashing_and_a_nan_method_do_not_stop_the_others(tasks_env, tmp_path, monkeypatch, one_thread):
    use_fake_models(monkeypatch, tmp_path / "cache")
    bad = write_submission(tmp_path / "subs", "crashes", method_source("crashes", CRASHES), tracks=("offline-quick",))
    nan = write_submission(tmp_path / "subs", "gives-nan", method_source("gives-nan", NAN), tracks=("offline-quick",))
    out = CliRunner().invoke(
        main,
        [
            "run",
            "--tasks",
            "toy",
            "--pairs",
            "weak:strong",
            "--seeds",
            "0,1",
            "--methods",
            f"{bad},naive,{nan},entropy-reg",
            "--results",
            str(tmp_path / "results"),
            "--no-progress",
        ],
    )
    assert out.exit_code == MethodError.exit_code, out.output
    methods = sorted(json.loads(p.read_text())["method"]["name"] for p in (tmp_path / "results").glob("*.json"))
    assert methods == ["entropy-reg", "entropy-reg", "naive", "naive"]  # the methods after the crash ran
    assert "| toy " in out.output and "4 result records" in out.output  # the table of what completed
    assert "4 experiment(s) failed and wrote no record" in out.output
    for seed in (0, 1):
        assert (
            f"method crashes crashed on toy weak->strong crashes seed {seed}: WorkerError: submission crashes: "
            "RuntimeError: boom"
        ) in out.output
        assert f"toy weak->strong gives-nan seed {seed}: method gives-nan: predictor returned NaN" in out.output


def test_no_progress_prints_a_line_per_finished_stage(tasks_env, tmp_path, monkeypatch, one_thread):
    use_fake_models(monkeypatch, tmp_path / "cache")
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
            "--results",
            str(tmp_path / "results"),
            "--no-progress",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "w2sbench: features weak: 856 done in" in out.stderr and "w2sbench: experiments: 1 done in" in out.stderr
