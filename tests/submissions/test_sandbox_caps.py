"""The sandbox's caps beside the address space: writable tmpfs of a bounded size, read-only
everywhere else, and a bounded number of tasks (a fork bomb stops)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.submissions.conftest import needs_sandbox
from w2sbench.submissions.sandbox import (
    CODE_MOUNT,
    TASK_LIMIT,
    TMPFS_SIZE,
    probe_sandbox,
)

pytestmark = needs_sandbox

FILL = """
import errno, json, os, sys
out = {}
for d in sys.argv[1:]:
    path, written = os.path.join(d, "fill"), 0
    try:
        with open(path, "wb") as f:
            while True:
                f.write(b"x" * (1 << 20))
                f.flush()
                written += 1 << 20
    except OSError as e:
        out[d] = [written, errno.errorcode[e.errno]]
    if os.path.exists(path):
        os.remove(path)
print(json.dumps(out))
"""

FORK_BOMB = """
import os, signal
started = 0
try:
    while started < 4 * int(os.environ["LIMIT"]):
        if os.fork() == 0:
            signal.pause()
            os._exit(0)
        started += 1
    print("not stopped", started)
except OSError as e:
    print("stopped", started, e.strerror)
"""


def in_sandbox(stage: Path, code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run Python code in the sandbox a worker gets, stage mounted where a worker's code is."""
    setenv = [a for k, v in (env or {}).items() for a in ("--setenv", k, v)]
    out = subprocess.run(
        [*probe_sandbox().bwrap_args, "--ro-bind", str(stage), CODE_MOUNT, *setenv, sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_tmp_and_shm_hold_at_most_their_cap_and_nothing_else_is_writable(tmp_path):
    """tmpfs pages are memory no address-space cap counts: /tmp and /dev/shm fill up at TMPFS_SIZE,
    the root, /dev and the code mount do not take a byte."""
    filled = json.loads(in_sandbox(tmp_path, FILL, "/tmp", "/dev/shm", "/", "/dev", CODE_MOUNT))
    for d in ("/tmp", "/dev/shm"):
        written, why = filled[d]
        assert why == "ENOSPC" and TMPFS_SIZE - (2 << 20) <= written <= TMPFS_SIZE, (d, written)
    assert {d: filled[d] for d in ("/", "/dev", CODE_MOUNT)} == {d: [0, "EROFS"] for d in ("/", "/dev", CODE_MOUNT)}


def test_the_sandbox_caps_its_tasks(tmp_path):
    soft, hard = json.loads(
        in_sandbox(tmp_path, "import json, resource; print(json.dumps(resource.getrlimit(resource.RLIMIT_NPROC)))")
    )
    assert soft == hard and TASK_LIMIT <= soft < 1 << 30


@pytest.mark.skipif(
    os.getuid() == 0,
    reason="the kernel never applies RLIMIT_NPROC to uid 0, and the sandbox's "
    "user namespace maps to the host's uid: run as a non-root user (as CI does)",
)
def test_a_fork_bomb_stops_at_the_task_cap(tmp_path):
    out = in_sandbox(tmp_path, FORK_BOMB, env={"LIMIT": str(TASK_LIMIT)})
    verdict, started = out.split()[:2]
    assert verdict == "stopped" and int(started) <= TASK_LIMIT, out
