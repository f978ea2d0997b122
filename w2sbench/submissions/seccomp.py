"""The seccomp filter of a predicting child (w2sbench.submissions.stateless): the syscalls it may
not make, and the classic-BPF program that enforces that on x86_64 and aarch64."""

from __future__ import annotations

# Syscalls a predicting child may not make (x86_64 and the generic table of aarch64; numbers
# from 424 on are the same on both). Files: nothing created, written, renamed, removed or given
# new metadata (open and openat are checked on their flags). Processes: no new process (threads
# only), no new session or group, no signal to another process, no ptrace and no access to
# another's memory, scheduling or limits. No sockets, System V or POSIX IPC, keyrings, io_uring,
# BPF or perf events, namespaces or mounts. The rest (reads, memory, threads) is allowed.
_DENY = {
    "x86_64": [
        85,
        83,
        258,
        84,
        87,
        263,
        82,
        264,
        316,
        86,
        265,
        88,
        266,
        90,
        91,
        268,
        92,
        93,
        94,
        260,
        132,
        235,
        261,
        280,
        188,
        189,
        190,
        197,
        198,
        199,
        76,
        133,
        259,
        304,
        57,
        58,
        112,
        109,
        200,
        434,
        424,
        438,
        101,
        310,
        311,
        312,
        440,
        448,
        68,
        69,
        70,
        71,
        64,
        65,
        66,
        220,
        29,
        30,
        31,
        67,
        240,
        241,
        242,
        243,
        244,
        245,
        248,
        249,
        250,
        41,
        425,
        426,
        427,
        321,
        298,
        323,
        300,
        272,
        308,
        165,
        166,
        442,
        429,
        428,
        430,
        431,
        432,
        433,
        155,
        161,
        163,
        167,
        168,
        170,
        171,
        179,
        443,
    ],
    "aarch64": [
        34,
        35,
        38,
        276,
        37,
        36,
        52,
        53,
        54,
        55,
        88,
        5,
        6,
        7,
        14,
        15,
        16,
        45,
        33,
        265,
        157,
        154,
        130,
        434,
        424,
        438,
        117,
        270,
        271,
        272,
        440,
        448,
        186,
        187,
        188,
        189,
        190,
        191,
        192,
        193,
        194,
        195,
        196,
        197,
        180,
        181,
        182,
        183,
        184,
        185,
        217,
        218,
        219,
        198,
        425,
        426,
        427,
        280,
        241,
        282,
        262,
        97,
        268,
        40,
        39,
        442,
        429,
        428,
        430,
        431,
        432,
        433,
        41,
        51,
        89,
        224,
        225,
        161,
        162,
        60,
        443,
    ],
}
_DENY_NEW = [
    451,
    452,
    463,
    466,
    467,
    469,
]  # cachestat, fchmodat2, setxattrat, removexattrat, open_tree_attr, file_setattr
_NEWEST = 470  # numbers from here on (syscalls newer than this table) answer ENOSYS
ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}  # AUDITARCH_*
_CALLS = {  # the syscalls checked on their arguments: name -> number per architecture
    "open": {"x86_64": 2},
    "openat": {"x86_64": 257, "aarch64": 56},
    "openat2": {"x86_64": 437, "aarch64": 437},
    "clone": {"x86_64": 56, "aarch64": 220},
    "clone3": {"x86_64": 435, "aarch64": 435},
    "kill": {"x86_64": 62, "aarch64": 129},
    "tgkill": {"x86_64": 234, "aarch64": 131},
    "rt_sigqueueinfo": {"x86_64": 129, "aarch64": 138},
    "rt_tgsigqueueinfo": {"x86_64": 297, "aarch64": 240},
    "setpriority": {"x86_64": 141, "aarch64": 140},
    "ioprio_set": {"x86_64": 251, "aarch64": 30},
    "sched_setaffinity": {"x86_64": 203, "aarch64": 122},
    "sched_setscheduler": {"x86_64": 144, "aarch64": 119},
    "sched_setparam": {"x86_64": 142, "aarch64": 118},
    "sched_setattr": {"x86_64": 314, "aarch64": 274},
    "prlimit64": {"x86_64": 302, "aarch64": 261},
    "migrate_pages": {"x86_64": 256, "aarch64": 238},
    "move_pages": {"x86_64": 279, "aarch64": 239},
}
_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o20000000  # O_WRONLY O_RDWR O_CREAT O_TRUNC __O_TMPFILE
_CLONE_THREAD = 0x00010000
EPERM, ENOSYS = 1, 38


def seccomp_program(arch: str, me: int) -> bytes:
    """The classic-BPF seccomp filter of a predicting child whose pid is ``me`` (see _DENY)."""
    import struct

    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000

    def errno(e: int) -> int:  # SECCOMP_RET_ERRNO
        return 0x00050000 | e

    def arg(i: int) -> int:  # offset of the low 32 bits of argument i (little-endian)
        return 16 + 8 * i

    prog: list[tuple[int, int, int, int]] = [(ld, 0, 0, 4), (jeq, 1, 0, ARCH[arch]), (ret, 0, 0, kill), (ld, 0, 0, 0)]
    if arch == "x86_64":  # the x32 ABI: the same calls under other numbers
        prog += [(jge, 0, 1, 0x40000000), (ret, 0, 0, errno(EPERM))]
    prog += [(jge, 0, 1, _NEWEST), (ret, 0, 0, errno(ENOSYS))]
    for nr in sorted(set(_DENY[arch]) | set(_DENY_NEW)):
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, errno(EPERM))]

    def guarded(name: str, block: list) -> None:
        nr = _CALLS[name].get(arch)
        if nr is not None:
            prog.append((jeq, 0, len(block), nr))
            prog.extend(block)

    def pid_is_me(i: int) -> list:  # argument i is this process's pid
        return [(ld, 0, 0, arg(i)), (jeq, 0, 1, me), (ret, 0, 0, allow), (ret, 0, 0, errno(EPERM))]

    def pid_is_mine(i: int) -> list:  # 0 or its pid: itself (the next batch's child has a larger pid)
        return [(ld, 0, 0, arg(i)), (jeq, 1, 0, 0), (jeq, 0, 1, me), (ret, 0, 0, allow), (ret, 0, 0, errno(EPERM))]

    for name, i in (("open", 1), ("openat", 2)):
        guarded(name, [(ld, 0, 0, arg(i)), (jset, 0, 1, _WRITE_FLAGS), (ret, 0, 0, errno(EPERM)), (ret, 0, 0, allow)])
    guarded("openat2", [(ret, 0, 0, errno(ENOSYS))])  # its flags are behind a pointer; libc falls back to openat
    guarded("clone", [(ld, 0, 0, arg(0)), (jset, 0, 1, _CLONE_THREAD), (ret, 0, 0, allow), (ret, 0, 0, errno(EPERM))])
    guarded("clone3", [(ret, 0, 0, errno(ENOSYS))])  # its flags are behind a pointer; libc falls back to clone
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        guarded(name, pid_is_me(0))
    for name in (
        "sched_setaffinity",
        "sched_setscheduler",
        "sched_setparam",
        "sched_setattr",
        "prlimit64",
        "migrate_pages",
        "move_pages",
    ):
        guarded(name, pid_is_mine(0))
    for name, which in (("setpriority", 0), ("ioprio_set", 1)):  # PRIO_PROCESS, IOPRIO_WHO_PROCESS only
        guarded(name, [(ld, 0, 0, arg(0)), (jeq, 1, 0, which), (ret, 0, 0, errno(EPERM))] + pid_is_mine(1))
    prog.append((ret, 0, 0, allow))
    return b"".join(struct.pack("=HBBI", *op) for op in prog)
