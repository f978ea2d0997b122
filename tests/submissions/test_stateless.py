"""Stateless inductive prediction: every test batch is predicted from the state fit left, with
nothing carried from one batch to the next (w2sbench.submissions.stateless._isolation).

The test batches come in an order fixed per test set (so that records reproduce), which made a
predictor that remembers earlier batches reproducible too: on a matched-pair task it could
pair each input with its partner from an earlier batch. Each batch is now answered by a fresh
fork of the fitted worker that can write nothing anywhere, so a method's module globals, class
attributes, environment, shared memory, files and helper threads all start from the post-fit
state again. In the tests below a stateful method answers like its stateless counterpart; the
same classes run in-process (as a builtin would) show that the channels work where nothing
isolates them.
"""

from __future__ import annotations

import glob
import os
import sys
import tempfile
import types

import numpy as np
import pytest

from tests.conftest import FakeEncoder, fake_ladder, write_task, write_toy_task
from tests.submissions.conftest import (
    HAS_SANDBOX,
    method_source,
    toy_track,
    write_submission,
)
from w2sbench.core.errors import W2SError
from w2sbench.submissions.evaluate import evaluate
from w2sbench.submissions.harness import Harness
from w2sbench.submissions.seccomp import seccomp_program

MODES = [
    pytest.param(False, id="sandbox", marks=pytest.mark.skipif(not HAS_SANDBOX, reason="no bubblewrap here")),
    pytest.param(True, id="plain-worker"),
]
PAIRS = toy_track("pairs").model_copy(update={"tasks": ["pairs"]})
TRACKS = {"toy": toy_track(), "pairs": PAIRS}


def pair_rows(n_pairs: int, seed: int, prefix: str) -> list[dict]:
    """Matched pairs: word k once positive and once negative (values v and -v), as in the WordNet
    tasks whose each word is the answer once and a distractor once."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, v in enumerate(np.abs(rng.normal(size=n_pairs)) + 0.05):
        for side, value in (("a", v), ("b", -v)) if rng.random() < 0.5 else (("a", -v), ("b", v)):
            rows.append(
                {
                    "id": f"{prefix}{k}{side}",
                    "text": f"item {prefix}w{k} side {side} value {value:.3f}",
                    "text_pair": None,
                    "label": int(value > 0),
                    "group": f"{prefix}w{k}",
                }
            )
    return rows


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A tasks folder with the toy task and a matched-pair task, a cache and a submissions root."""
    from w2sbench.tasks.task import _registry

    base = tmp_path_factory.mktemp("stateless")
    folder = write_toy_task(base / "tasks")
    write_task(folder, "pairs", pair_rows(300, 0, "t"), pair_rows(150, 1, "s"), "matched pairs for tests")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("W2SBENCH_TASKS", str(folder))
        _registry.cache_clear()
        yield {"cache": base / "cache", "root": base / "submissions"}
    _registry.cache_clear()


def harness(env, unsandboxed: bool = not HAS_SANDBOX) -> Harness:
    from w2sbench.tasks.task import get_task

    return Harness(
        env["cache"],
        tracks=TRACKS,
        ladder=lambda name: fake_ladder(),
        task=get_task,
        encoder_factory=FakeEncoder,
        unsandboxed=unsandboxed,
        time_limit_s=120,
        threads=1,
    )


def run(
    env,
    name: str,
    body: str,
    track: str = "toy",
    unsandboxed: bool = not HAS_SANDBOX,
    prelude: str = "",
    fields: str = "",
    parameters: dict | None = None,
    builtin: bool = False,
):
    """The entry's record on the track: submitted (run in a worker), or with ``builtin`` the same
    class registered here and run in-process, as nothing isolates it."""
    source = method_source(name, body=body, prelude=prelude, fields=fields)
    if builtin:
        key = f"w2s_test_{name.replace('-', '_')}"
        module = sys.modules.setdefault(key, types.ModuleType(key))
        exec(compile(source, f"<{name}>", "exec"), module.__dict__)  # noqa: S102 - registers the class
        folder = write_submission(env["root"], name, builtin=name, tracks=(track,), parameters=parameters)
    else:
        folder = write_submission(env["root"], name, source, tracks=(track,), parameters=parameters)
    [record] = evaluate(folder, harness(env, unsandboxed), show_progress=False).results[track]
    return record


COUNTER = """
def fit(self, ctx):
    import os, tempfile
    cls, path = type(self), os.path.join(tempfile.gettempdir(), "w2s-counter")

    def predict(inputs):
        earlier = len(CALLS) + getattr(cls, "calls", 0) + int(os.environ.get("W2S_CALLS", "0"))
        try:
            earlier += len(open(path).read())
        except OSError:
            pass
        CALLS.append(1)
        cls.calls = getattr(cls, "calls", 0) + 1
        os.environ["W2S_CALLS"] = str(earlier + 1)
        try:
            with open(path, "a") as f:
                f.write("x")
        except OSError:
            pass
        return np.full(len(inputs), 0.2 + 0.05 * min(earlier, 10))
    return predict
"""


@pytest.mark.parametrize("unsandboxed", MODES)
def test_a_counting_predictor_answers_every_batch_as_the_first(env, unsandboxed):
    """A predictor that counts its calls (a module global, a class attribute, an environment
    variable, a file) sees none before any batch: every answer is the first batch's."""
    record = run(
        env, f"counter-{'plain' if unsandboxed else 'box'}", COUNTER, unsandboxed=unsandboxed, prelude="CALLS = []\n"
    )
    assert set(record.predictions.w2s) == {0.2}


CHANNELS = """
def fit(self, ctx):
    import mmap, os, socket, tempfile, threading
    student = ctx.student.fit(ctx.transfer, ctx.weak_labels)
    cls = type(self)
    shared = mmap.mmap(-1, 4096)  # MAP_SHARED and anonymous: the same pages in every fork
    r, w = os.pipe()
    os.set_blocking(r, False)
    flag = os.path.join(tempfile.gettempdir(), f"w2s-channels-{os.getpid()}")
    probe = flag + ".probe"
    with open(probe, "w") as f:
        f.write("x")
    atime = os.stat(probe).st_atime_ns
    near, far = socket.socketpair()
    heard = []

    def helper():  # a thread of the fitted process, counting the batches it is told of
        while data := far.recv(64):
            heard.append(data)
            far.send(str(len(heard)).encode())

    threading.Thread(target=helper, daemon=True).start()
    os.register_at_fork(after_in_child=lambda: FORKS.append(1))

    def predict(inputs):
        seen = []
        if CALLS:
            seen.append("module global")
        if getattr(cls, "calls", 0):
            seen.append("class attribute")
        if os.environ.get("W2S_SEEN"):
            seen.append("environment")
        if shared[0]:
            seen.append("shared memory")
        if os.path.exists(flag):
            seen.append("file")
        if os.stat(probe).st_atime_ns != atime:
            seen.append("access time")
        if len(FORKS) > 1:
            seen.append("an at-fork handler run per batch")
        try:
            if os.read(r, 64):
                seen.append("pipe")
        except OSError:
            pass
        try:
            near.send(b"batch")
            if int(near.recv(64)) > 1:
                seen.append("helper thread")
        except OSError:
            pass
        if seen:
            raise RuntimeError("ATTACK FOUND: an earlier batch left its trace in " + ", ".join(seen))
        CALLS.append(len(inputs))
        cls.calls = 1
        os.environ["W2S_SEEN"] = "1"
        shared[0] = 1
        with open(probe) as f:
            f.read()
        for act in (lambda: open(flag, "w").write("seen"), lambda: os.write(w, b"x")):
            try:
                act()
            except OSError:
                pass
        return student(inputs)
    return predict
"""


@pytest.mark.parametrize("unsandboxed", MODES)
def test_no_channel_carries_one_batch_to_the_next(env, unsandboxed):
    """Globals, class attributes, environment, shared memory, files, access times, pipes and a
    helper thread: the predictor finds no trace of an earlier batch, and answers as the plain
    submitted naive does, prediction for prediction."""
    tag = "plain" if unsandboxed else "box"
    record = run(env, f"channels-{tag}", CHANNELS, unsandboxed=unsandboxed, prelude="CALLS, FORKS = [], []\n")
    honest = run(
        env,
        f"plain-naive-{tag}",
        "\n    def fit(self, ctx):\n        return ctx.student.fit(ctx.transfer, ctx.weak_labels)\n",
        unsandboxed=unsandboxed,
    )
    assert record.predictions.w2s == honest.predictions.w2s


def test_control_in_process_the_channels_carry(env, monkeypatch):
    """The same class run in-process (a builtin): the second batch already sees the first."""
    monkeypatch.delenv("W2S_SEEN", raising=False)
    try:
        with pytest.raises(
            W2SError, match="ATTACK FOUND: .*module global, class attribute, environment, shared memory"
        ):
            run(env, "channels-inproc", CHANNELS, prelude="CALLS, FORKS = [], []\n", builtin=True)
    finally:
        os.environ.pop("W2S_SEEN", None)
        for p in glob.glob(os.path.join(tempfile.gettempdir(), f"w2s-channels-{os.getpid()}*")):
            os.unlink(p)


PAIRING = """
def fit(self, ctx):
    student = ctx.student.fit(ctx.transfer, ctx.weak_labels)
    carry = self.carry

    def predict(inputs):
        p = np.asarray(student(inputs), dtype=float)
        out, words = p.copy(), {}
        for i, text in enumerate(inputs.texts):
            words.setdefault(text.split()[1], []).append(i)
        for word, idx in words.items():
            if len(idx) == 2:  # both of the pair in this batch: the likelier is the positive
                hi = idx[0] if p[idx[0]] >= p[idx[1]] else idx[1]
                out[hi], out[sum(idx) - hi] = 0.9, 0.1
            elif carry and word in SEEN:  # its partner came in an earlier batch
                out[idx[0]] = 0.9 if p[idx[0]] > SEEN[word] else 0.1
            elif carry:
                SEEN[word] = p[idx[0]]
        return out
    return predict
"""


def test_pairing_across_batches_scores_as_its_stateless_counterpart(env):
    """On a matched-pair task, a predictor that pairs each input with its partner from an earlier
    batch answers exactly as the one that pairs within a batch only; in-process it would gain."""
    fields, prelude = "carry: bool = False\n", "SEEN = {}\n"
    unsandboxed = not HAS_SANDBOX
    carrying = run(env, "pair-carry", PAIRING, "pairs", unsandboxed, prelude, fields, {"carry": True})
    within = run(env, "pair-within", PAIRING, "pairs", unsandboxed, prelude, fields, {"carry": False})
    assert carrying.predictions.w2s == within.predictions.w2s
    assert carrying.scores.acc_w2s == within.scores.acc_w2s
    inproc = run(
        env, "pair-inproc", PAIRING, "pairs", prelude=prelude, fields=fields, parameters={"carry": True}, builtin=True
    )
    assert inproc.scores.acc_w2s > within.scores.acc_w2s + 0.015  # the attack, where nothing isolates the batches


def test_the_filter_denies_writes_processes_and_sockets():
    """The child's seccomp program checks the architecture first and ends by allowing the rest."""
    import struct

    for arch in ("x86_64", "aarch64"):
        prog = seccomp_program(arch, 1234)
        ops = [struct.unpack("=HBBI", prog[i : i + 8]) for i in range(0, len(prog), 8)]
        assert ops[0] == (0x20, 0, 0, 4) and ops[-1] == (0x06, 0, 0, 0x7FFF0000)
        assert len(ops) < 4096  # BPF_MAXINSNS
        for code, jt, jf, _ in ops:
            assert code not in (0x15, 0x35, 0x45) or (jt + jf) < len(ops)


SHUT_IN = """
def fit(self, ctx):
    student = ctx.student.fit(ctx.transfer, ctx.weak_labels)

    def predict(inputs):
        import os, socket, tempfile, threading
        refused = []
        for what, act in [("write a file", lambda: open(os.path.join(tempfile.gettempdir(), "w2s-x"), "w")),
                          ("make a folder", lambda: os.mkdir(os.path.join(tempfile.gettempdir(), "w2s-d"))),
                          ("fork", os.fork), ("socket", lambda: socket.socket()),
                          ("signal the parent", lambda: os.kill(os.getppid(), 0))]:
            try:
                act()
            except OSError:
                refused.append(what)
        box = []
        t = threading.Thread(target=lambda: box.append(1))
        t.start()
        t.join()
        if refused != ["write a file", "make a folder", "fork", "socket", "signal the parent"] or box != [1]:
            raise RuntimeError(f"refused {refused}, thread ran: {box}")
        return student(inputs)
    return predict
"""


@pytest.mark.parametrize("unsandboxed", MODES)
def test_a_predicting_child_can_read_and_start_threads_and_nothing_else(env, unsandboxed):
    """Inside a batch's fork: no file written, no folder made, no process forked, no socket, no
    signal to the parent; a thread runs (torch's pool needs them) and the batch is answered."""
    record = run(env, f"shut-in-{'plain' if unsandboxed else 'box'}", SHUT_IN, unsandboxed=unsandboxed)
    assert len(record.predictions.w2s) == record.task.n_test


def test_a_batch_s_features_are_kept_beside_the_fitted_ones_with_the_same_answers():
    """FeatureSource.add keeps a batch's features apart (a batch's fork then writes only those),
    and get answers as when they were copied in with the others: same values, dtype and layout."""
    from w2sbench.submissions.contract import FeatureSource

    rng = np.random.default_rng(0)
    for extra_dtype in (np.float32, np.float64):
        base = rng.normal(size=(10, 4)).astype(np.float32)
        source = FeatureSource("strong", [f"t{i}" for i in range(10)], base)
        new = rng.normal(size=(5, 4)).astype(extra_dtype)
        source.add(["x0", "x1", "t3", "x1", "x2"], new)
        copied = np.concatenate([base, new[[0, 1, 4]]])  # what add used to build
        row = {**{f"t{i}": i for i in range(10)}, "x0": 10, "x1": 11, "x2": 12}
        for texts in (["t1", "x1", "t9", "x2"], ["t1", "t2"], ["x0"], []):
            got, want = source.get(texts), copied[[row[t] for t in texts]]
            assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
            assert got.flags.c_contiguous
        assert len(source) == 13
