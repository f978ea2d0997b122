"""`rescore`: the maintainers score every entry of a private track on its private test split.

A track with ``private: true`` is ranked on records the harness made on a test split drawn from
the maintainers' secret (w2sbench.tasks.private), kept in ``leaderboard/private/<track>/<entry>/``
next to ``split.json``, which names the split by its sha256 (its commitment). An entry's own
records, on the public test split, are for development and for ``validate``; nothing in a
submission folder reaches the private board. Training data and weak supervision are the public
track's: only the test split differs, so the board ranks what a method does on examples no
submission could have carried labels for.

Like ``evaluate``, a rescore resumes: finished records are read back, never recomputed. Records of
an earlier method version or an earlier draw (after the secret is rotated) are removed.
``check`` is the private boards' validate: whoever holds the secret (the maintainers' CI) re-runs
every entry and compares with the committed records by validate's rule.

The committed form of a private record, and why it carries nothing back: w2sbench.submissions.private_records.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from w2sbench.core.errors import SubmissionError
from w2sbench.core.result import (
    record_file_name,
)
from w2sbench.core.store import atomic_write_bytes
from w2sbench.running.tracks import Track, get_track
from w2sbench.submissions.harness import (
    Harness,
    SubmissionMethod,
    _limit,
    _run_grid,
    method_session,
    track_grid,
)
from w2sbench.submissions.metadata import Submission, list_submissions, load_submission
from w2sbench.submissions.private_records import (
    PRIVATE_DIR,
    SPLIT_FILE,
    PrivateRecord,
    read_private,
    reduce_committed,
    reduce_record,
)
from w2sbench.submissions.validate import WHOSE
from w2sbench.tasks.private import (
    commitment,
    folder_of,
    private_mirror,
)


@dataclass
class RescoreReport:
    track: str
    split: dict[str, dict]  # task id -> its private split's sha256, data revision and size
    records: dict[str, int]  # entry -> records on the private split
    removed: list[Path]
    problems: list[str]  # --check: committed records or split.json that the re-run does not reproduce


def private_tasks(track: Track, harness: Harness) -> list:
    """The track's tasks, each with a private draw (an error names those without)."""
    if not track.private:
        raise SubmissionError(
            f"track {track.name} is not private (tracks.yaml: private: true); its board is "
            "scored on the public test split, there is nothing to rescore"
        )
    tasks = [harness.task(t) for t in track.tasks]
    lacking = [t.id for t in tasks if t.private is None]
    if lacking:
        raise SubmissionError(
            f"track {track.name}: task(s) {', '.join(lacking)} have no private: field in their "
            "task file, so no private test split can be drawn for them"
        )
    return tasks


def entries_of(root: Path, track: Track, harness: Harness, names: list[str] | None) -> list[Submission]:
    """The submissions under root that enter the track (all, or those named)."""
    subs = [
        s
        for s in (load_submission(f, harness.tracks) for f in list_submissions(root))
        if track.name in s.metadata.tracks
    ]
    if names:
        unknown = sorted(set(names) - {s.name for s in subs})
        if unknown:
            raise SubmissionError(f"no entry {', '.join(unknown)} under {root} enters track {track.name}")
        subs = [s for s in subs if s.name in names]
    return subs


def rescore(
    root: Path | str,
    track_name: str,
    harness: Harness,
    secret: str,
    out: Path | str = PRIVATE_DIR,
    names: list[str] | None = None,
    show_progress: bool = True,
    check: bool = False,
) -> RescoreReport:
    """Run the track's grid on the private split for each entry; write its committed records
    (PrivateRecord: correctness in the keyed order, a commitment) and split.json under
    out/<track>/, and keep the full records in the cache (full_records_dir), where a rescore
    resumes from. With ``check``, write nothing: re-run into a scratch folder and report every
    committed record (and split.json) the re-run does not reproduce, by validate's rule on the
    hard predictions (compared in the order the committed records use)."""
    track = get_track(track_name, harness.tracks)
    tasks = private_tasks(track, harness)
    subs = entries_of(Path(root), track, harness, names)
    mirror = private_mirror(tasks, secret, harness.cache_dir / "private")
    private = dataclasses.replace(harness, private_data=mirror, caches=None)  # never the public rows' caches
    folder = Path(out) / track.name
    full = full_records_dir(secret, harness, track)  # the full records: the maintainers' cache only
    ws = private.workspace(full)  # for the split's data only: it writes nothing (never on the committed folder)
    split = {
        t.id: {
            "test_sha256": commitment(mirror[t.id]),
            "data_revision": ws.task_data(t).data_revision,
            "n_test": len(ws.task_data(t).test),
        }
        for t in tasks
    }
    report = RescoreReport(track.name, split, {}, [], [])
    with tempfile.TemporaryDirectory(prefix="w2sbench-rescore-") as scratch:
        for sub in subs:
            ws = private.workspace((Path(scratch) if check else full) / sub.name, track)
            with method_session(sub, private) as method:
                if isinstance(method, SubmissionMethod):
                    method.limit_s = _limit(track, private)
                results = _run_grid(
                    ws, track_grid(track, method, private), sub, show_progress, stage_lines=not show_progress
                )
            report.records[sub.name] = len(results)
            if check:  # compared in the order the committed records use
                committed, _ = read_private(folder / sub.name)
                orders = {c.key: c.correct.order for c in committed.values()}
                reduced = [reduce_record(r, secret, orders.get(r.key, "keyed")) for r in results]
                report.problems += _unreproduced(folder / sub.name, reduced)
            else:
                keep = {r.key[:32] for r in results}
                _write_reduced(folder / sub.name, [reduce_record(r, secret) for r in results])
                _remove_stale(folder / sub.name, keep, report)
                _remove_stale(full / sub.name, keep, None)
    path = folder / SPLIT_FILE
    body = (json.dumps({"track": track.name, "tasks": split}, indent=1, sort_keys=True) + "\n").encode()
    if check:
        if not path.exists() or path.read_bytes() != body:
            report.problems.append(
                f"{path}: does not name the split this secret draws (another secret, or a draw never committed)"
            )
        return report
    if not names:  # entries that left the track (or the repository) leave the private board too
        for gone in sorted(p for p in folder.glob("*/") if p.name not in report.records):
            shutil.rmtree(gone)
            report.removed.append(gone)
    atomic_write_bytes(path, body)
    return report


def full_records_dir(secret: str, harness: Harness, track: Track) -> Path:
    """Where a rescore keeps the full records (labels, probabilities) it reduces and resumes from:
    under the cache, beside the private draw, in the folder named by a digest of the secret."""
    return folder_of(secret, harness.cache_dir / "private") / "records" / track.name


def _write_reduced(folder: Path, reduced: list[PrivateRecord]) -> None:
    for p in reduced:
        path, body = folder / record_file_name(p.key), p.dump()
        if not path.exists() or path.read_bytes() != body:
            atomic_write_bytes(path, body)


def _remove_stale(folder: Path, keep: set[str], report: RescoreReport | None) -> None:
    for p in sorted(folder.glob("*.json")):
        if p.stem not in keep:
            p.unlink()
            if report is not None:
                report.removed.append(p)


def private_mismatch(committed: PrivateRecord, again: PrivateRecord) -> str | None:
    """Why a committed private record is not its re-run's, by validate's rule on what it holds:
    the same test set, and every hard prediction identical (so every correctness identical). Its
    probabilities are not committed, so they are not compared; the commitment opens only with
    a bit-identical re-run, which validate's rule does not ask for."""
    if committed.correct.ids_sha256 != again.correct.ids_sha256:
        return "the test set differs from the re-run's"
    if committed.correct.order != again.correct.order:
        return (
            f"its examples are in the {committed.correct.order} order, the re-run's in the {again.correct.order} order"
        )
    for m in ("weak", "ceiling", "w2s"):
        a, b = getattr(committed.correct, m), getattr(again.correct, m)
        if len(a) != len(b):
            return f"{WHOSE[m]}: {len(a)} predictions in the record, {len(b)} in the re-run"
        flips = sum(x != y for x, y in zip(a, b, strict=False))
        if flips:
            return f"{WHOSE[m]}: {flips} hard prediction(s) changed"
    return None


def _unreproduced(folder: Path, reduced: list[PrivateRecord]) -> list[str]:
    """Each committed private record the re-run does not reproduce, and each one missing or extra."""
    committed, bad = read_private(folder)
    problems = [f"{p}: {why}" for p, why in bad]
    for r in reduced:
        record = committed.get(r.key[:32])
        why = "missing" if record is None else private_mismatch(record, r)
        if why:
            problems.append(f"{folder / record_file_name(r.key)}: {why}")
    problems += [
        f"{folder / stem}.json: belongs to no experiment of the track (stale)"
        for stem in sorted(set(committed) - {r.key[:32] for r in reduced})
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    """``python -m w2sbench.submissions.rescore --reduce FOLDER``: the one conversion of private
    records committed in full (before records were reduced) into the committed form."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m w2sbench.submissions.rescore", description=main.__doc__)
    ap.add_argument(
        "--reduce",
        type=Path,
        required=True,
        metavar="FOLDER",
        help="the private boards' folder (leaderboard/private): FOLDER/TRACK/ENTRY/*.json",
    )
    args = ap.parse_args(argv)
    done = reduce_committed(args.reduce)
    for path in done:
        print(f"reduced {path}")
    print(f"{len(done)} full record(s) reduced under {args.reduce}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
