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
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from w2sbench.core.errors import SubmissionError
from w2sbench.core.records import read_records
from w2sbench.core.store import atomic_write_bytes
from w2sbench.running.tracks import Track, get_track
from w2sbench.submissions.harness import Harness, SubmissionMethod, _limit, _run_grid, method_session, track_grid
from w2sbench.submissions.metadata import Submission, list_submissions, load_submission
from w2sbench.submissions.validate import mismatch
from w2sbench.tasks.private import commitment, private_mirror

PRIVATE_DIR = Path("leaderboard") / "private"
SPLIT_FILE = "split.json"


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
        raise SubmissionError(f"track {track.name} is not private (tracks.yaml: private: true); its board is "
                              "scored on the public test split, there is nothing to rescore")
    tasks = [harness.task(t) for t in track.tasks]
    lacking = [t.id for t in tasks if t.private is None]
    if lacking:
        raise SubmissionError(f"track {track.name}: task(s) {', '.join(lacking)} have no private: field in their "
                              "task file, so no private test split can be drawn for them")
    return tasks


def entries_of(root: Path, track: Track, harness: Harness, names: list[str] | None) -> list[Submission]:
    """The submissions under root that enter the track (all, or those named)."""
    subs = [s for s in (load_submission(f, harness.tracks) for f in list_submissions(root)) if track.name in s.metadata.tracks]
    if names:
        unknown = sorted(set(names) - {s.name for s in subs})
        if unknown:
            raise SubmissionError(f"no entry {', '.join(unknown)} under {root} enters track {track.name}")
        subs = [s for s in subs if s.name in names]
    return subs


def rescore(root: Path | str, track_name: str, harness: Harness, secret: str, out: Path | str = PRIVATE_DIR,
            names: list[str] | None = None, show_progress: bool = True, check: bool = False) -> RescoreReport:
    """Run the track's grid on the private split for each entry; write records and split.json under
    out/<track>/. With ``check``, write nothing: re-run into a scratch folder and report every
    committed record (and split.json) the re-run does not reproduce, by validate's rule."""
    track = get_track(track_name, harness.tracks)
    tasks = private_tasks(track, harness)
    subs = entries_of(Path(root), track, harness, names)
    mirror = private_mirror(tasks, secret, harness.cache_dir / "private")
    private = dataclasses.replace(harness, private_data=mirror, caches=None)  # never the public rows' caches
    folder = Path(out) / track.name
    ws = private.workspace(folder)  # for the split's data only: it writes nothing
    split = {t.id: {"test_sha256": commitment(mirror[t.id]), "data_revision": ws.task_data(t).data_revision,
                    "n_test": len(ws.task_data(t).test)} for t in tasks}
    report = RescoreReport(track.name, split, {}, [], [])
    with tempfile.TemporaryDirectory(prefix="w2sbench-rescore-") as scratch:
        for sub in subs:
            ws = private.workspace((Path(scratch) if check else folder) / sub.name)
            with method_session(sub, private) as method:
                if isinstance(method, SubmissionMethod):
                    method.limit_s = _limit(track, private)
                results = _run_grid(ws, track_grid(track, method, private), sub, show_progress)
            report.records[sub.name] = len(results)
            if check:
                report.problems += _unreproduced(folder / sub.name, results)
            else:
                _remove_stale(folder / sub.name, {r.key[:32] for r in results}, report)
    path = folder / SPLIT_FILE
    body = (json.dumps({"track": track.name, "tasks": split}, indent=1, sort_keys=True) + "\n").encode()
    if check:
        if not path.exists() or path.read_bytes() != body:
            report.problems.append(f"{path}: does not name the split this secret draws (another secret, or a "
                                   "draw never committed)")
        return report
    if not names:  # entries that left the track (or the repository) leave the private board too
        for gone in sorted(p for p in folder.glob("*/") if p.name not in report.records):
            shutil.rmtree(gone)
            report.removed.append(gone)
    atomic_write_bytes(path, body)
    return report


def _remove_stale(folder: Path, keep: set[str], report: RescoreReport) -> None:
    for p in sorted(folder.glob("*.json")):
        if p.stem not in keep:
            p.unlink()
            report.removed.append(p)


def _unreproduced(folder: Path, results: list) -> list[str]:
    """Each committed private record the re-run does not reproduce, and each one missing or extra."""
    committed, bad = read_records(folder)
    problems = [f"{p}: {why}" for p, why in bad]
    for r in results:
        record = committed.get(r.key[:32])
        why = "missing" if record is None else mismatch(record, r)
        if why:
            problems.append(f"{folder / r.key[:32]}.json: {why}")
    problems += [f"{folder / stem}.json: belongs to no experiment of the track (stale)"
                 for stem in sorted(set(committed) - {r.key[:32] for r in results})]
    return problems
