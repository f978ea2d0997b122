"""A private track's entries as its board reads them: the maintainers' records on the private
test split (w2sbench.submissions.rescore), never the submission's own.

An entry counts on the private board only with records of the method version its own folder
holds now (same name, parameters, code hash and training settings) and of the split named in
``split.json``; otherwise it waits for the next rescore and is listed as incomplete, never
ranked on old scores.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from w2sbench.core.records import read_records
from w2sbench.core.result import Result, settings_of, version_of
from w2sbench.running.tracks import Track
from w2sbench.submissions.rescore import SPLIT_FILE
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
    """The entries with their private records in place of their own (see the module docstring)."""
    split = read_split(private_root, track) or {}
    reviewed = load_reviewed(root)
    out = []
    for e in entries:
        if e.metadata is None or track.name not in e.metadata.tracks:
            out.append(e)
            continue
        found, bad = read_records(Path(private_root) / track.name / e.name)
        current = {_identity(r) for r in e.records if r.ladder == track.ladder and r.task.id in track.tasks}
        records = [r for r in found.values()
                   if _identity(r) in current and split.get(r.task.id, {}).get("data_revision") == r.task.data_revision]
        problems = list(e.problems) + [f"private/{track.name}/{e.name}/{p.name}: {why}" for p, why in bad]
        out.append(dataclasses.replace(e, records=records, problems=problems + needs_review(e.name, records, reviewed)))
    return out
