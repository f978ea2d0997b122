"""Reading a folder of result records without changing it (a store would set corrupt files aside)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from w2sbench.core.result import Result


def relative_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_records(folder: Path) -> tuple[dict[str, Result], list[tuple[Path, str]]]:
    """Records by file stem, without touching the folder (ResultStore would move corrupt files)."""
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
        if p.stem != r.key[:32]:
            bad.append((p, f"file name does not match its key {r.key[:32]}"))
            continue
        found[p.stem] = r
    return found, bad
