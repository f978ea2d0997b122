"""Stateless prediction (Linux): every test batch answered from the post-fit state by a fresh
fork under a seccomp filter, so nothing a method does carries from one batch to the next
(the worker's main loop, w2sbench.submissions.worker_main, sets it up before any submitted code)."""

from __future__ import annotations

import json
import os
import pickle

from w2sbench.submissions.seccomp import ARCH, seccomp_program


class IsolationError(RuntimeError):
    """The post-fit process could not be set up as stateless prediction needs (never a method's doing alone)."""


def _isolation(sandboxed: bool, _predict):
    """The code that serves predictions after fit, built before any submitted code is imported:
    it holds references to what it calls, so a method that replaces ``os.fork`` or a function of
    this module during fit changes nothing here. Returns ``serve(proto_fd, fit_reply)``, which
    never returns.

    T, forked from the fitted worker W, stops W (SIGSTOP stops every thread of it), kills every
    other process the method started, closes the method's files and pipes, turns memory shared
    with W or helpers into private copies, and records the access times of the writable folders.
    Then, per batch, C is forked from T without Python's at-fork hooks (a method's handlers do
    not run, and ``random`` keeps its post-fit state) and installs its seccomp filter before any
    method code runs again; it answers in a memory file only T reads. T forwards the answer,
    reaps C and restores the access times C's reads moved before the next child (forked while C
    predicted, so before C could touch anything) may start. T is not dumpable: C cannot read it
    through /proc. So no batch finds what an earlier one stored, anywhere. What a child can
    still observe is time and counters (the clock, the next thread id): a few bits, not a
    store, and code that signals through them is no method's.
    """
    import ctypes
    import platform
    import random
    import resource
    import signal
    import time

    arch = platform.machine()
    fork, fork_raw = os.fork, ctypes.PyDLL(None, use_errno=True).fork
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    mmap = libc.mmap
    mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    mmap.restype = ctypes.c_void_p
    mprotect = libc.mprotect
    mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    mprotect.restype = ctypes.c_int
    memmove, string_at, get_errno = ctypes.memmove, ctypes.string_at, ctypes.get_errno

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    program = seccomp_program
    kill, getpid, getppid, _exit = os.kill, os.getpid, os.getppid, os._exit
    read, write, close, dup2, closerange = os.read, os.write, os.close, os.dup2, os.closerange
    os_open, listdir, scandir, utime = os.open, os.listdir, os.scandir, os.utime
    memfd_create, fstat, preadv, waitpid = os.memfd_create, os.fstat, os.preadv, os.waitpid
    getstate, setstate = random.getstate, random.setstate
    sigstop, sigkill = signal.SIGSTOP, signal.SIGKILL
    pipe = os.pipe
    sleep, monotonic = time.sleep, time.monotonic
    max_fd = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    slots = (max_fd - 3, max_fd - 2, max_fd - 1)  # a predicting child's answer file, go and done pipes
    dumps, loads, predict, fmt_exc = json.dumps, pickle.loads, _predict, __import__("traceback").format_exc
    home = os.getcwd()
    PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP = 1, 4, 38, 22
    PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
    MAP_PRIVATE_ANON_FIXED = 0x02 | 0x20 | 0x10
    MAX_REPLY = 256 << 20
    EOF_MARK = b"E"
    if not sandboxed:  # orphans of the method's processes come back to W, where T finds them
        prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER

    def slurp(path: str) -> str:
        fd = os_open(path, os.O_RDONLY)
        try:
            chunks = []
            while chunk := read(fd, 1 << 16):
                chunks.append(chunk)
            return b"".join(chunks).decode("utf-8", "replace")
        finally:
            close(fd)

    def state(pid: int) -> str | None:
        try:
            return slurp(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return None

    def ppid_of(pid: int) -> int | None:
        try:
            return int(slurp(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None

    def others(w: int, me: int) -> list[int]:
        """The live processes besides W, T and the sandbox's init: in the sandbox's own pid
        namespace every one of them; unsandboxed, W's descendants (W is their subreaper)."""
        pids = [int(p) for p in listdir("/proc") if p.isdigit()]
        if sandboxed:
            found = [p for p in pids if p not in (1, w, me)]
        else:
            children: dict[int, list[int]] = {}
            for p in pids:
                children.setdefault(ppid_of(p), []).append(p)
            found, todo = [], list(children.get(w, []))
            while todo:
                p = todo.pop()
                if p != me:
                    found.append(p)
                    todo += children.get(p, [])
        return [p for p in found if state(p) not in (None, "Z", "X")]

    def privatize_shared_memory() -> None:
        """Memory shared with W or a helper (mmap MAP_SHARED, shm) becomes a private copy."""
        for line in slurp("/proc/self/maps").splitlines():
            fields = line.split()
            if len(fields) < 2 or fields[1][3] != "s":
                continue
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            perms, size = fields[1], hi - lo
            prot = (
                (PROT_READ if "r" in perms else 0)
                | (PROT_WRITE if "w" in perms else 0)
                | (PROT_EXEC if "x" in perms else 0)
            )
            data = string_at(lo, size) if "r" in perms or mprotect(lo, size, PROT_READ) == 0 else None
            if mmap(lo, size, PROT_READ | PROT_WRITE, MAP_PRIVATE_ANON_FIXED, -1, 0) != lo:
                raise IsolationError(f"cannot make the shared mapping {fields[0]} private (errno {get_errno()})")
            if data:
                memmove(lo, data, size)
            mprotect(lo, size, prot)

    def access_times(roots: list[str]) -> list[tuple[str, int, int]]:
        found, todo = [], [r for r in roots if os.path.lexists(r)]
        while todo:
            path = todo.pop()
            try:
                st = os.lstat(path)
            except OSError:
                continue
            found.append((path, st.st_atime_ns, st.st_mtime_ns))
            if os.path.isdir(path) and not os.path.islink(path):
                try:
                    todo += [e.path for e in scandir(path)]
                except OSError:
                    pass
        return found

    def restore(times: list[tuple[str, int, int]]) -> None:
        for path, atime, mtime in times:  # every one, each time: which were read shows nowhere
            try:
                utime(path, ns=(atime, mtime), follow_symlinks=False)
            except OSError:
                pass

    def write_all(fd: int, data) -> None:
        view = memoryview(data)
        while len(view):
            view = view[write(fd, view) :]

    def error_line(message: str) -> bytes:
        return (dumps({"ok": False, "error": message}) + "\n").encode()

    def read_frame(fd: int) -> bytes | None:
        def exactly(n: int) -> bytes | None:
            chunks, left = [], n
            while left:
                chunk = read(fd, min(left, 1 << 20))
                if not chunk:
                    return None
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)

        head = exactly(8)
        return None if head is None else exactly(int.from_bytes(head, "big"))

    def child(t: int, fds: tuple[int, int, int]) -> None:
        """C: wait for T's go, read the batch, shut itself in, predict, answer, exit.

        fds: its answer's memory file, the read end of its go pipe and the write end of its
        done pipe, moved to the three highest descriptors (where no descriptor a method kept
        from fit lands by chance); every other descriptor T held is closed."""
        frame, done = None, False
        answer, go, finished = slots
        try:
            prctl(PR_SET_PDEATHSIG, sigkill, 0, 0, 0)
            if getppid() != t:
                _exit(0)
            for fd, slot in zip(fds, slots, strict=False):
                dup2(fd, slot)
            dup2(2, 1)
            closerange(3, answer)  # the protocol's stdout, the earlier child's files, the method's
            closerange(finished + 1, 2**31 - 1)
            if not read(go, 1):  # go: the child before has exited and been reaped
                _exit(0)
            close(go)
            frame, done = read_frame(0), True
            close(0)  # the next batch is never in reach
            if frame is None:
                write_all(answer, EOF_MARK)
                _exit(0)
            filt = program(arch, getpid())
            if prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                raise IsolationError(f"prctl(PR_SET_NO_NEW_PRIVS) failed (errno {get_errno()})")
            prog = Fprog(len(filt) // 8, filt)
            if prctl(PR_SET_SECCOMP, 2, ctypes.addressof(prog), 0, 0) != 0:
                raise IsolationError(f"the seccomp filter could not be installed (errno {get_errno()})")
        except BaseException as e:  # noqa: BLE001
            try:
                if not done:  # the request is consumed first: the answer must be this batch's
                    read_frame(0)
                write_all(answer, error_line(f"stateless prediction could not be set up: {type(e).__name__}: {e}"))
                write(finished, b"1")
            finally:
                _exit(0)
        try:  # from here on submitted code runs again, shut in
            kind, payload = loads(frame)
            if kind != "predict":
                raise RuntimeError(f"unexpected request {kind!r} after fit (one experiment per worker)")
            reply = {"ok": True, **predict(payload)}
        except BaseException as e:  # noqa: BLE001 - every failure of submitted code becomes an answer
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": fmt_exc()[-6000:]}
        try:
            line = (dumps(reply) + "\n").encode()
        except (TypeError, ValueError) as e:
            line = error_line(f"the answer cannot be sent: {e}")
        try:
            write_all(answer, line)
            write(finished, b"1")
        finally:
            _exit(0)

    def spawn(me: int) -> tuple[int, int, int, int]:
        """A child forked now, waiting for its go: (pid, answer file, go pipe, done pipe)."""
        memfd = memfd_create("w2sbench-answer")
        go_r, go_w = pipe()
        done_r, done_w = pipe()
        pid = fork_raw()
        if pid == 0:
            child(me, (memfd, go_r, done_w))
            _exit(0)
        if pid < 0:
            raise IsolationError(f"fork failed (errno {get_errno()})")
        close(go_r)
        close(done_w)  # the done pipe reads end-of-file once the child is gone
        return pid, memfd, go_w, done_r

    def setup(w: int, me: int, proto: int) -> list[tuple[str, int, int]]:
        if arch not in ARCH:
            raise IsolationError(f"stateless prediction needs Linux on x86_64 or aarch64 (this is {arch})")
        prctl(PR_SET_PDEATHSIG, sigkill, 0, 0, 0)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        end = monotonic() + 5.0
        while state(w) != "T":
            if monotonic() > end:
                raise IsolationError("the fitted worker did not stop")
            sleep(0.0005)
        for lo, hi in ((3, proto), (proto + 1, 2**31 - 1)):  # the method's files, pipes and sockets
            if lo < hi:
                closerange(lo, hi)
        end = monotonic() + 5.0
        while rest := others(w, me):
            if monotonic() > end:
                raise IsolationError(f"processes the method started do not end: {rest[:5]}")
            for p in rest:
                try:
                    kill(p, sigkill)
                except OSError:
                    pass
            sleep(0.001)
        if len(listdir("/proc/self/task")) != 1:
            raise IsolationError("a thread was started in the forked process (an at-fork handler of the method?)")
        privatize_shared_memory()
        return access_times(["/tmp", "/dev/shm"] if sandboxed else [home])

    def answers(w: int, me: int, proto: int, times: list) -> None:
        """T's loop: one child per batch. The next child is forked while this one predicts, and
        told to go only once this one has exited and been reaped (it never sees a live one)."""
        buf = bytearray(1 << 16)
        nxt = spawn(me)
        while True:
            pid, memfd, go_w, done_r = nxt
            write(go_w, b"1")
            close(go_w)
            nxt = spawn(me)
            read(done_r, 1)  # its answer is written, or it is gone
            close(done_r)
            try:
                kill(pid, sigkill)
            except OSError:
                pass
            size = fstat(memfd).st_size
            if len(buf) < size <= MAX_REPLY:
                buf[:] = bytes(len(buf))
                buf = bytearray(size)
            got = preadv(memfd, [memoryview(buf)[:size]], 0) if 0 < size <= MAX_REPLY else 0
            close(memfd)
            if size == len(EOF_MARK) and buf[:size] == EOF_MARK:  # the harness closed the worker
                return
            if size == 0:
                write_all(
                    proto,
                    error_line("the predicting process ended without an answer (killed by a signal, or it exited)"),
                )
            elif size > MAX_REPLY or got != size:
                write_all(proto, error_line(f"the answer of {size} bytes is too long or unreadable"))
            elif buf.find(b"\n", 0, size) != size - 1:
                write_all(proto, error_line("the predicting process wrote something other than one answer"))
            else:
                write_all(proto, memoryview(buf)[:size])
            n = min(size, len(buf))
            buf[:n] = bytes(n)  # nothing of this answer stays in T for the next child to find
            waitpid(pid, 0)  # while the harness makes the next batch
            restore(times)

    def serve(proto: int, fit_reply: bytes) -> None:
        saved = getstate()
        w = getpid()
        if fork() != 0:  # W: stop, with every thread the method started; killed with the worker
            while True:
                kill(w, sigstop)
        try:  # T: never returns to the worker's loop
            me = getpid()
            setstate(saved)  # random's at-fork reseed undone: T holds exactly the state fit left
            try:
                times = setup(w, me, proto)
            except BaseException as e:
                write_all(proto, error_line(f"stateless prediction could not be set up: {type(e).__name__}: {e}"))
                raise
            write_all(proto, fit_reply)
            answers(w, me, proto, times)
        finally:
            try:
                kill(w, sigkill)
            finally:
                _exit(0)

    return serve
