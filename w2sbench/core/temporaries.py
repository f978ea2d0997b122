"""Temporaries that killed writers left behind: found and removed before a run.

store.atomic_write_bytes writes every cache file and record to a ``.*.tmp`` file beside its
target and renames it into place; a run killed between the two leaves the temporary. This
module decides, safely on local and network disks, which of them no live writer still holds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_NETWORK_FS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "lustre",
    "gpfs",
    "ceph",
    "glusterfs",
    "beegfs",
    "fuse.sshfs",
    "fuse.s3fs",
    "fuse.gcsfuse",
    "9p",
    "afs",
}


def _open_files() -> set[str] | None:
    """Real paths every visible local process holds open (Linux /proc); None where unknowable."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    held = set()
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(proc / pid / "fd")
        except OSError:
            continue
        for fd in fds:
            try:
                held.add(os.readlink(proc / pid / "fd" / fd))
            except OSError:
                continue
    return held


def _fs_type(path: Path) -> str | None:
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target, best, kind = os.path.realpath(path), "", None
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3:
            mount = parts[1].replace("\\040", " ")
            if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
                best, kind = mount, parts[2]
    return kind


def remove_stale_temporaries(roots: list[Path], grace_s: float = 0.25, network_age_s: float = 3600.0) -> list[Path]:
    """Delete the temporaries (``.*.tmp``) that killed writers left in the cache and result store.

    A temporary is a write that never completed: store.atomic_write_bytes renames it into
    place or deletes it, so one that no live process holds open belongs to a killed run. On a
    local disk, one that no local process has open and that is still there, unchanged,
    ``grace_s`` later (longer than a live writer's close-to-rename step) is removed. On a
    network disk a writer on another machine is invisible, so only temporaries older than
    ``network_age_s`` go. Returns what was removed.
    """
    candidates = [p for root in roots if Path(root).is_dir() for p in Path(root).rglob(".*.tmp") if p.is_file()]
    if not candidates:
        return []
    first = {p: _mtime(p) for p in candidates}
    time.sleep(grace_s)
    held = _open_files()
    removed = []
    now = time.time()
    for p in candidates:
        mtime = _mtime(p)
        if mtime is None or mtime != first[p]:
            continue  # renamed, removed or still being written
        network = _fs_type(p) in _NETWORK_FS
        if held is None or network:
            if now - mtime < network_age_s:
                continue
        elif os.path.realpath(p) in held:
            continue
        try:
            p.unlink()
            removed.append(p)
        except FileNotFoundError:
            pass
    return removed


def _mtime(p: Path) -> float | None:
    try:
        return p.stat().st_mtime
    except OSError:
        return None
