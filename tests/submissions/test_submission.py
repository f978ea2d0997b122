"""Submission folders: the metadata schema, tracks, new-method, and mock-run's clear failures.

Pitfalls guarded (met in other harnesses): untyped config (metadata is a strict schema that
rejects unknown fields, as MTEB's TaskMetadata), unclear submission instructions (mock-run
gives one actionable line naming the submission and the problem), and tracks whose grid
silently changes (tracks pin their tasks).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.submissions.conftest import (
    HAS_SANDBOX,
    method_source,
    needs_sandbox,
    toy_track,
    write_submission,
)
from w2sbench.cli import main
from w2sbench.core.errors import W2SError
from w2sbench.running.tracks import all_tracks, default_tracks
from w2sbench.submissions.evaluate import mock_run
from w2sbench.submissions.metadata import load_metadata, load_submission
from w2sbench.submissions.scaffold import new_method

TRACKS = {"toy": toy_track()}


# --- metadata ------------------------------------------------------------------------------


def test_valid_metadata_loads(tmp_path):
    folder = write_submission(tmp_path, "good-one")
    sub = load_submission(folder, TRACKS)
    assert sub.name == "good-one" and sub.metadata.method == "method.py:GoodOne"
    assert sub.module_and_class() == ("method.py", "GoodOne")


@pytest.mark.parametrize(
    "change,message",
    [
        ({"drop": ("licence",)}, "missing field 'licence'"),
        ({"extra": {"homepage": "x"}}, "unknown field 'homepage'"),
        ({"extra": {"paper": "javascript:alert(1)"}}, "paper: .*http"),
        ({"extra": {"authors": []}}, "authors"),
        ({"extra": {"method": "method.py"}}, "method"),
        ({"extra": {"tracks": ["toy", "toy"]}}, "listed twice"),
    ],
)
def test_bad_metadata_names_the_file_and_the_field(tmp_path, change, message):
    folder = write_submission(tmp_path, "bad-meta", **change)
    with pytest.raises(W2SError, match=message) as e:
        load_submission(folder, TRACKS)
    assert "bad-meta/metadata.yaml" in str(e.value)


def test_name_must_match_the_folder_and_tracks_must_exist(tmp_path):
    folder = write_submission(tmp_path, "folder-a", extra={"name": "other-name"})
    with pytest.raises(W2SError, match="must equal the folder name"):
        load_submission(folder, TRACKS)
    folder = write_submission(tmp_path, "folder-b", tracks=("toi",))
    with pytest.raises(W2SError, match="unknown track 'toi'. Did you mean: toy"):
        load_submission(folder, TRACKS)
    folder = write_submission(tmp_path, "folder-c", extra={"method": "missing.py:Foo"})
    with pytest.raises(W2SError, match="method module 'missing.py' not found"):
        load_submission(folder, TRACKS)


def test_missing_metadata_says_how_to_make_one(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(W2SError, match="w2sbench new-method"):
        load_metadata(tmp_path / "empty")


def test_packaged_tracks_are_valid_and_pin_their_grid():
    from w2sbench.models.ladder import get_ladder
    from w2sbench.tasks.task import load_task_file

    tracks = all_tracks()
    assert set(default_tracks()) <= set(tracks)
    root = Path(__file__).resolve().parents[2]
    for t in tracks.values():
        ladder = get_ladder(t.ladder)
        for weak, strong in t.pair_names():
            supervisor = ladder.supervisor(weak)
            assert supervisor.name == weak  # records name an ensemble in ladder order; the cell must match
            assert ladder.position(supervisor) < ladder.position(ladder.rung(strong))
        for task_id in t.tasks:  # pinned task ids exist and belong to the named suite
            task = load_task_file(root / "tasks" / f"{task_id}.yaml")
            assert t.suite in task.suites
            assert not t.private or task.private is not None, f"private track {t.name}: {task_id} has no private draw"
        assert len(t.experiments()) == len(t.tasks) * len(t.pairs) * len(t.seeds)
        if t.private:  # its board reads the maintainers' records: they must be committed for the current draw
            split = json.loads((root / "leaderboard" / "private" / t.name / "split.json").read_text())["tasks"]
            assert set(split) == set(t.tasks)
    budgets: dict[tuple[str, str], set] = {}  # one budget per task and ladder: an entry's folder pools them
    for t in tracks.values():
        for task_id in t.tasks:
            budgets.setdefault((task_id, t.ladder), set()).add(t.train_config())
    assert {k: v for k, v in budgets.items() if len(v) > 1} == {}


# --- new-method ------------------------------------------------------------------------------


def test_new_method_writes_a_loadable_folder_with_placeholders_flagged(tmp_path):
    out = CliRunner().invoke(main, ["new-method", "my-idea", "--root", str(tmp_path)])
    assert out.exit_code == 0, out.output
    folder = tmp_path / "my-idea"
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.yaml", "method.py", "test_my_idea.py"]
    sub = load_submission(folder)
    assert sub.metadata.method == "method.py:MyIdea" and sub.metadata.tracks == default_tracks()
    assert sub.metadata.placeholders() == ["authors", "contact"]
    assert 'name = "my-idea"' in (folder / "method.py").read_text()
    assert "w2sbench mock-run" in out.output


@pytest.mark.parametrize(
    "name,message",
    [
        ("Bad_Name", "not a valid submission name"),
        ("naive", "builtin method"),
        ("x", "not a valid"),
    ],
)
def test_new_method_rejects_bad_names(tmp_path, name, message):
    with pytest.raises(W2SError, match=message):
        new_method(name, tmp_path)


def test_new_method_never_overwrites(tmp_path):
    new_method("taken", tmp_path)
    with pytest.raises(W2SError, match="already exists"):
        new_method("taken", tmp_path)


# --- mock-run --------------------------------------------------------------------------------


def _filled_template(tmp_path) -> Path:
    new_method("fresh-idea", tmp_path)
    folder = tmp_path / "fresh-idea"
    meta = yaml.safe_load((folder / "metadata.yaml").read_text())
    meta.update(authors=["A. Researcher"], contact="a@example.org")
    (folder / "metadata.yaml").write_text(yaml.safe_dump(meta))
    return folder


def test_mock_run_of_the_template_takes_seconds_and_is_labelled_a_smoke_test(tmp_path):
    folder = _filled_template(tmp_path)
    start = time.perf_counter()
    out = CliRunner().invoke(main, ["mock-run", str(folder)])
    elapsed = time.perf_counter() - start
    assert out.exit_code == 0, out.output
    assert "SMOKE TEST" in out.output and "not a result" in out.output
    assert "smoke_sentiment" in out.output and "smoke_pairs" in out.output
    assert ("bubblewrap sandbox" in out.output) == HAS_SANDBOX
    assert elapsed < 90, f"mock-run took {elapsed:.0f} s"  # seconds on an idle CPU; generous for shared CI
    assert not (folder / "results").exists(), "a mock run must never write results into the submission"


def test_mock_run_of_a_builtin_entry(tmp_path):
    folder = write_submission(tmp_path, "naive-copy", builtin="naive", parameters={"hard": True})
    report = mock_run(folder, tracks=TRACKS)
    assert report.sandbox.startswith("builtin")
    assert {r.method.params["hard"] for r in report.results} == {True}


BAD = {
    "syntax": ("def broken(:\n", r"method.py: not valid Python \(SyntaxError"),
    "not-registered": (method_source("not-registered").replace("@register\n", ""), "not registered.*@register"),
    "wrong-name": (
        method_source("wrong-name").replace('name = "wrong-name"', 'name = "other"'),
        "must be the submission's name 'wrong-name'",
    ),
    "no-fit": (method_source("no-fit", body="pass\n"), "does not implement fit"),
    "crash": (
        method_source("crash", body="def fit(self, ctx):\n    raise RuntimeError('boom')\n"),
        "crashed on smoke_.*RuntimeError: boom",
    ),
    "nan": (
        method_source("nan", body="def fit(self, ctx):\n    return lambda inputs: np.full(len(inputs), np.nan)\n"),
        "NaN or infinite",
    ),
    "range": (
        method_source("range", body="def fit(self, ctx):\n    return lambda inputs: np.full(len(inputs), 1.5)\n"),
        r"outside \[0, 1\]",
    ),
    "shape": (
        method_source("shape", body="def fit(self, ctx):\n    return lambda inputs: np.zeros((len(inputs), 2))\n"),
        r"shape \(200, 2\), expected \(200,\)",
    ),
    "not-callable": (method_source("not-callable", body="def fit(self, ctx):\n    return 3\n"), "expected a predictor"),
    "bad-param": (method_source("bad-param", fields="alpha: float = 1.0\n"), "not fields of BadParam"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_method_is_one_clear_failure_naming_the_submission(tmp_path, name):
    source, message = BAD[name]
    params = {"beta": 2} if name == "bad-param" else None
    folder = write_submission(tmp_path, name, source, parameters=params)
    with pytest.raises(W2SError, match=message) as e:
        mock_run(folder, tracks=TRACKS, time_limit_s=60)
    assert f"submission {name}" in str(e.value)


def test_a_hanging_method_is_killed_at_its_time_limit(tmp_path):
    body = "def fit(self, ctx):\n    import time\n    time.sleep(600)\n"
    folder = write_submission(tmp_path, "hangs", method_source("hangs", body=body))
    start = time.perf_counter()
    with pytest.raises(W2SError, match="submission hangs.*time limit of 3 s.*killed"):
        mock_run(folder, tracks=TRACKS, time_limit_s=3)
    assert time.perf_counter() - start < 120


def test_mock_run_cli_prints_one_line_errors(tmp_path):
    folder = write_submission(tmp_path, "crash", BAD["crash"][0], tracks=tuple(default_tracks()))
    out = CliRunner().invoke(main, ["mock-run", str(folder)])
    assert out.exit_code == 5  # MethodError: the method crashed
    assert out.output.startswith("error: submission crash:") and "boom" in out.output


@needs_sandbox
def test_mock_run_can_require_the_sandbox(tmp_path):
    folder = _filled_template(tmp_path)
    report = mock_run(folder, require_sandbox=True)
    assert "bubblewrap" in report.sandbox
