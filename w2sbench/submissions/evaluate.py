"""`mock-run` (the smoke tasks) and `evaluate` (a track's grid, records written)."""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from w2sbench.core.errors import SubmissionError
from w2sbench.core.result import Result
from w2sbench.methods.api import Method
from w2sbench.running.tracks import Track, all_tracks, get_track
from w2sbench.submissions.harness import (
    Harness,
    SubmissionMethod,
    _limit,
    _run_grid,
    method_session,
    track_grid,
)
from w2sbench.submissions.metadata import Submission, load_submission

# ---------------------------------------------------------------------------------------------
# mock-run, evaluate
# ---------------------------------------------------------------------------------------------


@dataclass
class MockReport:
    submission: str
    results: list[Result]
    seconds: float
    sandbox: str

    def table(self) -> str:
        from w2sbench.reporting.report import summarize, summary_table
        from w2sbench.submissions.smoke import SMOKE_LABEL

        return f"{SMOKE_LABEL}\n\n{summary_table(summarize(self.results))}"


def mock_run(
    folder: Path | str,
    unsandboxed: bool = False,
    require_sandbox: bool = False,
    time_limit_s: float = 120.0,
    seeds: tuple[int, ...] = (0,),
    tracks: dict[str, Track] | None = None,
) -> MockReport:
    """Run the submission on the smoke tasks and hashing rungs (w2sbench.submissions.smoke) in seconds.

    Checks what a real run checks (metadata, the class, the worker, the predictions) and
    returns the smoke records; they are written to a temporary folder and never kept.
    Without bubblewrap it falls back to a plain worker process (and says so) unless
    ``require_sandbox``.
    """
    start = time.perf_counter()
    sub = load_submission(folder, tracks)
    with tempfile.TemporaryDirectory(prefix="w2sbench-mock-") as tmp:
        harness = Harness(
            Path(tmp) / "cache",
            tracks=tracks or all_tracks(),
            unsandboxed=unsandboxed,
            sandbox_mode="require" if require_sandbox else "auto",
            time_limit_s=time_limit_s,
            threads=1,
        )
        with method_session(sub, harness) as method:
            results = smoke_run(sub, method, Path(tmp), time_limit_s, seeds)
        mode = isolation_mode(sub, harness)
    return MockReport(sub.name, results, time.perf_counter() - start, mode)


def isolation_mode(sub: Submission, harness: Harness) -> str:
    if sub.builtin:
        return "builtin (in-process)"
    sandbox = harness.sandbox()
    return sandbox.describe() + (f"; {sandbox.note}" if sandbox.note else "")


def smoke_run(
    sub: Submission, method: Method, tmp: Path, time_limit_s: float, seeds: tuple[int, ...] = (0,)
) -> list[Result]:
    """The smoke grid (two generated tasks, weak -> strong hashing rungs) for a ready method."""
    import torch

    from w2sbench.running.grid import Grid
    from w2sbench.submissions.smoke import SmokeWorkspace, smoke_ladder, smoke_tasks

    ws = SmokeWorkspace(Path(tmp) / "smoke-cache", Path(tmp) / "smoke-results")
    ladder = smoke_ladder()
    grid = Grid(
        [d.task for d in smoke_tasks().values()], ladder, [(ladder.rungs[0], ladder.rungs[-1])], [method], list(seeds)
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny heads: one thread is fastest
    saved = (getattr(method, "limit_s", None), getattr(method, "threads", None))
    if isinstance(method, SubmissionMethod):
        method.limit_s, method.threads = time_limit_s, 1
    try:
        return _run_grid(ws, grid, sub, show_progress=False)
    finally:
        torch.set_num_threads(threads)
        if isinstance(method, SubmissionMethod):
            method.limit_s, method.threads = saved


def track_keys(name: str, method: Method, harness: Harness, results_dir: Path) -> dict[str, object]:
    """One track's grid: experiment key -> the experiment (keyed with the track's training budget)."""
    track = get_track(name, harness.tracks)
    ws = harness.workspace(results_dir, track)
    return {ws.experiment_key(exp): exp for exp in track_grid(track, method, harness).experiments()}


def expected_keys(sub: Submission, method: Method, harness: Harness) -> dict[str, dict]:
    """For each track the entry enters: experiment key -> the experiment, for its whole grid."""
    return {name: track_keys(name, method, harness, sub.results_dir) for name in sub.metadata.tracks}


@dataclass
class EvaluateReport:
    submission: str
    results: dict[str, list[Result]]
    pruned: list[Path]
    stale: list[Path]
    reused: int = 0

    def record_count(self) -> int:
        """Distinct records: tracks share experiments (offline-quick's 9 are among offline-embedded's 27)."""
        return len({r.key for results in self.results.values() for r in results})


def adopt_records(ws, keys, folders: list[Path]) -> int:
    """Copy into the entry's results the records of these experiment keys that another run made
    (`w2sbench run --methods FOLDER` writes them under --results). A record is adopted only when
    its key is the one this grid expects (same task version, data, pair, seed, method code and
    parameters, regime and numeric setting), and read without changing its folder; validate re-runs
    it like any other. Returns how many were adopted."""
    from w2sbench.core.records import read_records

    wanted = {k[:32]: k for k in keys if ws.results.read(k) is None}
    adopted = 0
    for folder in folders:
        records, _ = read_records(Path(folder))
        for stem, record in records.items():
            if wanted.get(stem) == record.key:
                ws.results.write(record)
                del wanted[stem]
                adopted += 1
    return adopted


def evaluate(
    folder: Path | str,
    harness: Harness,
    track_names: list[str] | None = None,
    prune: bool = False,
    show_progress: bool = True,
    reuse: tuple[Path, ...] = (),
) -> EvaluateReport:
    """Run the required grid of each track (default: the tracks in metadata.yaml) and write the
    records into the submission's results/. Finished records are read back, never recomputed;
    ``reuse`` folders (a `run --methods` results folder) give records of identical experiments.
    Without progress bars a line per finished stage and per track goes to stderr."""
    sub = load_submission(folder, harness.tracks)
    names = track_names or sub.metadata.tracks
    for n in names:
        if n not in sub.metadata.tracks:
            raise SubmissionError(
                f"submission {sub.name}: track {n!r} is not in metadata.yaml's tracks {sub.metadata.tracks}; "
                "add it there first"
            )
    results: dict[str, list[Result]] = {}
    reused = 0
    with method_session(sub, harness) as method:
        for n in names:
            start = time.perf_counter()
            track = get_track(n, harness.tracks)
            ws = harness.workspace(sub.results_dir, track)
            if isinstance(method, SubmissionMethod):
                method.limit_s = _limit(track, harness)
            grid = track_grid(track, method, harness)
            reused += adopt_records(ws, [ws.experiment_key(e) for e in grid.experiments()], list(reuse))
            results[n] = _run_grid(ws, grid, sub, show_progress, stage_lines=not show_progress)
            if not show_progress:
                print(
                    f"w2sbench: evaluate {sub.name}: track {n}: {len(results[n])} records in "
                    f"{time.perf_counter() - start:.1f} s",
                    file=sys.stderr,
                )
        expected = {k for keys in expected_keys(sub, method, harness).values() for k in keys}
    stale = [p for p in sorted(sub.results_dir.glob("*.json")) if p.stem not in {k[:32] for k in expected}]
    pruned = []
    if prune:
        for p in stale:
            p.unlink()
            pruned.append(p)
        stale = []
    return EvaluateReport(sub.name, results, pruned, stale, reused)
