"""Running a submitted method isolated: a worker process, inside bubblewrap where it works.

The harness never imports submitted code. A worker process (``python -m``-style bootstrap of
``_worker_main``) receives, pickled on its stdin, only what the method API allows:

- features of the strong rung (and of the intermediate rungs) for exactly the transfer,
  validation and test texts, as an in-memory :class:`FeatureSource` (``.get(texts)``,
  ``.rung.name``) that :class:`w2sbench.models.probe.Student` trains on;
- the transfer inputs and their weak labels, the validation inputs and their weak labels, the
  test inputs without labels (``unlabeled``), the seed; an oracle method also gets the
  validation split's ground truth (never the test labels).

It answers with JSON lines on a private copy of its stdout (the method's own prints go to
stderr): ``{"ready": true}`` once it has started, then one result. The harness parses JSON
only (never unpickles what a worker sends), checks the predictions with
``protocol.check_predictions`` and scores them itself, in its own process, so a method that
patches ``w2sbench.core.metrics`` in the worker patches nothing that scores it.

Inside bubblewrap (``bwrap``) the worker has no network (a new network namespace), its own
pid namespace and private ``/tmp``, no capabilities, a cleared environment, and read-only
views of only the Python installation, the w2sbench package, system libraries and a staged
copy of the submission's code (its ``results/`` left out). The data (``tasks/``), the
feature, weak-label and model caches, the result stores and ``/usr/share`` (where Debian
keeps WordNet, the offline suite's source) are not mounted at all.

Every call has a time limit; a worker that outlives it is killed (its whole process group;
in bubblewrap its whole pid namespace) and the call fails with the limit named.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from w2sbench.core.errors import W2SError
from w2sbench.core.example import Inputs

# ---------------------------------------------------------------------------------------------
# What the worker receives (pickled by the trusted harness) and returns (JSON, parsed strictly)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RungInfo:
    """All a worker learns of a rung: its name."""

    name: str


class FeatureSource:
    """In-memory, picklable features of one rung for exactly the texts a method may see.

    It has what :class:`w2sbench.models.probe.Student` reads of a feature store: ``.rung.name`` and
    ``.get(texts)``. A text outside the transfer, validation and test inputs has no features.
    """

    def __init__(self, rung_name: str, texts: list[str], vectors: np.ndarray):
        if len(texts) != len(vectors):
            raise ValueError("one vector per text")
        self.rung = RungInfo(rung_name)
        self._row = {t: i for i, t in enumerate(texts)}
        self._vectors = np.asarray(vectors)

    def get(self, texts) -> np.ndarray:
        rows = [self._row.get(t) for t in texts]
        if any(r is None for r in rows):
            missing = next(t for t, r in zip(texts, rows) if r is None)
            raise KeyError(
                f"rung {self.rung.name}: no features for {missing[:60]!r}; a method sees features of the "
                "transfer, validation and test texts only"
            )
        return self._vectors[rows]

    def __len__(self) -> int:
        return len(self._row)


@dataclass(frozen=True)
class MethodSpec:
    """Where the worker finds the method class, and the parameters to build it with."""

    module_file: str  # a path as the worker sees it
    class_name: str
    name: str  # the name the class must register under (the submission's name)
    params: dict


@dataclass(frozen=True)
class StudentSpec:
    features: FeatureSource
    seed: int
    config: object  # w2sbench.models.probe.TrainConfig


@dataclass(frozen=True)
class FitJob:
    """One method call: everything a MethodContext holds, with students as feature sources."""

    spec: MethodSpec
    student: StudentSpec
    intermediates: tuple[StudentSpec, ...]
    transfer: Inputs
    weak_labels: np.ndarray
    validation: Inputs
    validation_weak_labels: np.ndarray
    unlabeled: Inputs
    seed: int
    validation_labels: np.ndarray | None = None  # only for a method that declares oracle = True
    threads: int = 1


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ok: bool
    identity: dict | None = None
    shape: list[int] | None = None
    values: list[float] | None = None
    error: str | None = None
    traceback: str | None = None


class Identity(BaseModel):
    """What a worker reports of the class it loaded (checked by the harness)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    params: dict
    oracle: bool
    citation: str
    class_code_hash: str


# ---------------------------------------------------------------------------------------------
# The sandbox
# ---------------------------------------------------------------------------------------------

SANDBOX_HELP = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and make sure unprivileged user "
    "namespaces are allowed, or pass --unsandboxed to run the method in a plain worker process "
    "(no protection of files or network)"
)


@dataclass(frozen=True)
class Sandbox:
    """How workers are started: ``bwrap`` (sandboxed) or ``process`` (a plain worker process).

    ``forbidden``: paths a sandbox must never show (data, caches, results); a bind that would
    contain one is refused.
    """

    mode: Literal["bwrap", "process"]
    bwrap_args: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    note: str = ""

    @property
    def sandboxed(self) -> bool:
        return self.mode == "bwrap"

    def describe(self) -> str:
        if self.sandboxed:
            return "bubblewrap sandbox (no network, private /tmp, no view of data, caches or results)"
        return "plain worker process, UNSANDBOXED (files and network reachable)"


def _python_paths() -> list[str]:
    """Directories the worker's Python needs: the installation, site dirs, the w2sbench package."""
    import site

    import w2sbench

    paths: list[str] = []
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        if prefix not in ("/", "/usr", "/usr/local"):
            paths.append(prefix)
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            paths.append(p)
    paths += site.getsitepackages()
    if site.ENABLE_USER_SITE and site.getusersitepackages():
        paths.append(site.getusersitepackages())
    paths += [p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)]
    paths.append(str(Path(w2sbench.__file__).resolve().parent))
    exe = Path(sys.executable)
    paths.append(str(exe.parent))
    paths.append(str(exe.resolve().parent))
    out = []
    for p in paths:
        p = os.path.realpath(p)
        if os.path.exists(p) and p not in out:
            out.append(p)
    return sorted(out)


def _contains(parent: str, child: str) -> bool:
    parent, child = os.path.realpath(parent), os.path.realpath(child)
    return child == parent or child.startswith(parent.rstrip("/") + "/")


def _system_binds() -> list[str]:
    """System libraries: /usr/lib*, and /lib*, /bin as symlinks or binds as the host has them."""
    args: list[str] = []
    for d in ("/usr/lib", "/usr/lib64", "/usr/lib32"):
        if os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for d in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d) and d.startswith("/lib"):
            args += ["--ro-bind", d, d]
    return args


def _bwrap_base(forbidden: tuple[str, ...], user_ns: bool) -> list[str]:
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if user_ns:
        args += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
    args += _system_binds()
    args += ["--tmpfs", "/tmp"]  # first: a bind made after it may sit under /tmp (an install in /tmp)
    covered = [a for a in _system_binds() if a.startswith("/") and os.path.isdir(a)]
    for p in _python_paths():
        if any(_contains(c, p) for c in covered):
            continue
        for bad in forbidden:
            if _contains(p, bad):
                raise W2SError(
                    f"sandbox: the Python path {p} contains {bad} (data, cache or results); "
                    "move the cache (W2SBENCH_CACHE) or the installation so they do not overlap"
                )
        args += ["--ro-bind", p, p]
    args += ["--proc", "/proc", "--dev", "/dev", "--clearenv", "--chdir", "/tmp"]
    return args


@lru_cache(maxsize=8)
def probe_sandbox(forbidden: tuple[str, ...] = ()) -> Sandbox | str:
    """A working bubblewrap configuration, or a string saying why there is none.

    Tries a user namespace first (uid 65534 inside), then without one (as root on hosts that
    forbid unprivileged user namespaces, capabilities are still dropped).
    """
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    failures = []
    for user_ns in (True, False):
        try:
            base = _bwrap_base(forbidden, user_ns)
        except W2SError as e:
            return str(e)
        cmd = base + [sys.executable, "-B", "-E", "-c", "import socket, numpy; print('ok')"]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as e:
            failures.append(f"{type(e).__name__}: {e}")
            continue
        if out.returncode == 0 and out.stdout.strip() == "ok":
            return Sandbox("bwrap", tuple(base), forbidden,
                           note="" if user_ns else "bwrap runs without a user namespace (as the host user)")
        failures.append((out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1])
    return "bubblewrap does not work here: " + "; ".join(dict.fromkeys(failures))


def choose_sandbox(unsandboxed: bool, forbidden: tuple[str, ...]) -> Sandbox:
    """The sandbox to run submitted code in: bwrap, or with ``unsandboxed`` a plain process.

    Without bwrap and without ``unsandboxed`` this is an error that says why and what to do.
    """
    if unsandboxed:
        return Sandbox("process", forbidden=forbidden, note="--unsandboxed given")
    found = probe_sandbox(tuple(sorted(forbidden)))
    if isinstance(found, Sandbox):
        return found
    raise W2SError(f"cannot isolate submitted code: {found}. To proceed: {SANDBOX_HELP}.")


# ---------------------------------------------------------------------------------------------
# The harness side of a worker call
# ---------------------------------------------------------------------------------------------

MAX_REPLY_BYTES = 256 << 20
WORKER_ENV = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}


class WorkerError(Exception):
    """A worker call that failed: the method crashed, hung, or the worker broke.

    Not a W2SError on purpose: run_experiment wraps it with the experiment it happened in."""


class Worker:
    """A worker process for one staged submission, serving method calls one at a time.

    ``stage``: a host folder holding a copy of the submission's code (no results); in a
    sandbox it is mounted read-only at /submission. The worker starts on the first call and
    serves the following ones (Python, torch and the submission load once); a call that
    fails keeps it, a call that runs out of time kills it and the next call starts a new one.
    Use as a context manager so the process never outlives its user.
    """

    def __init__(self, sandbox: Sandbox, stage: Path, startup_limit_s: float = 300.0):
        self.sandbox = sandbox
        self.stage = Path(stage)
        self.startup_limit_s = startup_limit_s
        self.last_stderr = ""
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue | None = None
        self._err = None

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def code_root(self) -> str:
        return "/submission" if self.sandbox.sandboxed else str(self.stage)

    def _command(self) -> list[str]:
        import w2sbench

        # this process's w2sbench first, ahead of whatever an install's path hooks point at
        harness = str(Path(w2sbench.__file__).resolve().parent.parent)
        paths = [harness] + [p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)]
        boot = (
            f"import sys; sys.path[:0] = {paths!r}; sys.path.insert(0, {self.code_root!r}); "
            "from w2sbench.submissions.isolation import _worker_main; _worker_main()"
        )
        python = [sys.executable, "-B", "-E", "-c", boot]
        if not self.sandbox.sandboxed:
            return python
        env = [a for k, v in self._env().items() for a in ("--setenv", k, v)]
        return list(self.sandbox.bwrap_args) + ["--ro-bind", str(self.stage), "/submission"] + env + python

    def _home(self) -> Path:
        home = self.stage.parent / "home"
        home.mkdir(exist_ok=True)
        return home

    def _env(self) -> dict[str, str]:
        env = dict(WORKER_ENV, HOME="/tmp" if self.sandbox.sandboxed else str(self._home()), PATH="/usr/bin:/bin")
        threads = os.environ.get("W2SBENCH_THREADS") or os.environ.get("OMP_NUM_THREADS")
        if threads and threads.isdigit():
            env["OMP_NUM_THREADS"] = threads
        return env

    def _start(self, what: str) -> None:
        self._err = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            self._command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
            env=self._env(),
            cwd=str(self._home()),
            start_new_session=True,
        )
        self._lines = queue.Queue()
        threading.Thread(target=_read_lines, args=(self._proc.stdout, self._lines), daemon=True).start()
        try:
            first = _next_line(self._lines, self.startup_limit_s)
        except _WorkerExited:
            self._fail(f"{what}: the worker could not start")
        if first is None:
            self._fail(f"{what}: the worker did not start within {self.startup_limit_s:.0f} s; killed")
        if first != READY:
            self._fail(f"{what}: the worker sent {first[:80]!r} instead of starting")

    def _fail(self, message: str, offset: int = 0):
        status = self._proc.poll() if self._proc else None
        self.close()
        detail = f" (exit status {status})" if status not in (None, 0) else ""
        raise WorkerError(message + detail + _stderr_hint(self.last_stderr))

    def call(self, kind: str, payload, limit_s: float, what: str) -> "_Reply":
        """Send one request and wait at most limit_s for its answer (the method's time limit)."""
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._start(what)
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        offset = self._err.seek(0, os.SEEK_END)
        threading.Thread(target=_feed, args=(self._proc.stdin, len(data).to_bytes(8, "big") + data), daemon=True).start()
        try:
            line = _next_line(self._lines, limit_s)
        except _WorkerExited:
            self._proc.wait(timeout=30)
            self._fail(f"{what}: the worker exited without an answer")
        if line is None:
            self._fail(f"{what}: the method did not finish within its time limit of {limit_s:g} s; the worker was killed")
        self.last_stderr = _tail(self._err, since=offset)
        try:
            reply = _Reply.model_validate(json.loads(line))
        except (ValueError, ValidationError) as e:
            self._fail(f"{what}: the worker sent a malformed answer ({str(e).splitlines()[0]})")
        if not reply.ok:
            raise WorkerError(f"{what}: {reply.error}" + _stderr_hint(reply.traceback or ""))
        return reply

    def close(self) -> None:
        if self._proc is not None:
            _kill(self._proc)
            self._proc = None
        if self._err is not None:
            self.last_stderr = _tail(self._err) or self.last_stderr
            self._err.close()
            self._err = None


READY = '{"ready": true}'


class _WorkerExited(Exception):
    pass


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _read_lines(pipe, out: queue.Queue) -> None:
    try:
        while True:
            line = pipe.readline(MAX_REPLY_BYTES)
            if not line:
                break
            if not line.endswith(b"\n"):
                out.put(("error", "reply too long"))
                break
            out.put(("line", line.decode("utf-8", "replace").rstrip("\n")))
    except (OSError, ValueError):
        pass
    out.put(("eof", None))


def _next_line(lines: queue.Queue, limit_s: float) -> str | None:
    """The next protocol line; None if limit_s passes first; _WorkerExited at end of output."""
    try:
        kind, value = lines.get(timeout=limit_s)
    except queue.Empty:
        return None
    if kind != "line":
        raise _WorkerExited()
    return value


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    for pipe in (proc.stdin, proc.stdout):
        try:
            pipe.close()
        except (OSError, ValueError):
            pass


def _tail(f, n: int = 4000, since: int = 0) -> str:
    try:
        f.flush()
        size = f.seek(0, os.SEEK_END)
        f.seek(max(since, size - n))
        return f.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""


def _stderr_hint(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    lines = text.splitlines()[-12:]
    return "\n  " + "\n  ".join(lines)


def stage_code(folder: Path, into: Path) -> Path:
    """Copy a submission's code (not its results, caches or hidden files) to a fresh folder.

    A symbolic link anywhere in the folder is refused: copying would follow it, and a link
    to ../../tasks/data would carry ground truth into the sandbox.
    """
    folder = Path(folder)
    links = [p for p in folder.rglob("*") if p.is_symlink()]
    if links:
        raise W2SError(f"submission {folder.name}: symbolic links are not allowed in a submission "
                       f"({', '.join(str(p.relative_to(folder)) for p in links[:3])})")
    into.mkdir(parents=True, exist_ok=True)

    def ignore(directory, names):
        skip = {n for n in names if n.startswith(".") or n in ("__pycache__", "results")}
        return skip | {n for n in names if n.endswith((".json", ".parquet", ".npz", ".npy", ".pt"))}

    shutil.copytree(folder, into, ignore=ignore, dirs_exist_ok=True, symlinks=False)
    return into


def fit_job(ctx, spec: MethodSpec, oracle: bool, threads: int) -> FitJob:
    """The worker's copy of a MethodContext: features for exactly the texts it contains."""
    texts: list[str] = []
    for inputs in (ctx.transfer, ctx.validation, ctx.unlabeled):
        texts += list(inputs.texts) + list(inputs.text_pairs or ())
    texts = list(dict.fromkeys(texts))

    def student_spec(student) -> StudentSpec:
        vectors = student.features(Inputs(ids=tuple(texts), texts=tuple(texts)))
        return StudentSpec(FeatureSource(student.name, texts, vectors), student.seed, student.config)

    return FitJob(
        spec=spec,
        student=student_spec(ctx.student),
        intermediates=tuple(student_spec(s) for s in ctx.intermediates),
        transfer=ctx.transfer,
        weak_labels=np.asarray(ctx.weak_labels),
        validation=ctx.validation,
        validation_weak_labels=np.asarray(ctx.validation_weak_labels),
        unlabeled=ctx.unlabeled,
        seed=ctx.seed,
        validation_labels=np.asarray(ctx.validation_labels) if oracle else None,
        threads=threads,
    )


# ---------------------------------------------------------------------------------------------
# The worker side (runs inside the sandbox)
# ---------------------------------------------------------------------------------------------


_LOADED: dict[tuple[str, str], type] = {}


def _load_class(spec: MethodSpec):
    """Import the submission's module (once per worker) and check its class follows the method API."""
    key = (spec.module_file, spec.class_name)
    if key not in _LOADED:
        _LOADED[key] = _import_class(spec)
    cls = _LOADED[key]
    fields = {f.name for f in __import__("dataclasses").fields(cls)}
    unknown = set(spec.params) - fields
    if unknown:
        raise TypeError(f"metadata parameters {sorted(unknown)} are not fields of {spec.class_name} (fields: {sorted(fields) or 'none'})")
    return cls


def _import_class(spec: MethodSpec):
    import dataclasses
    import importlib.util

    from w2sbench.methods.api import _METHODS, Method

    path = Path(spec.module_file)
    if not path.exists():
        raise FileNotFoundError(f"method module {path.name} not found in the submission")
    mod_name = "w2s_submission_" + "".join(c if c.isalnum() else "_" for c in spec.name)
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    module_spec.loader.exec_module(module)
    cls = getattr(module, spec.class_name, None)
    if cls is None:
        raise AttributeError(f"{path.name} defines no class {spec.class_name!r}")
    if not isinstance(cls, type) or not issubclass(cls, Method):
        raise TypeError(f"{spec.class_name} is not a subclass of w2sbench.methods.api.Method")
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{spec.class_name} is not a dataclass (its fields are its parameters)")
    if getattr(cls, "name", None) != spec.name:
        raise ValueError(f"{spec.class_name}.name is {getattr(cls, 'name', None)!r}; it must be the submission's name {spec.name!r}")
    if _METHODS.get(spec.name) is not cls:
        raise ValueError(f"{spec.class_name} is not registered: decorate it with @register (w2sbench.methods.api.register)")
    if cls.fit is Method.fit:
        raise TypeError(f"{spec.class_name} does not implement fit(self, ctx)")
    return cls


def _describe(spec: MethodSpec) -> dict:
    cls = _load_class(spec)
    method = cls(**spec.params)
    params = method.params()
    json.dumps(params)  # parameters must be JSON (they are part of every cache key)
    return {"name": cls.name, "params": params, "oracle": bool(cls.oracle), "citation": str(cls.citation or ""),
            "class_code_hash": cls.code_hash()}


def _fit(job: FitJob) -> dict:
    import torch

    from w2sbench.methods.api import MethodContext, OracleContext
    from w2sbench.models.probe import Student

    torch.set_num_threads(max(1, job.threads))
    cls = _load_class(job.spec)
    method = cls(**job.spec.params)

    def student(s: StudentSpec) -> Student:
        return Student(s.features, s.seed, s.config)

    fields = dict(
        student=student(job.student),
        transfer=job.transfer,
        weak_labels=job.weak_labels,
        validation=job.validation,
        validation_weak_labels=job.validation_weak_labels,
        unlabeled=job.unlabeled,
        intermediates=tuple(student(s) for s in job.intermediates),
        seed=job.seed,
    )
    if cls.oracle and job.validation_labels is not None:
        ctx = OracleContext(**fields, validation_labels=job.validation_labels)
    else:
        ctx = MethodContext(**fields)
    predictor = method.fit(ctx)
    if not callable(predictor):
        raise TypeError(f"fit returned {type(predictor).__name__}, expected a predictor (a callable on Inputs)")
    raw = predictor(job.unlabeled)
    try:
        probs = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"predictor returned {type(raw).__name__}, expected an array of floats") from None
    return {"shape": list(probs.shape), "values": [float(x) for x in probs.ravel()]}


def _read_exactly(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _warm_up() -> None:
    """Import what a first head training would import lazily, before any clock starts."""
    import torch

    import w2sbench.methods.api  # noqa: F401  (the API)

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])


def _worker_main() -> None:
    """Entry point of a worker: framed pickled requests on stdin, JSON lines on the original stdout."""
    import traceback

    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything the method prints (or C code writes to fd 1) goes to stderr
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer

    def send(obj) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    _warm_up()
    send({"ready": True})
    while True:
        try:
            size = int.from_bytes(_read_exactly(stdin, 8), "big")
            kind, payload = pickle.loads(_read_exactly(stdin, size))
        except EOFError:
            break
        try:
            if kind == "describe":
                reply = {"ok": True, "identity": _describe(payload)}
            elif kind == "fit":
                reply = {"ok": True, **_fit(payload)}
            else:
                reply = {"ok": False, "error": f"unknown request {kind!r}"}
        except BaseException as e:  # noqa: BLE001 - every failure of submitted code becomes an answer
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()[-6000:]}
        try:
            send(reply)
        except (TypeError, ValueError) as e:
            send({"ok": False, "error": f"the answer cannot be sent: {e}"})
    os._exit(0)
