"""Reading a folder of result records without changing it (a store would set corrupt files aside),
and the two rules every reader applies: a record lives in the file its key names, and a cell
(task, pair, method, seed, regime) has one record."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from pydantic import ValidationError

from w2sbench.core.result import Result


def relative_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def record_file_name(key: str) -> str:
    """The file a record of this key lives in (ResultStore.path)."""
    return f"{key[:32]}.json"


def misnamed(path: Path, r: Result) -> str | None:
    """Why a record's file name is not its key's (a copy counted as another seed), or None."""
    if path.name == record_file_name(r.key):
        return None
    return (
        f"its key names {record_file_name(r.key)}, not {path.name} (a copy or a rename of that record); "
        f"records are never renamed: delete {path.name} and re-run evaluate"
    )


def cell_of(r: Result) -> tuple:
    """What one record stands for: (task, ladder, weak, strong, method and its parameters, seed,
    regime). Two parameter settings of one method (naive and naive hard=True) are two cells."""
    params = json.dumps(r.method.params, sort_keys=True)
    return (r.task.id, r.ladder, r.weak.name, r.strong.name, r.method.name, params, r.seed, r.provenance.regime)


def duplicates(found: dict[Path, Result]) -> list[tuple[Path, str]]:
    """Every record of a cell that has more than one, each naming the others."""
    by_cell: dict[tuple, list[Path]] = defaultdict(list)
    for path, r in found.items():
        by_cell[cell_of(r)].append(path)
    bad = []
    for cell, paths in by_cell.items():
        if len(paths) < 2:
            continue
        task, _, weak, strong, method, params, seed, regime = cell
        method = method if params == "{}" else f"{method} {params}"
        for p in paths:
            others = ", ".join(q.name for q in paths if q != p)
            why = (
                f"a second record for {task} {weak}->{strong} {method} seed {seed} ({regime}): also in {others}; "
                "keep the one of the current code (`w2sbench evaluate ... --prune` removes stale ones)"
            )
            bad.append((p, why))
    return bad


def read_records(folder: Path) -> tuple[dict[str, Result], list[tuple[Path, str]]]:
    """Records by file stem, without touching the folder (ResultStore would move corrupt files).

    A misnamed record, and every record of a cell that has two, are returned as bad, never as found.
    """
    found, bad = {}, []
    for p in sorted(Path(folder).glob("*")):
        if p.is_dir():
            bad.append((p, "unexpected folder in results/"))
            continue
        if p.suffix != ".json":
            bad.append((p, "unexpected file in results/ (only result records, *.json)"))
            continue
        try:
            r = Result.model_validate_json(p.read_bytes())
        except (ValidationError, ValueError, OSError) as e:
            bad.append((p, f"not a valid result record: {str(e).splitlines()[0]}"))
            continue
        if r.sha256 != r.content_sha256():
            bad.append((p, "checksum mismatch (edited by hand?)"))
            continue
        why = misnamed(p, r)
        if why:
            bad.append((p, why))
            continue
        found[p] = r
    twice = duplicates(found)
    for p, _ in twice:
        found.pop(p, None)
    return {p.stem: r for p, r in found.items()}, bad + twice
