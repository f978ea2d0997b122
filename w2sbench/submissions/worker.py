"""Running a submitted method isolated: a worker process, inside bubblewrap where it works.

The harness never imports submitted code. A worker process (``python -m``-style bootstrap of
``worker_main.main``) receives, pickled on its stdin, only what the method API allows:

- features of the strong rung (and of the intermediate rungs) for exactly the transfer
  and validation texts (and, after fit, of each test batch), as an in-memory :class:`FeatureSource` (``.get(texts)``,
  ``.rung.name``) that :class:`w2sbench.models.probe.ProbeStudent` trains on;
- the transfer inputs and their weak labels, the validation inputs and their weak labels, the
  seed; an oracle method also gets the validation split's ground truth (never the test labels);
- after fit returns, the test inputs in shuffled batches with opaque ids (``predict`` calls,
  each with its texts' features), answered by the predictor fit returned: each batch in a fresh
  fork of the fitted worker that can store nothing for the next batch (stateless._isolation),
  so every batch is predicted from the post-fit state alone.

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
in bubblewrap its whole pid namespace) and the call fails with the limit named. Its address
space is capped (RLIMIT_AS, ``memory_limit``): an allocation past it fails inside the method.
What it writes to stderr is read as it comes and only the last STDERR_KEEP bytes are kept
(for the error message); the harness stores nothing else of it.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

from pydantic import ValidationError

from w2sbench.submissions.contract import Reply
from w2sbench.submissions.sandbox import Sandbox

# ---------------------------------------------------------------------------------------------
# The harness side of a worker call
# ---------------------------------------------------------------------------------------------

MAX_REPLY_BYTES = 256 << 20
STDERR_KEEP = 64 << 10  # bytes of a worker's stderr kept for error messages; the rest is counted, not stored
MEMORY_LIMIT = 8 << 30  # default address-space cap of a worker (torch alone maps about 1.5 GiB)
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

    def __init__(self, sandbox: Sandbox, stage: Path, startup_limit_s: float = 300.0, memory_limit: int = MEMORY_LIMIT):
        self.sandbox = sandbox
        self.stage = Path(stage)
        self.startup_limit_s = startup_limit_s
        self.memory_limit = memory_limit
        self.last_stderr = ""
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue | None = None
        self._err: StderrTail | None = None

    def __enter__(self) -> Worker:
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
            "from w2sbench.submissions.worker_main import main; main()"
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
        home = "/tmp" if self.sandbox.sandboxed else str(self._home())
        # W2SBENCH_WORKER: how worker_main isolates test batches; its temporary files stay in the home it restores
        env = dict(
            WORKER_ENV,
            HOME=home,
            TMPDIR=home,
            PATH="/usr/bin:/bin",
            W2SBENCH_WORKER="bwrap" if self.sandbox.sandboxed else "process",
        )
        threads = os.environ.get("W2SBENCH_THREADS") or os.environ.get("OMP_NUM_THREADS")
        if threads and threads.isdigit():
            env["OMP_NUM_THREADS"] = threads
        return env

    def _start(self, what: str) -> None:
        limit = self.memory_limit

        def cap_memory() -> None:  # in the child, before exec: inherited by bwrap and the worker
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        self._proc = subprocess.Popen(
            self._command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self._env(),
            cwd=str(self._home()),
            start_new_session=True,
            preexec_fn=cap_memory,
        )
        self._err = StderrTail(self._proc.stderr)
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

    def call(self, kind: str, payload, limit_s: float, what: str) -> Reply:
        """Send one request and wait at most limit_s for its answer (the method's time limit)."""
        if self._proc is None or self._proc.poll() is not None:
            self.close()
            self._start(what)
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        offset = self._err.total
        threading.Thread(
            target=_feed, args=(self._proc.stdin, len(data).to_bytes(8, "big") + data), daemon=True
        ).start()
        try:
            line = _next_line(self._lines, limit_s)
        except _WorkerExited:
            self._proc.wait(timeout=30)
            self._fail(f"{what}: the worker exited without an answer")
        if line is None:
            self._fail(
                f"{what}: the method did not finish within its time limit of {limit_s:g} s; the worker was killed"
            )
        self.last_stderr = self._err.text(since=offset)
        try:
            reply = Reply.model_validate(json.loads(line))
        except (ValueError, ValidationError) as e:
            self._fail(f"{what}: the worker sent a malformed answer ({str(e).splitlines()[0]})")
        if not reply.ok:
            self._err.settle()
            self.last_stderr = self._err.text(since=offset)
            raise WorkerError(
                f"{what}: {reply.error}"
                + _stderr_hint(reply.traceback or "")
                + _stderr_hint(self.last_stderr, "stderr")
            )
        return reply

    def close(self) -> None:
        if self._proc is not None:
            _kill(self._proc)
            self._proc = None
        if self._err is not None:
            self._err.join()
            self.last_stderr = self._err.text() or self.last_stderr
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


class StderrTail:
    """A worker's stderr, read as it comes: counted in full, only the last ``keep`` bytes stored."""

    def __init__(self, pipe, keep: int = STDERR_KEEP):
        self.keep = keep
        self.total = 0
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self._thread.start()

    def _read(self, pipe) -> None:
        try:
            while chunk := pipe.read1(1 << 16):
                with self._lock:
                    self.total += len(chunk)
                    self._buf += chunk
                    del self._buf[: max(0, len(self._buf) - self.keep)]
        except (OSError, ValueError):
            pass
        finally:
            pipe.close()

    def settle(self, quiet_s: float = 0.05, limit_s: float = 1.0) -> None:
        """Wait until nothing new arrived for quiet_s (what was written before an answer is read)."""
        import time

        end, last = time.monotonic() + limit_s, -1
        while self.total != last and time.monotonic() < end:
            last = self.total
            time.sleep(quiet_s)

    def join(self, timeout: float = 5.0) -> None:
        self._thread.join(timeout)

    @property
    def kept(self) -> int:
        return len(self._buf)

    def text(self, n: int = 4000, since: int = 0) -> str:
        """The last n bytes written after the byte count ``since``, with a note of what was dropped."""
        with self._lock:
            fresh = min(len(self._buf), self.total - since)
            data = bytes(self._buf[len(self._buf) - min(fresh, n) :]) if fresh > 0 else b""
            dropped = self.total - since - len(data)
        note = f"[{dropped} earlier bytes of stderr not kept]\n" if dropped > 0 else ""
        return note + data.decode("utf-8", "replace")


def _stderr_hint(text: str, title: str = "", lines: int = 12, width: int = 300) -> str:
    """The last lines of a traceback or of stderr, each cut to width, for an error message."""
    text = text.strip()
    if not text:
        return ""
    tail = [line if len(line) <= width else line[:width] + " ..." for line in text.splitlines()[-lines:]]
    return (f"\n  {title}:" if title else "") + "\n  " + "\n  ".join(tail)
