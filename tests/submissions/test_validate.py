"""evaluate and validate on the toy track: resumable records, and each check catching what it names.

Pitfalls guarded (those other leaderboards' users report): "I can't reproduce the leaderboard number"
(records must carry this harness's experiment keys and re-run within tolerance), partial
coverage averaged in (mteb #5101: incomplete entries fail validation), help text promising
checks that are not done (the validate help is generated from the list of checks it runs),
and silently changed scores of existing entries (compared with the merge base).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.submissions.conftest import (
    method_source,
    needs_sandbox,
    toy_harness,
    toy_track,
    write_submission,
)
from w2sbench.cli import main
from w2sbench.core.errors import W2SError
from w2sbench.core.result import Result
from w2sbench.submissions.checks import ValidateOptions
from w2sbench.submissions.evaluate import evaluate
from w2sbench.submissions.history import removed_entries
from w2sbench.submissions.validate import VALIDATE_CHECKS, validate

TWO_SEEDS = {"toy": toy_track(seeds=(0, 1))}


def statuses(report) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def detail(report, name: str) -> str:
    return " ".join(c.detail for c in report.checks if c.name == name)


@pytest.fixture(scope="module")
def evaluated(toy_env, tmp_path_factory):
    """A submitted method and a builtin entry, evaluated once on a two-seed toy track (unsandboxed
    here so the module needs no bwrap; the sandboxed path is covered below and in the adversarial tests)."""
    _, cache = toy_env
    root = tmp_path_factory.mktemp("subs") / "submissions"
    sub = write_submission(root, "soft-tune", method_source("soft-tune"))
    base = write_submission(root, "naive-ref", builtin="naive")
    harness = toy_harness(cache, TWO_SEEDS, unsandboxed=True)
    reports = {f.name: evaluate(f, harness, show_progress=False) for f in (sub, base)}
    return root, cache, reports


def fresh_copy(evaluated, tmp_path, name="soft-tune") -> Path:
    root, _, _ = evaluated
    target = tmp_path / "submissions" / name
    shutil.copytree(root / name, target)
    return target


def run_validate(folder, cache, **options) -> object:
    harness = toy_harness(cache, TWO_SEEDS, unsandboxed=True)
    return validate(folder, harness, ValidateOptions(**options))


def test_evaluate_writes_the_grid_and_resumes(evaluated, toy_env):
    root, cache, reports = evaluated
    results = reports["soft-tune"].results["toy"]
    assert len(results) == 2 and {r.seed for r in results} == {0, 1}
    files = sorted((root / "soft-tune" / "results").glob("*.json"))
    assert [f.stem for f in files] == sorted(r.key[:32] for r in results)
    assert all(r.method.name == "soft-tune" and r.method.oracle is False for r in results)
    mtimes = [f.stat().st_mtime_ns for f in files]
    again = evaluate(root / "soft-tune", toy_harness(cache, TWO_SEEDS, unsandboxed=True), show_progress=False)
    assert [r.model_dump() for r in again.results["toy"]] == [r.model_dump() for r in results]
    assert [f.stat().st_mtime_ns for f in files] == mtimes, "finished records were rewritten"


def test_builtin_entry_keys_match_a_plain_run(evaluated, toy_env):
    """A baseline entry's records are the records `w2sbench run --methods naive` makes."""
    from tests.conftest import fake_ladder
    from w2sbench.methods.api import make_method
    from w2sbench.protocol.experiment import Experiment
    from w2sbench.tasks.task import get_task

    root, cache, reports = evaluated
    ws = toy_harness(cache, TWO_SEEDS).workspace(root / "naive-ref" / "results")
    ladder = fake_ladder()
    key = ws.experiment_key(
        Experiment(get_task("toy"), ladder, ladder.rungs[0], ladder.rungs[2], make_method("naive"), 0)
    )
    assert key in {r.key for r in reports["naive-ref"].results["toy"]}


def test_a_complete_submission_passes_every_check(evaluated, tmp_path):
    folder = fresh_copy(evaluated, tmp_path)
    report = run_validate(folder, evaluated[1])
    assert report.ok, report.checks
    assert statuses(report) == {
        "metadata": "pass",
        "sandbox": "warn",
        "method": "pass",
        "records toy": "pass",
        "reproduce": "pass",
        "history": "skip",
    }
    assert "--unsandboxed" in detail(report, "sandbox") or "UNSANDBOXED" in detail(report, "sandbox")
    assert "2 record(s) re-run" in detail(report, "reproduce")


def test_a_builtin_entry_validates_without_a_sandbox(evaluated, tmp_path):
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    report = validate(folder, toy_harness(evaluated[1], TWO_SEEDS), ValidateOptions())
    assert report.ok, report.checks
    assert statuses(report)["sandbox"] == "skip"


def test_a_track_whose_hub_rows_cannot_be_read_is_a_warning_naming_the_task(evaluated, tmp_path, monkeypatch):
    """Where the Hub is unreachable and no mirror is given, a Hub track's records are not
    checked: a warning that names the task and the way to supply its rows, never a pass, and its
    records are not called stray; the toy track is still checked in full."""
    import datasets
    import yaml

    from w2sbench.tasks.task import get_task

    local = datasets.load_dataset

    def unreachable(path, *args, **kwargs):  # shipped parquet files still load; the Hub does not
        if path == "parquet":
            return local(path, *args, **kwargs)
        raise ConnectionError("no network")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    monkeypatch.delenv("W2SBENCH_DATA_DIR", raising=False)
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    meta = yaml.safe_load((folder / "metadata.yaml").read_text())
    (folder / "metadata.yaml").write_text(yaml.safe_dump({**meta, "tracks": ["toy", "hub"]}))
    tracks = {**TWO_SEEDS, "hub": toy_track("hub").model_copy(update={"tasks": ["glue_sst2"]})}
    harness = toy_harness(evaluated[1], tracks)
    repo_tasks = Path(__file__).resolve().parents[2] / "tasks"
    toy_task = harness.task
    harness.task = lambda task_id: get_task(task_id, repo_tasks) if task_id == "glue_sst2" else toy_task(task_id)
    report = validate(folder, harness, ValidateOptions())
    assert report.ok, report.checks
    assert statuses(report)["records hub"] == "warn" and statuses(report)["records toy"] == "pass"
    assert "glue_sst2" in detail(report, "records hub") and "--data-dir" in detail(report, "records hub")


def test_incomplete_records_fail_unless_allowed(evaluated, tmp_path):
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    next(iter(sorted((folder / "results").glob("*.json")))).unlink()
    report = run_validate(folder, evaluated[1], rerun=False)
    assert not report.ok and "incomplete, 1/2 records" in detail(report, "records toy")
    assert "w2sbench evaluate submissions/naive-ref --track toy" in detail(report, "records toy")
    assert run_validate(folder, evaluated[1], rerun=False, allow_incomplete=True).ok


def _rewrite(path: Path, edit, reseal: bool) -> None:
    record = Result.model_validate_json(path.read_bytes())
    data = record.model_dump(mode="json")
    edit(data)
    record = Result.model_validate(data)
    if reseal:
        record = record.model_copy(update={"sha256": record.content_sha256()})
    path.write_text(record.model_dump_json(indent=1))


def _bump_acc(d):
    d["scores"]["acc_w2s"] = 0.99


def _perfect_predictions(d):
    """A forged record: predictions equal to the labels, scores recomputed to match."""
    import numpy as np

    from w2sbench.protocol.scoring import score

    p = d["predictions"]
    p["w2s"] = [float(x) for x in p["labels"]]
    groups = None if p.get("groups") is None else np.array(p["groups"])
    d["scores"] = score(
        np.array(p["labels"]), np.array(p["weak"]), np.array(p["w2s"]), np.array(p["ceiling"]), groups
    ).model_dump(mode="json")


@pytest.mark.parametrize(
    "edit,reseal,check,message",
    [
        (_bump_acc, False, "records", "checksum mismatch"),
        (_bump_acc, True, "records toy", "scores differ from those recomputed"),
        (lambda d: d["provenance"].update(w2sbench="0.0.1"), True, "records toy", "made by w2sbench 0.0.1"),
        (lambda d: d["predictions"]["labels"].reverse(), True, "records toy", "labels differ"),
        # groups dropped: examples resampled one by one would narrow the intervals
        (lambda d: d["predictions"].update(groups=None), True, "records toy", "test groups differ"),
        (_perfect_predictions, True, "reproduce", "do not reproduce"),
    ],
)
def test_tampered_records_are_caught(evaluated, tmp_path, edit, reseal, check, message):
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    files = sorted((folder / "results").glob("*.json"))
    for f in files:
        _rewrite(f, edit, reseal)
    report = run_validate(folder, evaluated[1])
    assert not report.ok
    assert message in detail(report, check), report.checks


def _made_on(kernels: str, dtype: str | None = None):
    from w2sbench.models import numerics

    def edit(d):
        d["provenance"]["numerics"] = {
            "dtype": dtype or numerics.current().dtype,
            "attention": "default",
            "kernels": kernels,
        }

    return edit


def test_a_record_of_other_kernels_that_differs_is_a_warning_not_a_forgery(evaluated, tmp_path):
    """Other kernels move features in the last bits: validate says so instead of "do not reproduce"."""
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    for f in sorted((folder / "results").glob("*.json")):
        _rewrite(f, lambda d: (_perfect_predictions(d), _made_on("torch 2.13.0+cpu cpu AVX2")(d)), reseal=True)
    report = run_validate(folder, evaluated[1])
    assert report.ok and statuses(report)["reproduce"] == "warn", report.checks
    assert "made on other kernels (torch 2.13.0+cpu cpu AVX2) differ when re-run here" in detail(report, "reproduce")
    assert "neither confirms nor refutes" in detail(report, "reproduce")


def test_a_record_of_this_machines_kernels_that_differs_fails(evaluated, tmp_path):
    from w2sbench.models import numerics

    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    for f in sorted((folder / "results").glob("*.json")):
        _rewrite(f, lambda d: (_perfect_predictions(d), _made_on(numerics.kernels())(d)), reseal=True)
    report = run_validate(folder, evaluated[1])
    assert not report.ok and "do not reproduce" in detail(report, "reproduce")


def test_records_of_two_numeric_settings_fail_naming_both(evaluated, tmp_path):
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    first, *rest = sorted((folder / "results").glob("*.json"))
    _rewrite(first, _made_on("k", "fp32"), reseal=True)
    for f in rest:
        _rewrite(f, _made_on("k", "bf16"), reseal=True)
    report = run_validate(folder, evaluated[1])
    assert not report.ok
    assert "trained as probe" in detail(report, "records") and " fp32, but also as probe " in detail(report, "records")


def test_changed_code_makes_records_stale(evaluated, tmp_path):
    """Editing the method (even a helper module) changes its code hash, so old records no longer count."""
    folder = fresh_copy(evaluated, tmp_path)
    (folder / "helpers.py").write_text("FACTOR = 2\n")
    report = run_validate(folder, evaluated[1], rerun=False)
    assert not report.ok
    assert "not in the grid of any track" in detail(report, "records") and "--prune" in detail(report, "records")
    pruned = evaluate(folder, toy_harness(evaluated[1], TWO_SEEDS, unsandboxed=True), prune=True, show_progress=False)
    assert len(pruned.pruned) == 2 and len(pruned.results["toy"]) == 2
    assert run_validate(folder, evaluated[1], rerun=False).ok


def test_stray_files_in_results_fail(evaluated, tmp_path):
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    (folder / "results" / "notes.txt").write_text("hi")
    report = run_validate(folder, evaluated[1], rerun=False)
    assert not report.ok and "unexpected file" in detail(report, "records")


def test_validate_refuses_without_a_sandbox_unless_told(evaluated, tmp_path, monkeypatch):
    import w2sbench.submissions.sandbox as iso

    folder = fresh_copy(evaluated, tmp_path)
    monkeypatch.setattr(iso.shutil, "which", lambda name: None)
    iso.probe_sandbox.cache_clear()
    try:
        report = validate(folder, toy_harness(evaluated[1], TWO_SEEDS), ValidateOptions(rerun=False))
        assert statuses(report) == {"metadata": "pass", "sandbox": "fail"}
        assert "bubblewrap (bwrap) is not installed" in detail(report, "sandbox")
        assert "--unsandboxed" in detail(report, "sandbox")
        with pytest.raises(W2SError, match="cannot isolate submitted code"):
            evaluate(folder, toy_harness(evaluated[1], TWO_SEEDS), show_progress=False)
    finally:
        iso.probe_sandbox.cache_clear()


@needs_sandbox
def test_sandboxed_validate_passes(evaluated, tmp_path):
    folder = fresh_copy(evaluated, tmp_path)
    report = validate(folder, toy_harness(evaluated[1], TWO_SEEDS), ValidateOptions())
    assert report.ok, report.checks
    assert statuses(report)["sandbox"] == "pass" and "bubblewrap" in detail(report, "method")


# --- history: the merge base ----------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
            "PATH": "/usr/bin:/bin",
            "HOME": str(repo),
        },
    )
    return out.stdout.strip()


@pytest.fixture
def repo(evaluated, tmp_path):
    """A git repository whose main branch holds both entries, on a PR branch."""
    root, _, _ = evaluated
    repo = tmp_path / "repo"
    shutil.copytree(root, repo / "submissions")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "entries")
    _git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    _git(repo, "checkout", "-q", "-b", "pr")
    return repo


def test_history_passes_when_records_are_untouched(repo, evaluated):
    report = run_validate(repo / "submissions" / "naive-ref", evaluated[1], rerun=False)
    assert statuses(report)["history"] == "pass" and "unchanged" in detail(report, "history")


def test_a_changed_score_of_an_existing_entry_fails_unless_accepted(repo, evaluated):
    folder = repo / "submissions" / "naive-ref"
    victim = sorted((folder / "results").glob("*.json"))[0]
    _rewrite(victim, _perfect_predictions, reseal=True)
    report = run_validate(folder, evaluated[1], rerun=False)
    assert statuses(report)["history"] == "fail"
    assert "1 changed" in detail(report, "history") and "PGR" in detail(report, "history")
    accepted = run_validate(folder, evaluated[1], rerun=False, accept_changes=True)
    assert statuses(accepted)["history"] == "warn"


def test_a_removed_entry_fails_the_repository_check(repo):
    shutil.rmtree(repo / "submissions" / "naive-ref")
    check = removed_entries(repo / "submissions", ValidateOptions())
    assert check.status == "fail" and "naive-ref" in check.detail
    assert removed_entries(repo / "submissions", ValidateOptions(accept_changes=True)).status == "warn"


def test_history_is_skipped_with_a_message_without_origin(evaluated, tmp_path):
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    _git(tmp_path, "init", "-q")
    report = run_validate(folder, evaluated[1], rerun=False)
    assert statuses(report)["history"] == "skip" and "origin/main" in detail(report, "history")


# --- the command -----------------------------------------------------------------------------


def test_validate_help_lists_exactly_the_checks_it_runs():
    out = CliRunner().invoke(main, ["validate", "--help"])
    assert out.exit_code == 0
    for name, _ in VALIDATE_CHECKS:
        assert f". {name}:" in out.output
    assert "--unsandboxed" in out.output and "--accept-changes" in out.output


def test_validate_cli_json_and_exit_status(evaluated, tmp_path, monkeypatch):
    import w2sbench.cli.submissions as cmd

    monkeypatch.setattr(
        cmd,
        "_harness",
        lambda cache, unsandboxed, limit, extra=(), data_dir=None: toy_harness(
            evaluated[1], TWO_SEEDS, unsandboxed=unsandboxed, time_limit_s=limit
        ),
    )
    good = fresh_copy(evaluated, tmp_path)
    out = CliRunner().invoke(main, ["validate", str(good), "--unsandboxed", "--json"])
    assert out.exit_code == 0, out.output
    parsed = json.loads(out.stdout)  # stdout is the JSON alone; the stage lines go to stderr
    assert "w2sbench validate: soft-tune (1 of 1)" in out.stderr
    assert " s  soft-tune: [pass] metadata" in out.stderr and "soft-tune: [pass] reproduce" in out.stderr
    assert parsed["ok"] and parsed["submissions"][0]["name"] == "soft-tune"
    next(iter((good / "results").glob("*.json"))).unlink()
    out = CliRunner().invoke(main, ["validate", str(good), "--unsandboxed", "--skip-rerun"])
    assert out.exit_code == 1 and "soft-tune: FAILED" in out.output and "incomplete" in out.output


def test_validate_tells_each_record_it_re_runs(evaluated, tmp_path):
    folder = fresh_copy(evaluated, tmp_path, "naive-ref")
    told = []
    report = validate(
        folder,
        toy_harness(evaluated[1], TWO_SEEDS),
        ValidateOptions(),
        steps=lambda sub, text: told.append((sub, text)),
    )
    assert report.ok, report.checks
    assert [t.split(":")[0] for _, t in told] == ["re-ran 1 of 2", "re-ran 2 of 2"]
    assert all(sub == "naive-ref" and "same" in t and "results/" in t for sub, t in told)


def test_a_tracks_own_budget_trains_every_head_and_validate_re_runs_with_it(evaluated, tmp_path):
    """Track.train: evaluate trains the supervisors, ceilings and students with the track's budget
    (in every record and key), a submitted method's worker too, and validate re-runs with it."""
    from w2sbench.running.tracks import TrackBudget

    _, cache, reports = evaluated
    budget = TrackBudget(epochs=3, lr=3e-4, weight_decay=0.01)
    tracks = {"toy": TWO_SEEDS["toy"].model_copy(update={"train": budget})}
    harness = toy_harness(cache, tracks, unsandboxed=True)
    for name in ("soft-tune", "naive-ref"):
        folder = fresh_copy(evaluated, tmp_path, name)
        shutil.rmtree(folder / "results")
        results = evaluate(folder, harness, show_progress=False).results["toy"]
        assert {(r.provenance.budget["epochs"], r.provenance.budget["lr"]) for r in results} == {(3, 3e-4)}
        assert not {r.key for r in results} & {r.key for r in reports[name].results["toy"]}  # the budget is keyed
        report = validate(folder, harness, ValidateOptions())
        assert report.ok, report.checks
        assert "2 record(s) re-run" in detail(report, "reproduce")
        assert not validate(folder, toy_harness(cache, TWO_SEEDS, unsandboxed=True), ValidateOptions()).ok
