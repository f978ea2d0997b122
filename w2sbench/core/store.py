"""Atomic, content-verified files: every cache and record goes through here.

A write goes to a temporary file in the same folder and is renamed into place, so a killed
run leaves either the old file or the new one, never half of one. Arrays are stored with
the sha256 of their bytes; a file whose content does not match is reported and dropped,
so it gets recomputed instead of used.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def warn_corrupt(path: Path, why: str) -> None:
    print(f"w2sbench: {path} is corrupted ({why}); discarding it and recomputing", file=sys.stderr)


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write named arrays atomically, with a checksum of their content."""
    buf = io.BytesIO()
    np.savez(buf, __sha256__=np.array(_digest(arrays)), **arrays)
    atomic_write_bytes(path, buf.getvalue())


def load_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """Read arrays written by save_arrays; None (after deleting the file) if missing or corrupted."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        expected = str(arrays.pop("__sha256__"))
    except Exception as e:  # a truncated or overwritten file fails in many ways inside numpy/zipfile
        warn_corrupt(path, f"unreadable: {type(e).__name__}")
        path.unlink(missing_ok=True)
        return None
    if _digest(arrays) != expected:
        warn_corrupt(path, "checksum mismatch")
        path.unlink(missing_ok=True)
        return None
    return arrays
