"""Driver for tests/test_fault_tolerance.py: run a small sweep on the fake ladder, kill -9 it, resume.

    python tests/fault_sweep.py ROOT --seed S --kills N

The driver imports everything once and never runs a torch op itself; every sweep runs in a
forked child (a fresh process that has only to open the stores), so many kills fit in a CI
budget. It writes:
    ROOT/reference/{cache,results}  one uninterrupted run
    ROOT/chaos<k>/{cache,results}   runs killed with SIGKILL, resumed until complete
    ROOT/summary.json               the kill schedule, for the test to check and to print
Kills are of two kinds: after a random delay (anywhere: loading, features, baselines,
experiments, record writes), and at a random atomic write just before its rename (so a
temporary file is certainly left behind for the resumed run to clean up).
The toy task comes from W2SBENCH_TASKS (the test's tasks_env fixture).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from tests.conftest import FakeEncoder, fake_ladder  # noqa: E402
from w2sbench.core import store  # noqa: E402
from w2sbench.methods.api import make_method  # noqa: E402
from w2sbench.protocol.workspace import Workspace  # noqa: E402
from w2sbench.running.grid import Grid  # noqa: E402
from w2sbench.running.sweep import run_grid
from w2sbench.tasks.task import get_task  # noqa: E402


def grid() -> Grid:
    ladder = fake_ladder()
    weak, mid, strong = ladder.rungs
    return Grid(
        [get_task("toy")],
        ladder,
        [(weak, strong), (mid, strong)],
        [make_method("naive"), make_method("naive", {"hard": True})],
        [0, 1],
    )


def sweep(root: Path, die_at_write: int | None = None) -> None:
    """The child: run the grid to completion (or die at the given atomic write)."""
    torch.set_num_threads(1)
    if die_at_write is not None:
        real_replace, count = os.replace, [0]

        def replace(src, dst):
            if not str(dst).startswith(str(root)):  # only the harness's own stores count
                return real_replace(src, dst)
            count[0] += 1
            if count[0] == die_at_write and str(src).endswith(".tmp"):
                os.kill(os.getpid(), signal.SIGKILL)  # the temporary is written, not yet renamed
            return real_replace(src, dst)

        store.os.replace = replace
    ws = Workspace(root / "cache", root / "results", encoder_factory=FakeEncoder)
    run_grid(ws, grid(), show_progress=False)


def in_child(root: Path, kill_after: float | None = None, die_at_write: int | None = None) -> dict:
    """Fork a sweep; SIGKILL it after kill_after seconds if it is still running."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            sweep(root, die_at_write)
        except BaseException as e:  # report, but never return into the driver's code
            print(f"child failed: {type(e).__name__}: {e}", file=sys.stderr)
            code = 1
        os._exit(code)
    killed, status = False, None
    if kill_after is not None:
        deadline = start + kill_after
        while time.perf_counter() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            status = None
            time.sleep(0.005)
        else:
            os.kill(pid, signal.SIGKILL)
    if status is None:
        _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    if os.WIFSIGNALED(status):
        killed = os.WTERMSIG(status) == signal.SIGKILL
    elif os.WEXITSTATUS(status) != 0:
        raise SystemExit(f"sweep failed (exit {os.WEXITSTATUS(status)})")
    return {"killed": killed, "seconds": round(elapsed, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kills", type=int, default=12, help="timed kills that must hit a running sweep")
    parser.add_argument("--write-kills", type=int, default=3, help="kills at an atomic write, before its rename")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    summary: dict = {"seed": args.seed, "chains": []}

    reference = in_child(args.root / "reference")
    summary["reference_seconds"] = reference["seconds"]
    span = reference["seconds"]

    timed = 0
    chain = 0
    while timed < args.kills:
        root = args.root / f"chaos{chain}"
        events = []
        if chain == 0:
            for _ in range(args.write_kills):
                at = rng.randint(1, 6)  # a full sweep makes about 20 atomic writes
                outcome = in_child(root, die_at_write=at)
                events.append({"kind": "write", "at_write": at, **outcome})
        while timed < args.kills:
            delay = rng.uniform(0.0, 0.5) * span
            outcome = in_child(root, kill_after=delay)
            events.append({"kind": "timed", "delay": round(delay, 3), **outcome})
            if not outcome["killed"]:
                break  # it finished first: this chain is done, start another one
            timed += 1
        events.append({"kind": "resume", **in_child(root)})
        summary["chains"].append({"root": root.name, "events": events})
        chain += 1
    (args.root / "summary.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
