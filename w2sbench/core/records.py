"""Reading a folder of result records without changing it (a store would set corrupt files aside),
with the rules every reader applies (core.result: a record lives in the file its key names,
and a cell has one record)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from w2sbench.core.result import Result, duplicates, misnamed


def relative_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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


def intact_records(folders: list[Path]) -> list[Result]:
    """Every record of the folders for a read-only command: nothing is moved or written, and a
    folder holding a bad record is an error naming each file and the command that repairs it."""
    from w2sbench.core.errors import CacheError

    found, bad = [], []
    for folder in folders:
        records, problems = read_records(folder)
        found += records.values()
        # a .corrupt file is one a store already set aside for inspection: not a record, not a problem
        bad += [f"{relative_name(p)}: {why}" for p, why in problems if p.suffix != ".corrupt"]
    if bad:
        raise CacheError(
            f"{len(bad)} result record(s) cannot be used (nothing was changed): "
            + "; ".join(bad[:5])
            + (" ..." if len(bad) > 5 else "")
            + ". Repair: delete them and re-make them with the command "
            "that wrote the folder (`w2sbench run --results DIR` with the same options, or "
            "`w2sbench evaluate SUBMISSION --prune`), which recomputes only what is missing"
        )
    return found
