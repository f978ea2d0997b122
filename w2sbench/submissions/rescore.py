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
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from w2sbench.core.errors import SubmissionError
from w2sbench.core.store import atomic_write_bytes
from w2sbench.running.tracks import Track, get_track
from w2sbench.submissions.harness import Harness, SubmissionMethod, _limit, _run_grid, method_session, track_grid
from w2sbench.submissions.metadata import Submission, list_submissions, load_submission
from w2sbench.tasks.private import commitment, private_mirror

PRIVATE_DIR = Path("leaderboard") / "private"
SPLIT_FILE = "split.json"


@dataclass
class RescoreReport:
    track: str
    split: dict[str, dict]  # task id -> its private split's sha256 and data revision
    records: dict[str, int]  # entry -> records on the private split
    removed: list[Path]


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
            names: list[str] | None = None, show_progress: bool = True) -> RescoreReport:
    """Run the track's grid on the private split for each entry; write records and split.json under out/<track>/."""
    track = get_track(track_name, harness.tracks)
    tasks = private_tasks(track, harness)
    subs = entries_of(Path(root), track, harness, names)
    mirror = private_mirror(tasks, secret, harness.cache_dir / "private")
    private = dataclasses.replace(harness, private_data=mirror)
    folder = Path(out) / track.name
    ws = private.workspace(folder)  # for the split's data only: it writes nothing
    split = {t.id: {"test_sha256": commitment(mirror[t.id]), "data_revision": ws.task_data(t).data_revision,
                    "n_test": len(ws.task_data(t).test)} for t in tasks}
    counts, removed = {}, []
    for sub in subs:
        ws = private.workspace(folder / sub.name)
        with method_session(sub, private) as method:
            if isinstance(method, SubmissionMethod):
                method.limit_s = _limit(track, private)
            results = _run_grid(ws, track_grid(track, method, private), sub, show_progress)
        keep = {r.key[:32] for r in results}
        for p in sorted((folder / sub.name).glob("*.json")):
            if p.stem not in keep:
                p.unlink()
                removed.append(p)
        counts[sub.name] = len(results)
    if not names:  # entries that left the track (or the repository) leave the private board too
        for gone in sorted(p for p in folder.glob("*/") if p.name not in counts):
            shutil.rmtree(gone)
            removed.append(gone)
    atomic_write_bytes(folder / SPLIT_FILE, (json.dumps({"track": track.name, "tasks": split}, indent=1,
                                                        sort_keys=True) + "\n").encode())
    return RescoreReport(track.name, split, counts, removed)
