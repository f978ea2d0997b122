"""`validate`: the checks an entry must pass before its records reach a board."""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path

import numpy as np

from w2sbench import __version__
from w2sbench.core.errors import HubError, W2SError
from w2sbench.core.metrics import group_index
from w2sbench.core.records import read_records, relative_name
from w2sbench.core.result import Result, record_file_name
from w2sbench.methods.api import Method
from w2sbench.models import numerics
from w2sbench.running.tracks import get_track
from w2sbench.submissions.checks import ValidateOptions, ValidationReport
from w2sbench.submissions.evaluate import isolation_mode, smoke_run, track_keys
from w2sbench.submissions.harness import (
    Harness,
    SubmissionMethod,
    _first_lines,
    _limit,
    method_session,
)
from w2sbench.submissions.history import check_history
from w2sbench.submissions.metadata import Submission, load_submission

# A re-run reproduces a record when every hard prediction (p > 0.5) is the same and every
# probability moves by at most PROB_EPS. Re-running the naive, bootstrap and aux-conf reference
# records (99 records, offline tracks) on another machine than the one that made them moved
# probabilities by at most 2.1e-5 (weak 2e-6, ceiling 4e-6) and changed no hard prediction;
# 1e-4 allows five times that and is far below anything that moves a prediction across 0.5
# (measured with studies/rerun_drift.py).
PROB_EPS = 1e-4

# ---------------------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------------------

VALIDATE_CHECKS = [
    (
        "metadata",
        "metadata.yaml follows the schema (unknown or missing fields rejected), its name is the folder's, "
        "its tracks exist, its method module exists, and no template placeholder is left",
    ),
    (
        "sandbox",
        "bubblewrap works here (else validation is refused unless --unsandboxed is given); skipped for "
        "builtin methods, which are part of the harness",
    ),
    (
        "method",
        "the class loads in the isolated worker, subclasses Method, is a registered dataclass named like "
        "the folder, accepts the metadata parameters, and runs isolated on the smoke task with valid output",
    ),
    (
        "records",
        "for each track: one record for every (task, pair, seed) of the grid, no other record files, "
        "each record intact (schema, checksum) and made by this harness with this config (its key equals "
        "the key recomputed with Workspace.experiment_key, so code, parameters, task data, rungs, training "
        "config and protocol match), by this w2sbench version, with test labels equal to the task's and "
        "scores equal to those recomputed from its predictions",
    ),
    (
        "reproduce",
        "every record re-runs (submitted code isolated, a fresh worker per experiment) and matches: the weak "
        "supervisor's and the ceiling's predictions are the harness's own (from its cache, or recomputed), and for "
        f"all three every hard prediction (p > 0.5) is identical and every probability within {PROB_EPS:g}, "
        "within the track's budget_s for the whole re-run (the entry fails past it); "
        "--skip-rerun checks the files only (a warning, for local use)",
    ),
    (
        "history",
        "compared with the merge base (git merge-base HEAD origin/main, or --base): no record of an "
        "existing entry removed or changed, and no entry removed (changes fail unless --accept-changes); "
        "skipped with a message when there is no base to compare with",
    ),
]


def validate(
    folder: Path | str, harness: Harness, options: ValidateOptions | None = None, progress=None, steps=None
) -> ValidationReport:
    """Run every check of VALIDATE_CHECKS on one submission; never modifies it. ``progress`` is
    called with each check as it finishes, ``steps`` with each record re-run (ValidationReport)."""
    options = options or ValidateOptions()
    folder = Path(folder)
    report = ValidationReport(folder.resolve().name, progress=progress, steps=steps)
    try:
        sub = load_submission(folder, harness.tracks)
    except W2SError as e:
        report.add("metadata", "fail", str(e))
        return report
    report.submission = sub.name
    left = sub.metadata.placeholders()
    if left:
        report.add(
            "metadata",
            "fail",
            f"submission {sub.name}: metadata.yaml still has the template's placeholder in {', '.join(left)}",
        )
        return report
    report.add("metadata", "pass", f"{sub.metadata.method}, tracks {', '.join(sub.metadata.tracks)}")

    if sub.builtin is not None:
        report.add("sandbox", "skip", "builtin method: part of the harness, runs in-process")
    else:
        try:
            sandbox = harness.sandbox()
        except W2SError as e:
            report.add("sandbox", "fail", f"submission {sub.name}: {e}")
            return report
        if sandbox.sandboxed:
            report.add("sandbox", "pass", sandbox.describe() + (f" ({sandbox.note})" if sandbox.note else ""))
        else:
            report.add("sandbox", "warn", f"{sandbox.describe()}: {sandbox.note}")

    records, unreadable = read_records(sub.results_dir)
    # one setting per folder (core.result's mixed-settings rule sets records of two aside)
    setting = next((r.provenance.numerics["dtype"] for r in records.values() if r.provenance.numerics), None)
    with contextlib.ExitStack() as stack:
        if setting:  # the expected keys and the re-run use the records' setting, whatever this CPU's default
            stack.enter_context(numerics.using(setting))
        ws = harness.workspace(sub.results_dir)
        try:
            start = time.perf_counter()
            method = stack.enter_context(method_session(sub, harness))
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="w2sbench-validate-")))
            smoke_run(sub, method, tmp, min(harness.time_limit_s or 120.0, 120.0))
            report.add(
                "method",
                "pass",
                f"loaded and ran on the smoke tasks in {time.perf_counter() - start:.1f} s "
                f"({isolation_mode(sub, harness)})",
            )
        except W2SError as e:
            report.add("method", "fail", str(e))
            return report
        _validate_records(report, sub, harness, method, ws, records, unreadable, options)
    check_history(report, sub, options)
    return report


def _validate_records(report, sub, harness, method, ws, records, unreadable, options) -> None:
    for path, why in unreadable:
        report.add("records", "fail", f"submission {sub.name}: {path.name}: {why}")
    expected, unreachable = {}, {}
    for track_name in sub.metadata.tracks:
        try:
            expected[track_name] = track_keys(track_name, method, harness, sub.results_dir)
        except HubError as e:
            unreachable[track_name] = get_track(track_name, harness.tracks).tasks
            report.add(
                f"records {track_name}",
                "warn",
                f"submission {sub.name}: not checked, the rows of its Hub tasks cannot be read here ({e}); "
                "give a local mirror of them with --data-dir DIR or $W2SBENCH_DATA_DIR, or run where the Hub is "
                "reachable (the submissions workflow is)",
            )
    unchecked = {t for tasks in unreachable.values() for t in tasks}
    all_expected = {k[:32] for keys in expected.values() for k in keys}
    extra = sorted(stem for stem in records if stem not in all_expected and records[stem].task.id not in unchecked)
    if extra:
        report.add(
            "records",
            "fail",
            f"submission {sub.name}: {len(extra)} record(s) not in the grid of any track it enters "
            f"(stale: other code, parameters or harness version; or foreign): {', '.join(extra[:4])}"
            f"{' ...' if len(extra) > 4 else ''}; "
            f"remove them with `w2sbench evaluate {relative_name(sub.folder)} --prune`",
        )
    pool: list[tuple[str, Result, object]] = []
    for track_name, keys in expected.items():
        problems, present = _check_track_records(sub, ws, keys, records)
        missing = len(keys) - len(present)
        if problems:
            report.add(f"records {track_name}", "fail", f"submission {sub.name}: " + "; ".join(problems[:6]))
        elif missing:
            status = "warn" if options.allow_incomplete else "fail"
            report.add(
                f"records {track_name}",
                status,
                f"submission {sub.name}: incomplete, {len(present)}/{len(keys)} records for track {track_name} "
                f"(listed as incomplete on the leaderboard, never averaged in); "
                f"finish with `{sub.reproduce_command(track_name)}`",
            )
        else:
            report.add(f"records {track_name}", "pass", f"{len(keys)}/{len(keys)} records, keys and versions match")
        pool += [(track_name, r, exp) for r, exp in present]
    _reproduce(report, sub, harness, method, pool, options)


def _check_track_records(sub: Submission, ws, keys: dict[str, object], records: dict[str, Result]):
    from w2sbench.core.example import labels_of
    from w2sbench.protocol.scoring import ids_sha256, score

    problems, present = [], []
    for key, exp in keys.items():
        r = records.get(key[:32])
        if r is None:
            continue
        label = exp.label()
        if r.key != key or r.provenance.config_hash != key:
            problems.append(f"{label}: record key differs from the recomputed experiment key")
            continue
        if r.provenance.w2sbench != __version__:
            problems.append(
                f"{label}: made by w2sbench {r.provenance.w2sbench}, this is {__version__}; re-run evaluate"
            )
            continue
        if r.provenance.regime != ws.regime.name:
            problems.append(f"{label}: regime {r.provenance.regime}, expected {ws.regime.name}")
            continue
        splits = ws.splits(exp.task, exp.seed)
        if (
            r.predictions.ids_sha256 != ids_sha256(splits.test)
            or r.predictions.labels != labels_of(splits.test).tolist()
        ):
            problems.append(f"{label}: test ids or labels differ from the task's")
            continue
        groups = group_index([e.group for e in splits.test])
        if r.predictions.groups != (None if groups is None else groups.tolist()):
            problems.append(f"{label}: test groups differ from the task's (intervals resample them); re-run evaluate")
            continue
        p = r.predictions
        labels = np.array(p.labels)
        n = len(labels)
        if not (len(p.weak) == len(p.w2s) == len(p.ceiling) == n):
            problems.append(f"{label}: prediction lengths differ from the test set's")
            continue
        redone = score(labels, np.array(p.weak), np.array(p.w2s), np.array(p.ceiling), groups)
        if not _same_scores(redone.model_dump(), r.scores.model_dump()):
            problems.append(f"{label}: scores differ from those recomputed from its predictions")
            continue
        present.append((r, exp))
    return problems, present


def _same_scores(a, b, tol: float = 1e-9) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_scores(a[k], b[k], tol) for k in a)
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(_same_scores(x, y, tol) for x, y in zip(a, b, strict=False))
        )
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return abs(float(a) - float(b)) <= tol


def _reproduce(
    report: ValidationReport,
    sub: Submission,
    harness: Harness,
    method: Method,
    pool: list[tuple[str, Result, object]],
    options: ValidateOptions,
) -> None:
    """Re-run every record in a scratch result store (the harness's own caches) and compare."""
    from w2sbench.protocol.run import run_experiment

    if not pool:
        report.add("reproduce", "skip", "no records to re-run")
        return
    if not options.rerun:
        report.add("reproduce", "warn", f"--skip-rerun: {len(pool)} record(s) not re-run; CI re-runs every record")
        return
    failures, elsewhere, start, done = [], [], time.perf_counter(), set()
    spent: dict[str, float] = {}  # track -> seconds of its re-runs so far (Track.budget_s)
    not_run: dict[str, int] = {}  # track -> records left when its budget ran out
    here = numerics.kernels()

    def made_on(r: Result) -> str:  # records without the field predate it: made on kernels like these
        return (r.provenance.numerics or {}).get("kernels", here)

    with tempfile.TemporaryDirectory(prefix="w2sbench-rerun-") as tmp:
        workspaces = {}  # track -> a workspace with its training budget, all on the scratch store
        for track_name, record, exp in pool:
            if record.key in done:  # tracks share experiments
                continue
            track = get_track(track_name, harness.tracks)
            ws = workspaces.setdefault(track_name, harness.workspace(Path(tmp), track))
            left = track.budget_s - spent.get(track_name, 0.0)
            if left <= 0:
                not_run[track_name] = not_run.get(track_name, 0) + 1
                continue
            done.add(record.key)
            if isinstance(method, SubmissionMethod):
                method.limit_s = min(_limit(track, harness), left)
            where = f"{exp.label()} (results/{record_file_name(record.key)})"
            began = time.perf_counter()
            try:
                again = run_experiment(ws, exp)
            except W2SError as e:
                failures.append(f"{where}: re-run failed: {_first_lines(e, 6)}")
                continue
            finally:
                spent[track_name] = spent.get(track_name, 0.0) + time.perf_counter() - began
            problem = mismatch(record, again)
            report.step(
                f"re-ran {len(done)} of {len(pool)}: {where}: {'differs' if problem else 'same'} "
                f"({time.perf_counter() - began:.1f} s)"
            )
            if problem and made_on(record) != here:
                elsewhere.append(f"{where}: {problem}")
            elif problem:
                failures.append(f"{where}: {problem}")
    took = f"{len(done)} record(s) re-run in {time.perf_counter() - start:.0f} s"
    if elsewhere:
        kinds = sorted({made_on(r) for _, r, _ in pool} - {here})
        report.add(
            "reproduce",
            "warn",
            f"submission {sub.name}: {len(elsewhere)} record(s) made on other kernels ({'; '.join(kinds)}) differ "
            f"when re-run here on {here}: other kernels move features in the last bits, so this neither "
            "confirms nor refutes them; re-run validate on a machine with the records' kernels (the project's "
            "CI kind) to check them bit for bit: " + "; ".join(elsewhere[:3]) + (" ..." if len(elsewhere) > 3 else ""),
        )
    if failures:
        report.add(
            "reproduce",
            "fail",
            f"submission {sub.name}: {len(failures)} of {took.replace(' re-run', '')} do not reproduce: "
            + "; ".join(failures[:6])
            + f"{' ...' if len(failures) > 6 else ''}. Records are made by `{sub.reproduce_command('TRACK')}` "
            "and never edited; re-make them with `--prune` after deleting the ones named",
        )
    over = sorted(t for t, seconds in spent.items() if seconds > get_track(t, harness.tracks).budget_s or t in not_run)
    for t in over:
        report.add(
            "reproduce",
            "fail",
            f"submission {sub.name}: track {t}: re-running its records took {spent[t]:.0f} s, past the track's "
            f"budget of {get_track(t, harness.tracks).budget_s:g} s (budget_s in w2sbench/running/tracks.yaml: "
            f"every re-run of one entry's grid together); {not_run.get(t, 0)} record(s) not re-run. An entry "
            "must re-run its whole grid within the budget",
        )
    if not failures and not over and len(elsewhere) < len(done):
        report.add(
            "reproduce",
            "pass",
            f"{took}, every prediction identical (probabilities within {PROB_EPS:g})"
            + (f" but the {len(elsewhere)} named above" if elsewhere else ""),
        )


WHOSE = {
    "weak": "the weak supervisor's predictions differ from the harness's own",
    "ceiling": "the ceiling's predictions differ from the harness's own",
    "w2s": "the method's predictions differ from its re-run",
}


def mismatch(record: Result, again: Result) -> str | None:
    """Why a record's predictions are not its re-run's (None when they are), weak and ceiling first."""
    if record.predictions.labels != again.predictions.labels:
        return "test labels differ from the re-run's"
    for m in ("weak", "ceiling", "w2s"):
        a, b = np.asarray(getattr(record.predictions, m)), np.asarray(getattr(again.predictions, m))
        if a.shape != b.shape:
            return f"{WHOSE[m]}: {a.size} predictions in the record, {b.size} in the re-run"
        flips = int(((a > 0.5) != (b > 0.5)).sum())
        worst = float(np.abs(a - b).max()) if a.size else 0.0
        if flips or worst > PROB_EPS:
            return (
                f"{WHOSE[m]}: {flips} hard prediction(s) changed, largest probability change {worst:.2g} "
                f"(allowed {PROB_EPS:g})"
            )
    return None
