"""Submissions: the metadata schema, tracks, running a submitted method, and validating an entry.

A submission is a folder ``submissions/NAME/`` holding

- ``metadata.yaml`` (schema :class:`Metadata`, unknown fields rejected);
- the method: a module with a Method subclass registered under NAME (``method: FILE.py:Class``),
  or, for the reference methods, a builtin (``method: builtin:naive``);
- ``results/*.json``: the result records ``w2sbench evaluate`` wrote for the grid of each
  track the entry enters.

Submitted code never runs in the harness process: a :class:`SubmissionMethod` stands in for
it, and each method call goes to a worker process (w2sbench.submissions.isolation) that receives only
what the method API allows. Builtin methods are part of the harness and run in-process.

A submitted method's identity (part of every experiment key) is its registered name, its
parameters, whether it is an oracle, and a hash of the submission's code: every ``*.py`` file
of the folder except tests (``test_*.py``, ``*_test.py``, ``conftest.py``), so editing a
helper module invalidates the records just as editing the class does.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import re
import secrets
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from w2sbench import __version__
from w2sbench.core.errors import W2SError, unknown_name
from w2sbench.models.ladder import Ladder
from w2sbench.methods.api import Method, make_method
from w2sbench.core.result import Result

NAME_PATTERN = r"^[a-z][a-z0-9-]{1,39}$"
METHOD_PATTERN = r"^(builtin:[a-z0-9_.-]+|[A-Za-z0-9_./-]+\.py:[A-Za-z_][A-Za-z0-9_]*)$"
PLACEHOLDERS = {"authors": ["Your Name"], "contact": "you@example.org"}
# A re-run reproduces a record when each accuracy moves by at most this much (one test
# example in a hundred) and the mean absolute change of the method's probabilities is at most this.
TOLERANCE = 0.01


# ---------------------------------------------------------------------------------------------
# Schemas
# ---------------------------------------------------------------------------------------------


class Metadata(BaseModel):
    """``submissions/NAME/metadata.yaml``. Every field is required except ``paper`` (null allowed)
    and ``parameters``; unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, description="the folder's name; a submitted class registers under it")
    authors: list[str] = Field(min_length=1)
    description: str = Field(min_length=10, description="what the method does, in a few sentences")
    paper: str | None = Field(description="http(s) link to the paper or write-up, or null")
    licence: str = Field(min_length=2, description="licence of the code in the folder (e.g. MIT)")
    method: str = Field(pattern=METHOD_PATTERN, description="FILE.py:Class in the folder, or builtin:NAME")
    parameters: dict[str, Any] = Field(default_factory=dict, description="values of the method's dataclass fields")
    contact: str = Field(min_length=3, description="an email address or a URL")
    tracks: list[str] = Field(min_length=1, description="the tracks the entry enters (w2sbench/tracks.yaml)")

    @field_validator("paper")
    @classmethod
    def _http(cls, v):
        if v is not None and not re.match(r"^https?://[^\s<>\"']+$", v):
            raise ValueError("must be an http(s) link or null")
        return v

    @field_validator("authors")
    @classmethod
    def _authors(cls, v):
        if any(not a.strip() for a in v):
            raise ValueError("author names must not be empty")
        return v

    @field_validator("tracks")
    @classmethod
    def _unique(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("a track is listed twice")
        return v

    @property
    def builtin(self) -> str | None:
        return self.method.removeprefix("builtin:") if self.method.startswith("builtin:") else None

    def placeholders(self) -> list[str]:
        """Fields still holding the new-method template's placeholder values."""
        return [k for k, v in PLACEHOLDERS.items() if getattr(self, k) == v]


class Track(BaseModel):
    """One leaderboard's grid: a suite's tasks (pinned), a ladder, rung pairs and seeds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    title: str
    status: Literal["main", "provisional"]
    description: str
    suite: str
    tasks: list[str] = Field(min_length=1)
    ladder: str
    pairs: list[str] = Field(min_length=1, description="weak:strong rung names")
    seeds: list[int] = Field(min_length=1)
    time_limit_s: float = Field(600, gt=0, description="limit on one method call (fit and predict)")

    @field_validator("pairs")
    @classmethod
    def _pairs(cls, v):
        for p in v:
            if p.count(":") != 1:
                raise ValueError(f"{p!r} is not weak:strong")
        return v

    def pair_names(self) -> list[tuple[str, str]]:
        return [tuple(p.split(":")) for p in self.pairs]

    def cells(self) -> list[tuple[str, str, str, int]]:
        """(task, weak, strong, seed) for every experiment of the grid, in grid order."""
        return [(t, w, s, seed) for t in self.tasks for (w, s) in self.pair_names() for seed in self.seeds]


class _TrackFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default_tracks: list[str]
    tracks: list[Track]


@lru_cache(maxsize=1)
def _track_file() -> _TrackFile:
    text = (resources.files("w2sbench") / "tracks.yaml").read_text()
    try:
        parsed = _TrackFile.model_validate(yaml.safe_load(text))
    except ValidationError as e:
        raise W2SError(f"w2sbench/tracks.yaml: invalid: {_problems(e)}") from None
    names = [t.name for t in parsed.tracks]
    if len(set(names)) != len(names):
        raise W2SError("w2sbench/tracks.yaml: a track name is used twice")
    return parsed


def all_tracks() -> dict[str, Track]:
    return {t.name: t for t in _track_file().tracks}


def default_tracks() -> list[str]:
    return list(_track_file().default_tracks)


def get_track(name: str, tracks: dict[str, Track] | None = None) -> Track:
    tracks = all_tracks() if tracks is None else tracks
    if name not in tracks:
        raise unknown_name("track", name, tracks)
    return tracks[name]


def _problems(e: ValidationError) -> str:
    out = []
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        if err["type"] == "extra_forbidden":
            out.append(f"unknown field {where!r}")
        elif err["type"] == "missing":
            out.append(f"missing field {where!r}")
        else:
            out.append(f"{where}: {err['msg']}")
    return "; ".join(out)


# ---------------------------------------------------------------------------------------------
# Loading a submission
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    folder: Path
    metadata: Metadata

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def results_dir(self) -> Path:
        return self.folder / "results"

    @property
    def builtin(self) -> str | None:
        return self.metadata.builtin

    def module_and_class(self) -> tuple[str, str]:
        path, _, cls = self.metadata.method.rpartition(":")
        return path, cls

    def code_files(self) -> list[Path]:
        """The submission's code: every .py file except tests, results and hidden folders."""
        files = []
        for p in sorted(self.folder.rglob("*.py")):
            rel = p.relative_to(self.folder)
            if any(part.startswith(".") or part in ("results", "__pycache__") for part in rel.parts):
                continue
            if rel.name.startswith("test_") or rel.name.endswith("_test.py") or rel.name == "conftest.py":
                continue
            files.append(p)
        return files

    def code_hash(self) -> str:
        h = hashlib.sha256()
        for p in self.code_files():
            h.update(p.relative_to(self.folder).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
        return h.hexdigest()[:16]

    def reproduce_command(self, track: str) -> str:
        return f"w2sbench evaluate submissions/{self.name} --track {track}"


def load_metadata(folder: Path) -> Metadata:
    """Parse and validate metadata.yaml; every problem names the file and the field."""
    path = Path(folder) / "metadata.yaml"
    if not path.exists():
        raise W2SError(f"{path}: missing (every submission needs metadata.yaml; `w2sbench new-method NAME` writes one)")
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise W2SError(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise W2SError(f"{path}: expected a mapping of fields, got {type(raw).__name__}")
    try:
        return Metadata.model_validate(raw)
    except ValidationError as e:
        raise W2SError(f"{path}: {_problems(e)} (fields: {', '.join(Metadata.model_fields)})") from None


def load_submission(folder: Path | str, tracks: dict[str, Track] | None = None) -> Submission:
    """A submission folder, checked: metadata schema, name = folder name, known tracks, the module exists."""
    folder = Path(folder)
    if not folder.is_dir():
        raise W2SError(f"{folder}: no such submission folder")
    meta = load_metadata(folder)
    sub = Submission(folder.resolve(), meta)
    where = f"submission {meta.name} ({folder / 'metadata.yaml'})"
    if meta.name != folder.resolve().name:
        raise W2SError(f"{where}: name {meta.name!r} must equal the folder name {folder.resolve().name!r}")
    known = all_tracks() if tracks is None else tracks
    for t in meta.tracks:
        if t not in known:
            raise W2SError(f"{where}: {unknown_name('track', t, known)}")
    if meta.builtin is None:
        module, _ = sub.module_and_class()
        target = (folder / module).resolve()
        if not target.is_file() or not _inside(target, sub.folder):
            raise W2SError(f"{where}: method module {module!r} not found in the folder")
    return sub


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def list_submissions(root: Path) -> list[Path]:
    """The submission folders under root (every folder holding metadata.yaml), sorted."""
    root = Path(root)
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "metadata.yaml").exists()) if root.is_dir() else []


# ---------------------------------------------------------------------------------------------
# The harness a submission runs in
# ---------------------------------------------------------------------------------------------


@dataclass
class Harness:
    """Everything that decides how a submission runs: caches, registries, sandbox, limits.

    The defaults are the real ones; tests substitute a fake ladder and encoder.
    """

    cache_dir: Path
    tracks: dict[str, Track] = field(default_factory=all_tracks)
    ladder: Callable[[str], Ladder] = None
    task: Callable = None
    encoder_factory: Callable = None
    unsandboxed: bool = False
    sandbox_mode: Literal["require", "auto"] = "require"
    time_limit_s: float | None = None  # overrides the track's limit
    startup_limit_s: float = 300.0
    threads: int | None = None
    extra_forbidden: tuple[Path, ...] = ()
    _sandbox: object = field(default=None, init=False, repr=False)

    def __post_init__(self):
        from w2sbench.models.encoder import encoder_for
        from w2sbench.models.ladder import get_ladder
        from w2sbench.tasks.task import get_task

        self.cache_dir = Path(self.cache_dir)
        self.ladder = self.ladder or get_ladder
        self.task = self.task or get_task
        self.encoder_factory = self.encoder_factory or encoder_for

    def workspace(self, results_dir: Path):
        from w2sbench.protocol.experiment import Workspace

        return Workspace(self.cache_dir, results_dir, encoder_factory=self.encoder_factory)

    def forbidden(self) -> tuple[str, ...]:
        from w2sbench.core.paths import tasks_dir

        paths = [self.cache_dir, tasks_dir(), *self.extra_forbidden]
        return tuple(sorted(str(Path(p).resolve()) for p in paths))

    def sandbox(self):
        """The sandbox submitted code runs in (probed once); see isolation.choose_sandbox."""
        from w2sbench.submissions.isolation import Sandbox, choose_sandbox, probe_sandbox

        if self._sandbox is None:
            if self.unsandboxed:
                self._sandbox = choose_sandbox(True, self.forbidden())
            elif self.sandbox_mode == "auto":
                found = probe_sandbox(self.forbidden())
                self._sandbox = found if isinstance(found, Sandbox) else Sandbox(
                    "process", forbidden=self.forbidden(), note=f"no sandbox: {found}")
            else:
                self._sandbox = choose_sandbox(False, self.forbidden())
        return self._sandbox

    def torch_threads(self) -> int:
        if self.threads:
            return self.threads
        import torch

        return torch.get_num_threads()


class SubmissionMethod(Method):
    """A submitted method as the harness sees it: identity from the worker and the code hash,
    and a fit that runs in the worker and returns the worker's test predictions."""

    def __init__(self, sub: Submission, worker, identity, code_hash: str, spec, limit_s: float, threads: int):
        self.submission = sub
        self.worker = worker
        self.name = identity.name
        self.oracle = identity.oracle
        self.citation = identity.citation
        self._params = dict(identity.params)
        self._code_hash = code_hash
        self.spec = spec
        self.limit_s = limit_s
        self.threads = threads

    def params(self) -> dict:
        return dict(self._params)

    def identity(self) -> dict:
        return {"name": self.name, "params": self.params(), "code_hash": self._code_hash, "oracle": self.oracle}

    def fit(self, ctx):
        from w2sbench.submissions.isolation import fit_job
        from w2sbench.models.probe import Student

        if not isinstance(ctx.student, Student):
            raise W2SError(f"submission {self.submission.name}: submitted methods run isolated in the probe regime "
                           f"only (features are shipped to the worker); got a {type(ctx.student).__name__}")
        job = fit_job(ctx, self.spec, self.oracle, self.threads)
        reply = self.worker.call("fit", job, self.limit_s, what=f"submission {self.submission.name}")
        shape = tuple(reply.shape or ())
        values = np.asarray(reply.values or [], dtype=np.float64)
        if int(np.prod(shape)) != values.size:
            raise ValueError(f"the worker reported shape {shape} for {values.size} values")
        return _Answered(ctx.unlabeled, values.reshape(shape))


class _Answered:
    """The predictor handed back to the protocol: the worker's answer for the test inputs."""

    def __init__(self, inputs, probs: np.ndarray):
        self._ids, self._probs = inputs.ids, probs

    def __call__(self, inputs):
        if inputs.ids != self._ids:
            raise ValueError("an isolated method answers for the test inputs only")
        return self._probs


@contextlib.contextmanager
def method_session(sub: Submission, harness: Harness) -> Iterator[Method]:
    """The submission's method, ready to run: a builtin instance, or a proxy with a live worker."""
    if sub.builtin is not None:
        try:
            method = make_method(sub.builtin, sub.metadata.parameters)
        except W2SError as e:
            raise W2SError(f"submission {sub.name}: {e}") from None
        yield method
        return
    from w2sbench.submissions.isolation import Identity, MethodSpec, Worker, WorkerError, stage_code

    sandbox = harness.sandbox()
    with tempfile.TemporaryDirectory(prefix="w2sbench-sub-") as tmp:
        stage = stage_code(sub.folder, Path(tmp) / "code")
        module, class_name = sub.module_and_class()
        worker = Worker(sandbox, stage, harness.startup_limit_s)
        spec = MethodSpec(f"{worker.code_root}/{module}", class_name, sub.name, dict(sub.metadata.parameters))
        with worker:
            try:
                reply = worker.call("describe", spec, harness.time_limit_s or 300.0, what=f"submission {sub.name}")
                identity = Identity.model_validate(reply.identity)
            except (WorkerError, ValidationError) as e:
                raise W2SError(f"submission {sub.name}: the method class does not load: {_first_lines(e)}") from None
            if identity.name != sub.name:
                raise W2SError(f"submission {sub.name}: the class registers as {identity.name!r}, not {sub.name!r}")
            for k, v in sub.metadata.parameters.items():
                if identity.params.get(k) != v:
                    raise W2SError(f"submission {sub.name}: parameter {k}={v!r} from metadata.yaml became {identity.params.get(k)!r}")
            yield SubmissionMethod(sub, worker, identity, sub.code_hash(), spec, harness.time_limit_s or 600.0,
                                   harness.torch_threads())


def _first_lines(e: Exception, n: int = 14) -> str:
    return "\n".join(str(e).splitlines()[:n])


def track_grid(track: Track, method: Method, harness: Harness):
    from w2sbench.running.sweep import Grid

    ladder = harness.ladder(track.ladder)
    pairs = [(ladder.supervisor(w), ladder.rung(s)) for w, s in track.pair_names()]
    return Grid([harness.task(t) for t in track.tasks], ladder, pairs, [method], list(track.seeds))


def _limit(track: Track, harness: Harness) -> float:
    return harness.time_limit_s or track.time_limit_s


def _run_grid(ws, grid, sub: Submission, show_progress: bool) -> list[Result]:
    from w2sbench.running.sweep import run_grid

    try:
        return run_grid(ws, grid, show_progress=show_progress)
    except W2SError as e:
        message = str(e)
        prefix = f"submission {sub.name}: "
        raise W2SError(message if message.startswith(prefix) else prefix + message) from None


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


def mock_run(folder: Path | str, unsandboxed: bool = False, require_sandbox: bool = False,
             time_limit_s: float = 120.0, seeds: tuple[int, ...] = (0,),
             tracks: dict[str, Track] | None = None) -> MockReport:
    """Run the submission on the smoke tasks and hashing rungs (w2sbench.submissions.smoke) in seconds.

    Checks what a real run checks (metadata, the class, the worker, the predictions) and
    returns the smoke records; they are written to a temporary folder and never kept.
    Without bubblewrap it falls back to a plain worker process (and says so) unless
    ``require_sandbox``.
    """
    start = time.perf_counter()
    sub = load_submission(folder, tracks)
    with tempfile.TemporaryDirectory(prefix="w2sbench-mock-") as tmp:
        harness = Harness(Path(tmp) / "cache", tracks=tracks or all_tracks(), unsandboxed=unsandboxed,
                          sandbox_mode="require" if require_sandbox else "auto", time_limit_s=time_limit_s, threads=1)
        with method_session(sub, harness) as method:
            results = smoke_run(sub, method, Path(tmp), time_limit_s, seeds)
        mode = _mode(sub, harness)
    return MockReport(sub.name, results, time.perf_counter() - start, mode)


def _mode(sub: Submission, harness: Harness) -> str:
    if sub.builtin:
        return "builtin (in-process)"
    sandbox = harness.sandbox()
    return sandbox.describe() + (f"; {sandbox.note}" if sandbox.note else "")


def smoke_run(sub: Submission, method: Method, tmp: Path, time_limit_s: float,
              seeds: tuple[int, ...] = (0,)) -> list[Result]:
    """The smoke grid (two generated tasks, weak -> strong hashing rungs) for a ready method."""
    import torch

    from w2sbench.submissions.smoke import SmokeWorkspace, smoke_ladder, smoke_tasks
    from w2sbench.running.sweep import Grid

    ws = SmokeWorkspace(Path(tmp) / "smoke-cache", Path(tmp) / "smoke-results")
    ladder = smoke_ladder()
    grid = Grid([d.task for d in smoke_tasks().values()], ladder, [(ladder.rungs[0], ladder.rungs[-1])],
                [method], list(seeds))
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


def expected_keys(sub: Submission, method: Method, harness: Harness, ws) -> dict[str, dict]:
    """For each track the entry enters: experiment key -> the experiment, for its whole grid."""
    out = {}
    for name in sub.metadata.tracks:
        track = get_track(name, harness.tracks)
        grid = track_grid(track, method, harness)
        out[name] = {ws.experiment_key(exp): exp for exp in grid.experiments()}
    return out


@dataclass
class EvaluateReport:
    submission: str
    results: dict[str, list[Result]]
    pruned: list[Path]
    stale: list[Path]


def evaluate(folder: Path | str, harness: Harness, track_names: list[str] | None = None, prune: bool = False,
             show_progress: bool = True) -> EvaluateReport:
    """Run the required grid of each track (default: the tracks in metadata.yaml) and write the
    records into the submission's results/. Finished records are read back, never recomputed."""
    sub = load_submission(folder, harness.tracks)
    names = track_names or sub.metadata.tracks
    for n in names:
        if n not in sub.metadata.tracks:
            raise W2SError(f"submission {sub.name}: track {n!r} is not in metadata.yaml's tracks {sub.metadata.tracks}; add it there first")
    ws = harness.workspace(sub.results_dir)
    results: dict[str, list[Result]] = {}
    with method_session(sub, harness) as method:
        for n in names:
            track = get_track(n, harness.tracks)
            if isinstance(method, SubmissionMethod):
                method.limit_s = _limit(track, harness)
            results[n] = _run_grid(ws, track_grid(track, method, harness), sub, show_progress)
        expected = {k for keys in expected_keys(sub, method, harness, ws).values() for k in keys}
    stale = [p for p in sorted(sub.results_dir.glob("*.json")) if p.stem not in {k[:32] for k in expected}]
    pruned = []
    if prune:
        for p in stale:
            p.unlink()
            pruned.append(p)
        stale = []
    return EvaluateReport(sub.name, results, pruned, stale)


# ---------------------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------------------

Status = Literal["pass", "fail", "warn", "skip"]


@dataclass
class Check:
    name: str
    status: Status
    detail: str = ""


@dataclass
class ValidationReport:
    submission: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def add(self, name: str, status: Status, detail: str = "") -> Check:
        c = Check(name, status, detail)
        self.checks.append(c)
        return c


# What validate checks, in order; the command's help text is built from this list.
VALIDATE_CHECKS = [
    ("metadata", "metadata.yaml follows the schema (unknown or missing fields rejected), its name is the folder's, "
                 "its tracks exist, its method module exists, and no template placeholder is left"),
    ("sandbox", "bubblewrap works here (else validation is refused unless --unsandboxed is given); skipped for "
                "builtin methods, which are part of the harness"),
    ("method", "the class loads in the isolated worker, subclasses Method, is a registered dataclass named like "
               "the folder, accepts the metadata parameters, and runs isolated on the smoke task with valid output"),
    ("records", "for each track: one record for every (task, pair, seed) of the grid, no other record files, "
                "each record intact (schema, checksum) and made by this harness with this config (its key equals "
                "the key recomputed with Workspace.experiment_key, so code, parameters, task data, rungs, training "
                "config and protocol match), by this w2sbench version, with test labels equal to the task's and "
                "scores equal to those recomputed from its predictions"),
    ("reproduce", f"a random sample of records (--sample, default 2) re-runs (submitted code isolated) and matches: every accuracy "
                  f"within {TOLERANCE} and the mean absolute change of the method's probabilities within {TOLERANCE}"),
    ("history", "compared with the merge base (git merge-base HEAD origin/main, or --base): no record of an "
                "existing entry removed or changed, and no entry removed (changes fail unless --accept-changes); "
                "skipped with a message when there is no base to compare with"),
]


@dataclass
class ValidateOptions:
    sample: int = 2
    sample_seed: int | None = None
    base: str | None = None
    accept_changes: bool = False
    allow_incomplete: bool = False
    repo: Path | None = None  # git working tree (default: the folder's repository)


def validate(folder: Path | str, harness: Harness, options: ValidateOptions = ValidateOptions()) -> ValidationReport:
    """Run every check of VALIDATE_CHECKS on one submission; never modifies it."""
    folder = Path(folder)
    report = ValidationReport(folder.resolve().name)
    try:
        sub = load_submission(folder, harness.tracks)
    except W2SError as e:
        report.add("metadata", "fail", str(e))
        return report
    report.submission = sub.name
    left = sub.metadata.placeholders()
    if left:
        report.add("metadata", "fail", f"submission {sub.name}: metadata.yaml still has the template's placeholder in {', '.join(left)}")
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

    ws = harness.workspace(sub.results_dir)
    records, unreadable = _read_records(sub.results_dir)
    with contextlib.ExitStack() as stack:
        try:
            start = time.perf_counter()
            method = stack.enter_context(method_session(sub, harness))
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="w2sbench-validate-")))
            smoke_run(sub, method, tmp, min(harness.time_limit_s or 120.0, 120.0))
            report.add("method", "pass", f"loaded and ran on the smoke tasks in {time.perf_counter() - start:.1f} s "
                                         f"({_mode(sub, harness)})")
        except W2SError as e:
            report.add("method", "fail", str(e))
            return report
        _validate_records(report, sub, harness, method, ws, records, unreadable, options)
    _history(report, sub, options)
    return report


def _validate_records(report, sub, harness, method, ws, records, unreadable, options) -> None:
    for path, why in unreadable:
        report.add("records", "fail", f"submission {sub.name}: {path.name}: {why}")
    expected = expected_keys(sub, method, harness, ws)
    all_expected = {k[:32] for keys in expected.values() for k in keys}
    extra = sorted(stem for stem in records if stem not in all_expected)
    if extra:
        report.add("records", "fail",
                   f"submission {sub.name}: {len(extra)} record(s) not in the grid of any track it enters "
                   f"(stale: other code, parameters or harness version; or foreign): {', '.join(extra[:4])}"
                   f"{' ...' if len(extra) > 4 else ''}; remove them with `w2sbench evaluate {_rel(sub.folder)} --prune`")
    sampled_pool: list[tuple[str, Result, object]] = []
    for track_name, keys in expected.items():
        problems, present = _check_track_records(sub, ws, keys, records)
        missing = len(keys) - len(present)
        if problems:
            report.add(f"records {track_name}", "fail", f"submission {sub.name}: " + "; ".join(problems[:6]))
        elif missing:
            status = "warn" if options.allow_incomplete else "fail"
            report.add(f"records {track_name}", status,
                       f"submission {sub.name}: incomplete, {len(present)}/{len(keys)} records for track {track_name} "
                       f"(listed as incomplete on the leaderboard, never averaged in); "
                       f"finish with `{sub.reproduce_command(track_name)}`")
        else:
            report.add(f"records {track_name}", "pass", f"{len(keys)}/{len(keys)} records, keys and versions match")
        sampled_pool += [(track_name, r, exp) for r, exp in present]
    _reproduce(report, sub, harness, method, sampled_pool, options)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_records(folder: Path) -> tuple[dict[str, Result], list[tuple[Path, str]]]:
    """Records by file stem, without touching the folder (ResultStore would move corrupt files)."""
    found, bad = {}, []
    for p in sorted(Path(folder).glob("*")):
        if p.is_dir():
            bad.append((p, "unexpected folder in results/"))
            continue
        if p.suffix != ".json":
            bad.append((p, "unexpected file in results/ (only result records, *.json)"))
            continue
        try:
            r = Result.model_validate_json(p.read_bytes())
        except (ValidationError, ValueError, OSError) as e:
            bad.append((p, f"not a valid result record: {str(e).splitlines()[0]}"))
            continue
        if r.sha256 != r.content_sha256():
            bad.append((p, "checksum mismatch (edited by hand?)"))
            continue
        if p.stem != r.key[:32]:
            bad.append((p, f"file name does not match its key {r.key[:32]}"))
            continue
        found[p.stem] = r
    return found, bad


def _check_track_records(sub: Submission, ws, keys: dict[str, object], records: dict[str, Result]):
    from w2sbench.core.example import labels_of
    from w2sbench.protocol.experiment import ids_sha256, score

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
            problems.append(f"{label}: made by w2sbench {r.provenance.w2sbench}, this is {__version__}; re-run evaluate")
            continue
        if r.provenance.regime != ws.regime:
            problems.append(f"{label}: regime {r.provenance.regime}, expected {ws.regime}")
            continue
        splits = ws.splits(exp.task, exp.seed)
        if r.predictions.ids_sha256 != ids_sha256(splits.test) or r.predictions.labels != labels_of(splits.test).tolist():
            problems.append(f"{label}: test ids or labels differ from the task's")
            continue
        p = r.predictions
        labels = np.array(p.labels)
        n = len(labels)
        if not (len(p.weak) == len(p.w2s) == len(p.ceiling) == n):
            problems.append(f"{label}: prediction lengths differ from the test set's")
            continue
        redone = score(labels, np.array(p.weak), np.array(p.w2s), np.array(p.ceiling))
        if not _same_scores(redone.model_dump(), r.scores.model_dump()):
            problems.append(f"{label}: scores differ from those recomputed from its predictions")
            continue
        present.append((r, exp))
    return problems, present


def _same_scores(a, b, tol: float = 1e-9) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_scores(a[k], b[k], tol) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(_same_scores(x, y, tol) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return abs(float(a) - float(b)) <= tol


def _reproduce(report: ValidationReport, sub: Submission, harness: Harness, method: Method,
               pool: list[tuple[str, Result, object]], options: ValidateOptions) -> None:
    from w2sbench.protocol.experiment import run_experiment

    if not pool or options.sample <= 0:
        report.add("reproduce", "skip", "no complete records to sample" if not pool else "--sample 0")
        return
    seed = options.sample_seed if options.sample_seed is not None else secrets.randbelow(2**31)
    rng = random.Random(seed)
    chosen = rng.sample(pool, min(options.sample, len(pool)))
    failures, lines = [], []
    with tempfile.TemporaryDirectory(prefix="w2sbench-rerun-") as tmp:
        ws = harness.workspace(Path(tmp))
        for track_name, record, exp in chosen:
            if isinstance(method, SubmissionMethod):
                method.limit_s = _limit(get_track(track_name, harness.tracks), harness)
            try:
                again = run_experiment(ws, exp)
            except W2SError as e:
                failures.append(f"{exp.label()}: re-run failed: {_first_lines(e, 6)}")
                continue
            diffs = {f"|d acc_{m}|": abs(getattr(again.scores, f"acc_{m}") - getattr(record.scores, f"acc_{m}"))
                     for m in ("weak", "w2s", "ceiling")}
            diffs["mean |d p_w2s|"] = float(np.mean(np.abs(np.array(again.predictions.w2s) - np.array(record.predictions.w2s))))
            worst = max(diffs, key=diffs.get)
            changes = ", ".join(f"{k} {v:.4f}" for k, v in diffs.items())
            if diffs[worst] > TOLERANCE:
                failures.append(f"{exp.label()}: {worst} changed by {diffs[worst]:.4f} > {TOLERANCE} (record acc_w2s "
                                f"{record.scores.acc_w2s:.4f}, re-run {again.scores.acc_w2s:.4f})")
            else:
                lines.append(f"{exp.label()}: changes {changes}")
    where = f"sample seed {seed} (repeat with --sample-seed {seed})"
    if failures:
        report.add("reproduce", "fail", f"submission {sub.name}: records do not reproduce, {where}: " + "; ".join(failures))
    else:
        report.add("reproduce", "pass", f"{len(chosen)} record(s) re-ran within {TOLERANCE}, {where}: " + "; ".join(lines))


# ---------------------------------------------------------------------------------------------
# History: what the merge base had
# ---------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str, text: bool = True):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=text, timeout=60)


def repo_root(path: Path) -> Path | None:
    try:
        out = _git(Path(path), "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def merge_base(repo: Path, base: str | None) -> tuple[str | None, str]:
    """(commit, how it was found) or (None, why there is none)."""
    if base is not None:
        out = _git(repo, "rev-parse", "--verify", f"{base}^{{commit}}")
        if out.returncode != 0:
            raise W2SError(f"--base {base}: not a commit in {repo}")
        return out.stdout.strip(), f"--base {base}"
    out = _git(repo, "merge-base", "HEAD", "origin/main")
    if out.returncode != 0:
        return None, "no origin/main to compare with (git merge-base HEAD origin/main failed); fetch it or pass --base REF"
    return out.stdout.strip(), "git merge-base HEAD origin/main"


def base_files(repo: Path, commit: str, prefix: str) -> dict[str, bytes]:
    """Every file under prefix at the commit: path -> content."""
    listing = _git(repo, "ls-tree", "-r", "-z", "--name-only", commit, "--", prefix)
    paths = [p for p in listing.stdout.split("\0") if p]
    out = {}
    if not paths:
        return out
    proc = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input="".join(f"{commit}:{p}\n" for p in paths).encode(),
                          capture_output=True, timeout=300)
    data = proc.stdout
    pos = 0
    for p in paths:
        header_end = data.index(b"\n", pos)
        header = data[pos:header_end].split()
        size = int(header[2])
        out[p] = data[header_end + 1: header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return out


def _history(report: ValidationReport, sub: Submission, options: ValidateOptions) -> None:
    repo = options.repo or repo_root(sub.folder)
    if repo is None:
        report.add("history", "skip", "not in a git repository; nothing to compare with")
        return
    commit, how = merge_base(repo, options.base)
    if commit is None:
        report.add("history", "skip", how)
        return
    try:
        rel = sub.folder.resolve().relative_to(Path(repo).resolve()).as_posix()
    except ValueError:
        report.add("history", "skip", f"{sub.folder} is outside the repository {repo}")
        return
    before = {p: b for p, b in base_files(repo, commit, f"{rel}/results").items() if p.endswith(".json")}
    if not before:
        report.add("history", "pass", f"new entry (no records at {commit[:10]}, found by {how})")
        return
    removed, changed = [], []
    for path, content in sorted(before.items()):
        now = Path(repo) / path
        if not now.exists():
            removed.append(path)
        elif now.read_bytes() != content:
            changed.append(path)
    if not removed and not changed:
        report.add("history", "pass", f"all {len(before)} records at {commit[:10]} unchanged ({how})")
        return
    diff = score_changes(before, sub.results_dir)
    detail = (f"submission {sub.name}: since {commit[:10]} ({how}) {len(removed)} record(s) removed and {len(changed)} "
              f"changed; scores: {diff or 'no per-cell score changed'}")
    if options.accept_changes:
        report.add("history", "warn", detail + " (accepted with --accept-changes)")
    else:
        report.add("history", "fail", detail + "; if intended, a maintainer re-runs with --accept-changes")


def score_changes(before: dict[str, bytes], results_dir: Path) -> str:
    """Per (task, pair) seed-averaged PGR before and now, for the cells that changed."""
    from w2sbench.reporting.report import summarize

    def summaries(records):
        return {(s.task, s.ladder, s.weak, s.strong): s.pgr for s in summarize(records)}

    old = []
    for content in before.values():
        try:
            old.append(Result.model_validate_json(content))
        except (ValidationError, ValueError):
            pass
    new, _ = _read_records(results_dir)
    a, b = summaries(old), summaries(list(new.values()))
    out = []
    for cell in sorted(set(a) | set(b)):
        if a.get(cell) != b.get(cell) or (cell in a) != (cell in b):
            out.append(f"{cell[0]} {cell[2]}->{cell[3]} PGR {_f(a.get(cell), cell in a)} -> {_f(b.get(cell), cell in b)}")
    return "; ".join(out[:8])


def _f(x, present: bool) -> str:
    if not present:
        return "absent"
    return "n/a" if x is None else f"{x:.3f}"


def removed_entries(root: Path, options: ValidateOptions) -> Check:
    """Entries present at the merge base but gone now (a repository-level check)."""
    root = Path(root)
    repo = options.repo or repo_root(root)
    if repo is None:
        return Check("entries", "skip", "not in a git repository")
    commit, how = merge_base(repo, options.base)
    if commit is None:
        return Check("entries", "skip", how)
    try:
        rel = root.resolve().relative_to(Path(repo).resolve()).as_posix()
    except ValueError:
        return Check("entries", "skip", f"{root} is outside the repository")
    listing = _git(repo, "ls-tree", "-d", "--name-only", f"{commit}:{rel}")
    before = sorted(n for n in listing.stdout.split("\n") if n) if listing.returncode == 0 else []
    gone = [n for n in before if not (root / n / "metadata.yaml").exists()]
    if not gone:
        return Check("entries", "pass", f"all {len(before)} entries at {commit[:10]} still present ({how})")
    status: Status = "warn" if options.accept_changes else "fail"
    return Check("entries", status, f"entries removed since {commit[:10]} ({how}): {', '.join(gone)}"
                 + (" (accepted with --accept-changes)" if options.accept_changes else ""))


# ---------------------------------------------------------------------------------------------
# new-method
# ---------------------------------------------------------------------------------------------


def class_name_for(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", name) if part) or "Method"


def new_method(name: str, root: Path | str = "submissions") -> list[Path]:
    """Create submissions/NAME/ from the templates: a method module, metadata.yaml and a test."""
    from string import Template

    from w2sbench.methods.api import all_methods

    if not re.match(NAME_PATTERN, name):
        raise W2SError(f"{name!r} is not a valid submission name: lower-case letters, digits and '-', "
                       "starting with a letter, 2 to 40 characters")
    if name in all_methods():
        raise W2SError(f"{name!r} is already a builtin method's name; choose another")
    folder = Path(root) / name
    if folder.exists():
        raise W2SError(f"{folder} already exists")
    module = name.replace("-", "_")
    values = {"name": name, "class_name": class_name_for(name), "module": module,
              "tracks": ", ".join(default_tracks())}
    templates = resources.files("w2sbench") / "templates"
    targets = {"method.py.tmpl": "method.py", "metadata.yaml.tmpl": "metadata.yaml",
               "test_method.py.tmpl": f"test_{module}.py"}
    folder.mkdir(parents=True)
    written = []
    for src, dst in targets.items():
        text = Template((templates / src).read_text()).substitute(values)
        (folder / dst).write_text(text)
        written.append(folder / dst)
    return written
