"""Staging a submission's code: the copy a worker imports from, never the folder itself."""

from __future__ import annotations

import shutil
from pathlib import Path

from w2sbench.core.errors import W2SError


def stage_code(folder: Path, into: Path) -> Path:
    """Copy a submission's code (not its results, caches or hidden files) to a fresh folder.

    A symbolic link anywhere in the folder is refused: copying would follow it, and a link
    to ../../tasks/data would carry ground truth into the sandbox.
    """
    folder = Path(folder)
    links = [p for p in folder.rglob("*") if p.is_symlink()]
    if links:
        raise W2SError(
            f"submission {folder.name}: symbolic links are not allowed in a submission "
            f"({', '.join(str(p.relative_to(folder)) for p in links[:3])})"
        )
    into.mkdir(parents=True, exist_ok=True)

    def ignore(directory, names):
        skip = {n for n in names if n.startswith(".") or n in ("__pycache__", "results")}
        return skip | {n for n in names if n.endswith((".json", ".parquet", ".npz", ".npy", ".pt"))}

    shutil.copytree(folder, into, ignore=ignore, dirs_exist_ok=True, symlinks=False)
    return into
