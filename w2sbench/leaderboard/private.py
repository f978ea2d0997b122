"""A private track's entries as its board reads them: the maintainers' records on the private
test split (w2sbench.submissions.rescore), never the submission's own. Those are committed
reduced (per example only whether each model was right, no label, no probability: see
rescore's module docstring) and read back as records that give the board the same numbers.

An entry counts on the private board only with records of the method version its own folder
holds now (same name, parameters, code hash and training settings) and of the split named in
``split.json``; otherwise it waits for the next rescore and is listed as incomplete, never
ranked on old scores.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path

from w2sbench.core.result import Result, settings_of, version_of
from w2sbench.running.tracks import Track
from w2sbench.submissions.private_records import SPLIT_FILE, expand, read_private
from w2sbench.submissions.review import load_reviewed, needs_review


def _identity(r: Result) -> tuple:
    """What must match between an entry's own records and its private ones: the method version and
    the harness's training settings (a new default budget re-makes both)."""
    return (*version_of(r), settings_of(r))


def read_split(private_root: Path, track: Track) -> dict | None:
    """The track's split.json (task id -> test sha256, data revision, n_test), or None before any rescore."""
    path = Path(private_root) / track.name / SPLIT_FILE
    return json.loads(path.read_text())["tasks"] if path.exists() else None


def private_entries(entries: list, track: Track, private_root: Path, root: Path) -> list:
    """The entries with their private records in place of their own (see the module docstring).

    Every record of a task must list its examples in one order (the board pairs them example by
    example): if some are in the secret's order and others in the split's (records converted
    before the split was redrawn), the latter are problems, until every entry is rescored."""
    split = read_split(private_root, track) or {}
    reviewed = load_reviewed(root)
    read = {}
    for e in entries:
        if e.metadata is not None and track.name in e.metadata.tracks:
            folder = Path(private_root) / track.name / e.name
            found, bad = read_private(folder)
            current = {_identity(r) for r in e.records if r.ladder == track.ladder and r.task.id in track.tasks}
            kept = {
                stem: p
                for stem, p in found.items()
                if _identity(expand(p)) in current
                and split.get(p.task.id, {}).get("data_revision") == p.task.data_revision
            }
            read[e.name] = (folder, kept, bad)
    orders = defaultdict(set)
    for _, kept, _ in read.values():
        for p in kept.values():
            orders[p.task.id].add(p.correct.order)
    out = []
    for e in entries:
        if e.name not in read:
            out.append(e)
            continue
        folder, kept, bad = read[e.name]
        why = (
            "its examples are in the split's order and other entries' in the secret's: rescore every "
            f"entry (w2sbench rescore --track {track.name})"
        )
        mixed = [
            (folder / f"{stem}.json", why)
            for stem, p in kept.items()
            if p.correct.order == "split" and len(orders[p.task.id]) > 1
        ]
        records = [expand(p) for stem, p in kept.items() if (folder / f"{stem}.json") not in dict(mixed)]
        problems = list(e.problems) + [f"private/{track.name}/{e.name}/{p.name}: {why}" for p, why in bad + mixed]
        out.append(dataclasses.replace(e, records=records, problems=problems + needs_review(e.name, records, reviewed)))
    return out
