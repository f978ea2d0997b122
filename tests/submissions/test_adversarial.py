"""Adversarial submissions: methods that try to cheat, and what stops each.

Each adversary is a real submission folder evaluated on the toy track, with the toy task's
ground truth on disk (its parquet files), a feature/weak-label/ceiling cache and a result
store holding another entry's records (test labels included). An attack that works returns
the stolen labels as its predictions; one that does not raises "ATTACK FAILED: ..." saying
what it met. Each test states the outcome:

attack -- outcome -- what stops it:

- read tasks/data parquet, result records, the cache's ceiling predictions, /usr/share
  (WordNet), the repo's tasks/, or load data through w2sbench.tasks.loading -- **fails** (no
  such file) -- sandbox: none of it is mounted
- the same reads without the sandbox (control) -- works: why validate refuses without bwrap
- find labels in memory: gc objects, stack frames, w2sbench.protocol.experiment globals, the
  objects handed to fit -- **fails** (nothing there) -- worker process: it holds only the API's
  inputs
- read a planted secret from the environment or /proc, see the harness's processes -- **fails**
  (cleared env, own pid namespace) -- cleared environment; sandbox pid namespace
- open a socket to a server on the harness's localhost -- **fails** (unreachable) -- sandbox
  network namespace
- the same connection without the sandbox (control) -- works
- write a forged record into its own or another entry's results/, or into the cache --
  **caught**: the run succeeds, nothing is written -- sandbox: read-only code, no results or
  cache mounted
- monkeypatch w2sbench.core.metrics / protocol scoring -- **caught**: scores are computed in the
  harness, unchanged -- worker process
- declare itself an oracle to get validation labels -- **caught**: marked oracle in every
  record, shown apart, never ranked -- the method API
- ship a symbolic link to tasks/data in the folder -- **fails**: refused before anything runs --
  staging refuses links
- send back a pickle that runs code when loaded -- impossible: answers are JSON lines, strictly
  parsed -- worker protocol
- carry the public test labels in a helper module (a 27 kB string) -- **refused** before
  anything runs, naming file and line -- staging: 4 kB literal cap
- ship WordNet's files to rebuild the labels with the project's builder -- **refused**, naming
  the file -- staging: only code and small text
- carry a label table within the caps (short literals) -- scores 1.0, then **flagged**: needs
  review, not ranked -- submissions.review
- keep state from one experiment for the next -- **fails** (the global is empty) -- a fresh
  worker per experiment
- flood stderr (40 MiB) -- **capped**: 64 kB kept, the tail in the message -- worker.StderrTail
- allocate past the memory limit -- **fails** with MemoryError -- RLIMIT_AS on the worker
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from tests.submissions.conftest import (
    HAS_SANDBOX,
    TRACKS,
    attack,
    method_source,
    toy_harness,
    toy_track,
    write_submission,
)
from w2sbench.core.errors import W2SError
from w2sbench.core.metrics import accuracy
from w2sbench.submissions.evaluate import evaluate

pytestmark = pytest.mark.skipif(not HAS_SANDBOX, reason="bubblewrap does not work here; the sandbox is what is tested")
STEAL_FILES = """
def fit(self, ctx):
    import glob, os
    import pyarrow.parquet as pq
    errors, stolen = [], None
    targets = {
        "tasks/data parquet": lambda: pq.read_table(TASKS + "/data/toy/test.parquet").to_pydict(),
        "result store": lambda: json.load(open(sorted(glob.glob(SUBS + "/honest/results/*.json"))[0])),
        "cache ceiling": lambda: dict(np.load(sorted(glob.glob(CACHE + "/artifacts/ceiling/*.npz"))[0])),
        "/usr/share": lambda: os.listdir("/usr/share"),
        "repo tasks/": lambda: os.listdir(REPO_TASKS),
        "w2sbench.tasks.loading": lambda: load_via_harness(),
    }
    for what, read in targets.items():
        try:
            got = read()
        except Exception as e:
            errors.append(f"{what}: {type(e).__name__}")
            continue
        if what == "tasks/data parquet":
            stolen = dict(zip(got["text"], got["label"]))
    if stolen is None:
        raise RuntimeError("ATTACK FAILED: " + "; ".join(errors))
    return lambda inputs: np.array([float(stolen[t]) for t in inputs.texts])
"""
LOAD_VIA_HARNESS = """
def load_via_harness():
    import os
    os.environ["W2SBENCH_TASKS"] = TASKS
    from w2sbench.tasks.loading import load_task_data
    from w2sbench.tasks.task import all_tasks
    return load_task_data(all_tasks()["toy"])
"""


def test_reading_ground_truth_from_disk_fails_in_the_sandbox(arena):
    with pytest.raises(W2SError) as e:
        attack(arena, "steal-files", STEAL_FILES, prelude=LOAD_VIA_HARNESS)
    message = str(e.value)
    assert "submission steal-files" in message and "ATTACK FAILED" in message
    for what in (
        "tasks/data parquet",
        "result store",
        "cache ceiling",
        "/usr/share",
        "repo tasks/",
        "w2sbench.tasks.loading",
    ):
        assert f"{what}: " in message, f"{what} was readable in the sandbox: {message}"
    assert not list((arena["root"] / "steal-files" / "results").glob("*.json"))


def test_control_the_same_reads_work_without_the_sandbox(arena):
    """Why validate refuses to run without bubblewrap: a plain worker process can read the disk."""
    record = attack(arena, "steal-files-control", STEAL_FILES, unsandboxed=True, prelude=LOAD_VIA_HARNESS)
    assert record.scores.acc_w2s == 1.0


MEMORY = """
def fit(self, ctx):
    import gc, inspect, sys
    import w2sbench.protocol.workspace as protocol
    from w2sbench.core.example import Example
    from w2sbench.tasks.loading import TaskData
    from w2sbench.core.splits import Splits
    found = []
    for o in gc.get_objects():
        if isinstance(o, (Example, TaskData, Splits, protocol.Workspace)):
            found.append(type(o).__name__)
        elif isinstance(o, np.ndarray) and o.dtype.kind in "iub" and o.ndim == 1 and len(o) >= 100:
            found.append("a long int array")
    for frame in sys._current_frames().values():
        while frame is not None:
            for key in ("labels", "splits", "data", "ws", "exp"):
                if key in frame.f_locals:
                    found.append(f"frame local {key}")
            frame = frame.f_back
    for key, value in vars(protocol).items():
        items = list(value.values()) if isinstance(value, dict) and not key.startswith("__") else (
            list(value) if isinstance(value, list) else [value])
        if any(isinstance(v, (Example, TaskData, Splits, protocol.Workspace, np.ndarray)) for v in items):
            found.append(f"protocol global {key}")
    if hasattr(ctx, "validation_labels"):
        found.append("validation_labels")
    if found:
        raise RuntimeError("ATTACK FOUND: " + ", ".join(sorted(set(found))))
    raise RuntimeError("ATTACK FAILED: no labels in gc objects, frames, protocol globals or the context")
"""


@pytest.mark.parametrize("unsandboxed", [False, True], ids=["sandbox", "plain-worker"])
def test_labels_are_not_in_the_workers_memory(arena, unsandboxed):
    """gc, frames and module globals hold nothing of ground truth: the worker process never had it."""
    with pytest.raises(W2SError, match="ATTACK FAILED: no labels") as e:
        attack(arena, f"memory-{'plain' if unsandboxed else 'box'}", MEMORY, unsandboxed=unsandboxed)
    assert "ATTACK FOUND" not in str(e.value)


SECRET = "planted-secret-7f3a9c"
ENV = """
def fit(self, ctx):
    import glob, os
    seen = [f"{k}={v}" for k, v in os.environ.items()]
    procs = []
    for path in glob.glob("/proc/[0-9]*/environ"):
        try:
            seen.append(open(path, "rb").read().decode(errors="replace"))
        except OSError:
            pass
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            procs.append(open(path, "rb").read().decode(errors="replace").replace("\\0", " "))
        except OSError:
            pass
    leaked = [s for s in seen if "W2SBENCH_PLANTED" in s]
    raise RuntimeError("ATTACK REPORT: leaked=" + repr(leaked) + " processes=" + repr(procs))
"""


def test_environment_and_harness_processes_are_out_of_reach(arena, monkeypatch):
    monkeypatch.setenv("W2SBENCH_PLANTED_SECRET", SECRET)
    with pytest.raises(W2SError, match="ATTACK REPORT") as e:
        attack(arena, "read-env", ENV)
    message = str(e.value)
    assert SECRET not in message and "leaked=[]" in message
    assert "pytest" not in message, "the sandbox shows the harness's processes"


class _Server:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = False
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.sock.close()


NETWORK = """
def fit(self, ctx):
    import socket
    try:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        s.sendall(b"exfiltrated")
        s.close()
    except OSError as e:
        raise RuntimeError(f"ATTACK FAILED: {type(e).__name__}: {e}")
    return ctx.student.fit(ctx.transfer, ctx.weak_labels)
"""


@pytest.mark.parametrize("unsandboxed", [False, True], ids=["sandbox", "control-plain-worker"])
def test_no_network_in_the_sandbox(arena, unsandboxed):
    server = _Server()
    try:
        body = NETWORK.replace("PORT", str(server.port))
        if unsandboxed:  # control: the connection is real when there is no sandbox
            attack(arena, "network-control", body, unsandboxed=True)
            assert server.accepted == 1
        else:
            with pytest.raises(W2SError, match="ATTACK FAILED: .*(unreachable|refused)"):
                attack(arena, "network", body)
            assert server.accepted == 0
    finally:
        server.close()


WRITE = """
def fit(self, ctx):
    import glob, os
    forged = json.dumps({"forged": True})
    for target in (SUBS + "/write-results/results/forged.json", SUBS + "/honest/results/forged.json",
                   CACHE + "/forged.json", "/submission/forged.json", os.path.expanduser("~/forged.json")):
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as f:
                f.write(forged)
        except OSError:
            pass
    return ctx.student.fit(ctx.transfer, ctx.weak_labels)
"""


def test_writing_result_files_has_no_effect(arena):
    record = attack(arena, "write-results", WRITE)
    assert record.method.name == "write-results"  # the run itself succeeded
    forged = list(arena["root"].rglob("forged.json")) + list(arena["cache"].rglob("forged.json"))
    assert forged == [], f"the method wrote {forged}"
    assert not (arena["root"] / "write-results" / "forged.json").exists()


PATCH = """
def fit(self, ctx):
    import w2sbench.core.metrics as metrics
    import w2sbench.protocol.scoring as protocol
    metrics.accuracy = lambda *a, **k: 1.0
    metrics.pgr = lambda *a, **k: 1.0
    protocol.accuracy = lambda *a, **k: 1.0
    protocol.pgr = lambda *a, **k: 1.0
    protocol.check_predictions = lambda probs, n, method: probs
    return lambda inputs: np.full(len(inputs), 0.49)
"""


def test_patching_the_scorer_in_the_worker_changes_nothing(arena):
    record = attack(arena, "patch-scorer", PATCH)
    p = record.predictions
    assert record.scores.acc_w2s == accuracy(np.array(p.w2s), np.array(p.labels)) < 1.0
    assert record.scores.pgr != 1.0


ORACLE = """
def fit(self, ctx):
    labels = ctx.validation_labels  # only an oracle gets them
    return ctx.student.fit(ctx.validation, labels.astype(float))
"""


def test_claiming_to_be_an_oracle_marks_every_record(arena):
    folder = write_submission(arena["root"], "claims-oracle", method_source("claims-oracle", body=ORACLE, oracle=True))
    harness = toy_harness(arena["cache"], TRACKS, time_limit_s=120)
    [record] = evaluate(folder, harness, show_progress=False).results["toy"]
    assert record.method.oracle is True
    from w2sbench.leaderboard.board import build_leaderboard

    board = build_leaderboard(arena["root"], TRACKS).boards[0]
    assert "claims-oracle" in [r.name for r in board.oracle_rows]
    assert "claims-oracle" not in [r.name for r in board.rows]


def test_the_harness_never_unpickles_what_a_worker_sends():
    """The worker's answers are JSON lines checked by a strict schema (a pickle would run code here)."""
    import inspect

    from w2sbench.submissions.contract import Reply
    from w2sbench.submissions.worker import Worker

    harness_side = inspect.getsource(Worker)
    assert "pickle.loads" not in harness_side and "pickle.load(" not in harness_side
    assert "json.loads" in harness_side
    with pytest.raises(ValidationError, match="extra"):
        Reply.model_validate(json.loads('{"ok": true, "values": [1], "extra": 1}'))


def test_a_symbolic_link_to_the_data_is_refused(arena):
    """Staging copies the submission's code; a link would carry what it points to into the sandbox."""
    folder = write_submission(arena["root"], "links-data", method_source("links-data"))
    (folder / "data").symlink_to(arena["tasks"] / "data")
    with pytest.raises(W2SError, match="submission links-data: data: symbolic links are not allowed"):
        evaluate(folder, toy_harness(arena["cache"], TRACKS), show_progress=False)


def _carrying_labels(arena, name: str, files: dict[str, bytes | str], body: str):
    """An adversary whose folder carries extra files; returns its record or raises what refused it."""
    folder = write_submission(arena["root"], name, method_source(name, body=body))
    for rel, content in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(content if isinstance(content, bytes) else content.encode())
    [record] = evaluate(folder, toy_harness(arena["cache"], TRACKS, time_limit_s=120), show_progress=False).results[
        "toy"
    ]
    return record


def test_labels_carried_in_a_helper_module_are_refused(arena):
    """Test labels are public (shipped data, records): a helper module can carry them as a 27 kB
    base64 string keyed by text. Staging refuses any literal over 4 kB, naming file and line."""
    import base64
    import zlib

    import pyarrow.parquet as pq

    rows = pq.read_table(arena["tasks"] / "data" / "toy" / "test.parquet").to_pydict()
    table = json.dumps(dict(zip(rows["text"], rows["label"], strict=False))).encode()
    blob = base64.b64encode(zlib.compress(table) + b"\0" * 20000).decode()
    helper = (
        f"import base64, json, zlib\nBLOB = {blob!r}\n"
        "LABELS = json.loads(zlib.decompressobj().decompress(base64.b64decode(BLOB)))\n"
    )
    body = """
    def fit(self, ctx):
        import helper_labels
        return lambda inputs: np.array([float(helper_labels.LABELS[t]) for t in inputs.texts])
    """
    assert len(helper) > 27_000
    with pytest.raises(
        W2SError,
        match=r"submission carry-labels: helper_labels.py: line 2: a str literal of \d+ bytes, over the 4096 byte cap",
    ):
        _carrying_labels(arena, "carry-labels", {"helper_labels.py": helper}, body)


@pytest.mark.skipif(not Path("/usr/share/wordnet/data.noun").exists(), reason="needs Debian's wordnet-base")
@pytest.mark.parametrize(
    "rel, name", [("wordnet/data.noun", "ship-wordnet"), ("wordnet/data_noun.txt", "ship-wordnet-text")]
)
def test_public_source_data_shipped_in_the_folder_is_refused(arena, rel, name):
    """The offline tasks are built from WordNet: shipping its files lets a method rebuild the labels
    with the project's own builder. Staging refuses data files and caps text files."""
    chunk = Path("/usr/share/wordnet/data.noun").read_bytes()[:300_000]
    body = """
    def fit(self, ctx):
        import glob
        found = {p: len(open(p, "rb").read()) for p in glob.glob("/submission/wordnet/*")}
        raise RuntimeError(f"ATTACK FOUND: {found}")
    """
    with pytest.raises(W2SError, match=f"submission {name}: {rel}: (files of this kind|a text file of)"):
        _carrying_labels(arena, name, {rel: chunk}, body)


STATE = """
def fit(self, ctx):
    if SEEN:
        raise RuntimeError("ATTACK FOUND: state of an earlier experiment: " + ", ".join(SEEN))
    SEEN.append(f"seed {ctx.seed} weak labels {np.round(ctx.weak_labels[:3], 3).tolist()}")
    return ctx.student.fit(ctx.transfer, ctx.weak_labels)
"""


def test_no_state_carries_from_one_experiment_to_the_next(arena):
    """A module global set at seed 0 is gone at seed 1: every experiment gets a fresh worker."""
    tracks = {"toy": toy_track(seeds=(0, 1))}
    folder = write_submission(
        arena["root"], "keeps-state", method_source("keeps-state", body=STATE, prelude="SEEN = []\n")
    )
    harness = toy_harness(arena["cache"], tracks, time_limit_s=120, extra_forbidden=(arena["root"],))
    records = evaluate(folder, harness, show_progress=False).results["toy"]
    assert sorted(r.seed for r in records) == [0, 1]


LOUD = """
def fit(self, ctx):
    import sys
    chunk = "x" * 1023 + "\\n"
    for _ in range(40 * 1024):  # 40 MiB
        sys.stderr.write(chunk)
    sys.stderr.write("LAST WORDS\\n")
    sys.stderr.flush()
    raise RuntimeError("done shouting")
"""


def test_a_flood_of_stderr_is_capped_and_its_tail_kept(arena, monkeypatch):
    """40 MiB written to stderr: the harness keeps the last 64 kB (the tail is in the message)."""
    from w2sbench.submissions import worker

    kept = []
    original = worker.StderrTail.text
    monkeypatch.setattr(
        worker.StderrTail, "text", lambda self, *a, **k: kept.append((self.total, self.kept)) or original(self, *a, **k)
    )
    with pytest.raises(W2SError, match="done shouting") as e:
        attack(arena, "loud", LOUD)
    assert "LAST WORDS" in str(e.value)
    total, stored = max(kept)
    assert total >= 40 * 1024 * 1024 and stored <= worker.STDERR_KEEP


HOG = """
def fit(self, ctx):
    try:
        hog = np.empty(3 << 30, dtype=np.uint8)  # 3 GiB of address space, never touched
    except MemoryError:
        raise RuntimeError("ATTACK FAILED: MemoryError")
    raise RuntimeError(f"ATTACK FOUND: allocated {hog.nbytes} bytes")
"""


def test_a_worker_cannot_allocate_past_its_memory_limit(arena):
    folder = write_submission(arena["root"], "memory-hog", method_source("memory-hog", body=HOG))
    harness = toy_harness(arena["cache"], TRACKS, time_limit_s=120, extra_forbidden=(arena["root"],))
    harness.memory_limit = 2 << 30
    with pytest.raises(W2SError, match="ATTACK FAILED: MemoryError"):
        evaluate(folder, harness, show_progress=False)


def test_labels_carried_within_the_caps_are_flagged_not_ranked(arena):
    """What the caps cannot stop: a label table keyed by 8 hex digits of each test text's hash
    (a few kB of short literals) scores perfectly; the board lists it as needs review, unranked."""
    import hashlib

    import pyarrow.parquet as pq

    from w2sbench.leaderboard.board import build_leaderboard

    rows = pq.read_table(arena["tasks"] / "data" / "toy" / "test.parquet").to_pydict()
    short = {hashlib.sha256(t.encode()).hexdigest()[:8]: y for t, y in zip(rows["text"], rows["label"], strict=False)}
    prelude = f"import hashlib\nTABLE = {short!r}\n"
    body = """
    def fit(self, ctx):
        return lambda inputs: np.array([float(TABLE[hashlib.sha256(t.encode()).hexdigest()[:8]]) for t in inputs.texts])
    """
    assert len(short) == len(rows["text"]) and len(prelude) < 16_000
    record = attack(arena, "small-table", body, prelude=prelude)
    assert record.scores.acc_w2s == 1.0
    board = build_leaderboard(arena["root"], TRACKS).boards[0]
    assert "small-table" not in [r.name for r in board.rows]
    assert any(name == "small-table" and why.startswith("needs review") for name, why in board.invalid)
