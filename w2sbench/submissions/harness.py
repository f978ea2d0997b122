"""The harness a submission runs in: caches, ladders, sandbox, limits; the proxy method that sends
each call to an isolated worker; a track's grid for a method."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import ChainMap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import ValidationError

from w2sbench.core.errors import MethodError, SubmissionError, W2SError
from w2sbench.core.result import Result
from w2sbench.methods.api import Method, make_method
from w2sbench.models.ladder import Ladder
from w2sbench.running.tracks import Track, all_tracks
from w2sbench.submissions.metadata import Submission

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
    memory_limit: int | None = None  # bytes of address space per worker (default worker.MEMORY_LIMIT)
    threads: int | None = None
    extra_forbidden: tuple[Path, ...] = ()
    data_dir: Path | None = None  # a local mirror of Hub tasks' rows (w2sbench.tasks.loading.mirror)
    private_data: dict[str, Path] | None = None  # task id -> private split folder (w2sbench.tasks.private)
    caches: object = None  # protocol.workspace.Caches its workspaces share (validate shares one across entries)
    _sandbox: object = field(default=None, init=False, repr=False)

    def __post_init__(self):
        from w2sbench.models.encoder import encoder_for
        from w2sbench.models.ladder import get_ladder
        from w2sbench.tasks.task import get_task

        self.cache_dir = Path(self.cache_dir)
        self.ladder = self.ladder or get_ladder
        self.task = self.task or get_task
        self.encoder_factory = self.encoder_factory or encoder_for
        if self.caches is None:
            from w2sbench.protocol.workspace import Caches

            self.caches = Caches()

    def workspace(self, results_dir: Path, track: Track | None = None):
        """A workspace on results_dir that trains heads with the track's budget (the harness's without one)."""
        from w2sbench.models.probe import TrainConfig
        from w2sbench.protocol.workspace import Workspace
        from w2sbench.tasks.loading import mirror

        local = mirror(self.data_dir)
        if self.private_data:  # a private split replaces its task's rows, whatever the mirror holds
            local = ChainMap(self.private_data, local) if local is not None else self.private_data
        return Workspace(
            self.cache_dir,
            results_dir,
            encoder_factory=self.encoder_factory,
            local_data=local,
            caches=self.caches,
            train_config=track.train_config() if track else TrainConfig(),
        )

    def forbidden(self) -> tuple[str, ...]:
        from w2sbench.core.paths import tasks_dir

        paths = [self.cache_dir, tasks_dir(), *self.extra_forbidden]
        return tuple(sorted(str(Path(p).resolve()) for p in paths))

    def sandbox(self):
        """The sandbox submitted code runs in (probed once); see sandbox.choose_sandbox."""
        from w2sbench.submissions.sandbox import Sandbox, choose_sandbox, probe_sandbox

        if self._sandbox is None:
            if self.unsandboxed:
                self._sandbox = choose_sandbox(True, self.forbidden())
            elif self.sandbox_mode == "auto":
                found = probe_sandbox(self.forbidden())
                self._sandbox = (
                    found
                    if isinstance(found, Sandbox)
                    else Sandbox("process", forbidden=self.forbidden(), note=f"no sandbox: {found}")
                )
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
        from w2sbench.models.probe import ProbeStudent
        from w2sbench.submissions.contract import fit_job

        if not isinstance(ctx.student, ProbeStudent):
            raise SubmissionError(
                f"submission {self.submission.name}: submitted methods run isolated in the probe regime "
                f"only (features are shipped to the worker); got a {type(ctx.student).__name__}"
            )
        job = fit_job(ctx, self.spec, self.oracle, self.threads)
        self.worker.close()  # one fresh worker per experiment: nothing carries over from the last one
        deadline = time.monotonic() + self.limit_s
        self.worker.call("fit", job, self.limit_s, what=f"submission {self.submission.name}")
        return _Remote(self, (ctx.student, *ctx.intermediates), deadline)


class _Remote:
    """The predictor handed back to the protocol: each test batch goes to the fitted worker, with
    its texts' features; fit and every batch share the method's time limit."""

    def __init__(self, method: SubmissionMethod, students, deadline: float):
        self.method, self.students, self.deadline = method, students, deadline

    def __call__(self, inputs):
        from w2sbench.submissions.contract import PredictJob, features_of, texts_of

        texts = texts_of(inputs)
        job = PredictJob(inputs, {s.name: (texts, features_of(s, texts)) for s in self.students})
        left = max(self.deadline - time.monotonic(), 0.001)
        reply = self.method.worker.call("predict", job, left, what=f"submission {self.method.submission.name}")
        shape = tuple(reply.shape or ())
        values = np.asarray(reply.values or [], dtype=np.float64)
        if int(np.prod(shape)) != values.size:
            raise ValueError(f"the worker reported shape {shape} for {values.size} values")
        return values.reshape(shape)


@contextlib.contextmanager
def method_session(sub: Submission, harness: Harness) -> Iterator[Method]:
    """The submission's method, ready to run: a builtin instance, or a proxy with a live worker."""
    if sub.builtin is not None:
        try:
            method = make_method(sub.builtin, sub.metadata.parameters)
        except W2SError as e:
            raise SubmissionError(f"submission {sub.name}: {e}") from None
        yield method
        return
    from w2sbench.submissions.contract import Identity, MethodSpec
    from w2sbench.submissions.staging import code_hash, stage_code
    from w2sbench.submissions.worker import MEMORY_LIMIT, Worker, WorkerError

    sandbox = harness.sandbox()
    with tempfile.TemporaryDirectory(prefix="w2sbench-sub-") as tmp:
        stage = stage_code(sub.folder, Path(tmp) / "code")
        module, class_name = sub.module_and_class()
        worker = Worker(sandbox, stage, harness.startup_limit_s, harness.memory_limit or MEMORY_LIMIT)
        spec = MethodSpec(f"{worker.code_root}/{module}", class_name, sub.name, dict(sub.metadata.parameters))
        with worker:
            try:
                reply = worker.call("describe", spec, harness.time_limit_s or 300.0, what=f"submission {sub.name}")
                identity = Identity.model_validate(reply.identity)
            except (WorkerError, ValidationError) as e:
                raise MethodError(f"submission {sub.name}: the method class does not load: {_first_lines(e)}") from None
            finally:
                worker.close()  # the first experiment starts a fresh worker
            if identity.name != sub.name:
                raise SubmissionError(
                    f"submission {sub.name}: the class registers as {identity.name!r}, not {sub.name!r}"
                )
            for k, v in sub.metadata.parameters.items():
                if identity.params.get(k) != v:
                    raise SubmissionError(
                        f"submission {sub.name}: parameter {k}={v!r} from metadata.yaml became "
                        f"{identity.params.get(k)!r}"
                    )
            yield SubmissionMethod(
                sub,
                worker,
                identity,
                code_hash(stage, sub.metadata.parameters),
                spec,
                harness.time_limit_s or 600.0,
                harness.torch_threads(),
            )


def _first_lines(e: Exception, n: int = 14) -> str:
    return "\n".join(str(e).splitlines()[:n])


def track_grid(track: Track, method: Method, harness: Harness):
    from w2sbench.running.grid import Grid

    ladder = harness.ladder(track.ladder)
    pairs = [(ladder.supervisor(w), ladder.rung(s)) for w, s in track.pair_names()]
    return Grid([harness.task(t) for t in track.tasks], ladder, pairs, [method], list(track.seeds))


def _limit(track: Track, harness: Harness) -> float:
    return harness.time_limit_s or track.time_limit_s


def _run_grid(ws, grid, sub: Submission, show_progress: bool, stage_lines: bool = False) -> list[Result]:
    from w2sbench.running.sweep import run_grid

    try:
        return run_grid(ws, grid, show_progress=show_progress, stage_lines=stage_lines)
    except W2SError as e:  # the same error, its class (and exit code) kept, naming the submission
        prefix = f"submission {sub.name}: "
        if not str(e).startswith(prefix):
            e.args = (prefix + str(e),)
        raise
