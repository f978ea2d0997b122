"""The sandbox: bubblewrap with no network, private pid namespace and /tmp, read-only views of
only what a worker needs; probed once, or refused with the reason.

Caps beside the worker's address space (RLIMIT_AS, worker.py): the only writable places, /tmp
and /dev/shm, are tmpfs of at most TMPFS_SIZE bytes each (tmpfs pages are memory outside any
address space), everything else is read-only, and a worker may start at most TASK_LIMIT tasks
(processes and threads, RLIMIT_NPROC; the kernel never applies it to uid 0).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from w2sbench.core.errors import W2SError

# ---------------------------------------------------------------------------------------------
# The sandbox
# ---------------------------------------------------------------------------------------------

TMPFS_SIZE = 256 << 20  # bytes each of the sandbox's /tmp and /dev/shm may hold
TASK_LIMIT = 512  # tasks (processes and threads) a sandboxed worker may add to those its user runs
CODE_MOUNT = "/submission"  # where a worker mounts its staged code (worker.Worker.code_root)

SANDBOX_HELP = (
    "install bubblewrap 0.8 or newer (Debian/Ubuntu: apt-get install bubblewrap) and make sure unprivileged user "
    "namespaces are allowed, or pass --unsandboxed to run the method in a plain worker process "
    "(no protection of files or network)"
)


@dataclass(frozen=True)
class Sandbox:
    """How workers are started: ``bwrap`` (sandboxed) or ``process`` (a plain worker process).

    ``bwrap_args``: the command line a worker appends its code mount and command to: the task-cap
    launcher, then bwrap and its options. ``forbidden``: paths a sandbox must never show (data,
    caches, results); a bind that would contain one is refused.
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
            return (
                f"bubblewrap sandbox (no network, a private /tmp of {TMPFS_SIZE >> 20} MiB, at most {TASK_LIMIT} "
                "tasks, no view of data, caches or results)"
            )
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


# Runs on the host ahead of bwrap, then becomes it (bwrap sets no resource limits). RLIMIT_NPROC
# counts a user's tasks host-wide, so the cap is what the user runs now plus TASK_LIMIT.
_TASK_CAP = """
import os, resource, sys
def tasks(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task")) if os.stat(f"/proc/{pid}").st_uid == os.getuid() else 0
    except OSError:
        return 0
cap = int(sys.argv[1]) + sum(tasks(p) for p in os.listdir("/proc") if p.isdigit())
hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
resource.setrlimit(resource.RLIMIT_NPROC, (cap, cap))
os.execvp(sys.argv[2], sys.argv[2:])
"""


def _bwrap_base(forbidden: tuple[str, ...], user_ns: bool) -> list[str]:
    args = [sys.executable, "-I", "-S", "-c", _TASK_CAP, str(TASK_LIMIT)]
    args += ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if user_ns:
        args += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
    args += _system_binds()
    # first: a bind made after it may sit under /tmp (an install in /tmp)
    args += ["--size", str(TMPFS_SIZE), "--tmpfs", "/tmp"]
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
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMPFS_SIZE), "--tmpfs", "/dev/shm"]
    # the root and /dev are tmpfs too, uncapped: read-only, once the worker's mount point exists
    args += ["--remount-ro", "/dev", "--dir", CODE_MOUNT, "--remount-ro", "/"]
    return args + ["--clearenv", "--chdir", "/tmp"]


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
            return Sandbox(
                "bwrap",
                tuple(base),
                forbidden,
                note="" if user_ns else "bwrap runs without a user namespace (as the host user)",
            )
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
