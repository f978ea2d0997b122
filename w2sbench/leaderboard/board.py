"""Boards: one per track, computed from submission folders' result records only.

For each track an entry enters (its metadata's ``tracks``):

- **complete** when it has a record for every (task, pair, seed) cell of the track's grid, all
  from one method identity; only complete entries are scored and ranked;
- **incomplete** otherwise: listed with its count, never averaged in (a partial mean would
  compare different tasks);
- **invalid** when its metadata or any record is unreadable, or records of several method
  versions share a cell: listed with the problem, nothing of it is scored.

Scores: per (task, pair) the seed-averaged PGR (w2sbench.reporting.report.summarize), and per entry the
mean over the track's scored cells. A cell whose gap (ceiling minus weak accuracy) is under
``metrics.MIN_GAP`` in any complete entry is left out for every entry, and the board says so.
The 95% interval of the mean is a paired bootstrap over test examples: per task one set of
resampled test indices, shared by every seed, pair and entry (so entries are compared on the
same resamples). Ranks tie where intervals overlap: an entry's rank is one plus the number of
entries whose interval lies entirely above its own. Oracle methods (ground truth somewhere)
are scored the same way and shown apart, never ranked.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from w2sbench.core.errors import W2SError
from w2sbench.core.metrics import MIN_GAP, N_BOOT
from w2sbench.core.records import read_records
from w2sbench.core.result import Result
from w2sbench.reporting.report import Summary, group_key, summarize
from w2sbench.running.tracks import Track
from w2sbench.submissions.metadata import Metadata, load_metadata

Cell = tuple[str, str, str]  # (task, weak, strong)


@dataclass
class Entry:
    """A submission folder as the leaderboard reads it."""

    name: str
    metadata: Metadata | None
    records: list[Result]
    problems: list[str] = field(default_factory=list)

    @property
    def baseline(self) -> bool:
        return self.metadata is not None and self.metadata.builtin is not None


@dataclass
class Row:
    name: str
    metadata: Metadata
    method: str
    params: dict
    oracle: bool
    pgr: float | None
    ci: tuple[float | None, float | None]
    per_task: dict[str, float | None]
    per_strong: dict[str, tuple[int | None, float | None, float | None, float | None]]
    acc_w2s: float
    agreement_wrong: float | None
    n_records: int
    rank: int | None = None


@dataclass
class Board:
    track: Track
    rows: list[Row]
    oracle_rows: list[Row]
    incomplete: list[tuple[str, int, int]]
    invalid: list[tuple[str, str]]
    scored_cells: list[Cell]
    excluded_cells: list[tuple[Cell, float]]
    notes: list[str]
    strong_sizes: dict[str, int | None]

    @property
    def n_experiments(self) -> int:
        return len(self.track.cells())


def load_entries(root: Path) -> list[Entry]:
    """Every folder under root (hidden ones aside), sorted by name; problems recorded, never raised."""
    root = Path(root)
    entries = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []:
        problems = []
        try:
            meta = load_metadata(folder)
            if meta.name != folder.name:
                problems.append(f"metadata name {meta.name!r} differs from the folder name")
        except W2SError as e:
            meta = None
            problems.append(str(e).replace(str(root.resolve()) + "/", "").replace(str(root) + "/", ""))
        records, bad = read_records(folder / "results")
        problems += [f"results/{p.name}: {why}" for p, why in bad]
        entries.append(Entry(folder.name, meta, list(records.values()), problems))
    return entries


def _seed_from(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


class _Resampler:
    """Per task, one (N_BOOT, n) array of resampled test indices shared by every entry."""

    def __init__(self, track: str):
        self.track = track
        self._idx: dict[tuple[str, int], np.ndarray] = {}

    def __call__(self, task: str, n: int) -> np.ndarray:
        key = (task, n)
        if key not in self._idx:
            rng = np.random.default_rng(_seed_from(f"{self.track}/{task}"))
            self._idx[key] = rng.integers(0, n, (N_BOOT, n))
        return self._idx[key]


def _boot_pgr(records: list[Result], idx: np.ndarray) -> np.ndarray:
    """(N_BOOT,) PGR of seed-averaged accuracies on each resample; nan where the gap is too small."""
    labels = np.asarray(records[0].predictions.labels)
    acc = {}
    for m in ("weak", "w2s", "ceiling"):
        probs = np.asarray([getattr(r.predictions, m) for r in records])
        acc[m] = ((probs > 0.5) == labels)[:, idx].mean(-1).mean(0)
    gap = acc["ceiling"] - acc["weak"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gap >= MIN_GAP, (acc["w2s"] - acc["weak"]) / gap, np.nan)


def _interval(samples: list[np.ndarray]) -> tuple[float | None, float | None]:
    """95% interval of the mean over cells; resamples where a cell's gap vanished are dropped."""
    if not samples:
        return None, None
    stack = np.vstack(samples)
    ok = ~np.isnan(stack).any(axis=0)
    if ok.sum() < N_BOOT / 2:
        return None, None
    means = stack[:, ok].mean(axis=0)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def _track_records(entry: Entry, track: Track) -> tuple[dict[tuple, Result], list[str]]:
    cells = set(track.cells())
    found: dict[tuple, list[Result]] = defaultdict(list)
    for r in entry.records:
        cell = (r.task.id, r.weak.name, r.strong.name, r.seed)
        if r.ladder == track.ladder and cell in cells:
            found[cell].append(r)
    problems = []
    identities = {(r.method.name, r.method.code_hash, tuple(sorted(map(str, r.method.params.items()))))
                  for rs in found.values() for r in rs}
    if len(identities) > 1:
        problems.append(f"records of {len(identities)} method versions (code or parameters changed); "
                        f"remove stale ones with `w2sbench evaluate submissions/{entry.name} --prune`")
    meta = entry.metadata
    expected_name = meta.builtin or meta.name
    for rs in found.values():
        r = rs[0]
        if r.method.name != expected_name:
            problems.append(f"records are of method {r.method.name!r}, metadata.yaml names {expected_name!r}")
            break
        if any(r.method.params.get(k) != v for k, v in meta.parameters.items()):
            problems.append("records were made with other parameters than metadata.yaml's; re-run "
                            f"`w2sbench evaluate submissions/{entry.name} --prune`")
            break
    return {c: rs[0] for c, rs in found.items()}, problems


def build_board(track: Track, entries: list[Entry]) -> Board:
    """The board of one track from the entries' records (see the module docstring for the rules)."""
    incomplete, invalid, complete = [], [], []
    for e in entries:
        if e.metadata is not None and track.name not in e.metadata.tracks:
            continue
        if e.metadata is None or e.problems:
            invalid.append((e.name, "; ".join(e.problems)))
            continue
        got, problems = _track_records(e, track)
        if problems:
            invalid.append((e.name, "; ".join(problems)))
        elif len(got) < len(track.cells()):
            incomplete.append((e.name, len(got), len(track.cells())))
        else:
            complete.append((e, [got[c] for c in track.cells()]))

    grouped: dict[str, dict[Cell, list[Result]]] = {}
    summaries: dict[str, dict[Cell, Summary]] = {}
    strong_sizes: dict[str, int | None] = {}
    for e, records in complete:
        cells: dict[Cell, list[Result]] = defaultdict(list)
        for r in records:
            cells[(r.task.id, r.weak.name, r.strong.name)].append(r)
            if r.strong.parameters is not None:
                strong_sizes.setdefault(r.strong.name, r.strong.parameters)
        grouped[e.name] = {c: sorted(rs, key=lambda r: r.seed) for c, rs in cells.items()}
        summaries[e.name] = {c: summarize(rs)[0] for c, rs in grouped[e.name].items()}
    for _, s in track.pair_names():
        strong_sizes.setdefault(s, None)

    track_cells: list[Cell] = list(dict.fromkeys((t, w, s) for t, w, s, _ in track.cells()))
    excluded = []
    for cell in track_cells:
        gaps = [summaries[n][cell].acc_ceiling - summaries[n][cell].acc_weak for n in summaries]
        if gaps and min(gaps) < MIN_GAP:
            excluded.append((cell, min(gaps)))
    excluded_set = {c for c, _ in excluded}
    scored = [c for c in track_cells if c not in excluded_set] if summaries else []

    notes = _consistency_notes(grouped)
    resample = _Resampler(track.name)
    rows, oracle_rows = [], []
    for e, records in complete:
        s, g = summaries[e.name], grouped[e.name]
        boots = {c: _boot_pgr(g[c], resample(c[0], len(g[c][0].predictions.labels))) for c in scored}
        values = [s[c].pgr for c in scored]
        pgr = float(np.mean(values)) if values and all(v is not None for v in values) else None
        per_task = {}
        for t in track.tasks:
            vals = [s[c].pgr for c in scored if c[0] == t]
            per_task[t] = float(np.mean(vals)) if vals and all(v is not None for v in vals) else None
        per_strong = {}
        for _, strong in dict.fromkeys(track.pair_names()):
            cs = [c for c in scored if c[2] == strong]
            vals = [s[c].pgr for c in cs]
            if strong in per_strong:
                continue
            point = float(np.mean(vals)) if vals and all(v is not None for v in vals) else None
            low, high = _interval([boots[c] for c in cs]) if point is not None else (None, None)
            per_strong[strong] = (strong_sizes.get(strong), point, low, high)
        wrong = [s[c].agreement_supervisor_wrong for c in track_cells if s[c].agreement_supervisor_wrong is not None]
        first = records[0].method
        row = Row(
            name=e.name, metadata=e.metadata, method=first.name, params=dict(first.params), oracle=first.oracle,
            pgr=pgr, ci=_interval([boots[c] for c in scored]) if pgr is not None else (None, None),
            per_task=per_task, per_strong=per_strong,
            acc_w2s=float(np.mean([s[c].acc_w2s for c in track_cells])),
            agreement_wrong=float(np.mean(wrong)) if wrong else None,
            n_records=len(records),
        )
        (oracle_rows if row.oracle else rows).append(row)
    _rank(rows)
    order = lambda r: (r.rank if r.rank is not None else 10**6, -(r.pgr if r.pgr is not None else -1e9), r.name)  # noqa: E731
    rows.sort(key=order)
    oracle_rows.sort(key=lambda r: (-(r.pgr if r.pgr is not None else -1e9), r.name))
    return Board(track, rows, oracle_rows, incomplete, invalid, scored, excluded, notes, strong_sizes)


def _rank(rows: list[Row]) -> None:
    """Rank = 1 + the number of entries whose 95% interval lies entirely above this one's."""
    ranked = [r for r in rows if r.pgr is not None and r.ci[0] is not None]
    for r in ranked:
        r.rank = 1 + sum(1 for o in ranked if o is not r and o.ci[0] > r.ci[1])


def _consistency_notes(grouped: dict[str, dict[Cell, list[Result]]]) -> list[str]:
    """Weak labels and ceilings do not depend on the method: entries must agree on them."""
    if len(grouped) < 2:
        return []
    names = sorted(grouped)
    ref = grouped[names[0]]
    notes = []
    for n in names[1:]:
        differ = 0
        for cell, records in grouped[n].items():
            for r, q in zip(records, ref.get(cell, [])):
                if r.predictions.weak != q.predictions.weak or r.predictions.ceiling != q.predictions.ceiling:
                    differ += 1
        if differ:
            notes.append(f"{n}: weak-supervisor or ceiling predictions differ from {names[0]}'s in {differ} "
                         "experiment(s) (another environment or harness version?)")
    return notes


@dataclass
class Leaderboard:
    boards: list[Board]
    invalid: list[tuple[str, str]]  # entries that enter no board: unreadable metadata, unknown tracks


def build_leaderboard(root: Path, tracks: dict[str, Track]) -> Leaderboard:
    """Every track's board from the submission folders under root."""
    entries = load_entries(root)
    invalid, usable = [], []
    for e in entries:
        unknown = [t for t in e.metadata.tracks if t not in tracks] if e.metadata is not None else []
        if e.metadata is None or unknown or any(p.startswith("metadata name") for p in e.problems):
            why = "; ".join(e.problems + ([f"unknown track(s) {', '.join(unknown)}"] if unknown else []))
            invalid.append((e.name, why))
        else:
            usable.append(e)
    return Leaderboard([build_board(t, usable) for t in tracks.values()], invalid)


__all__ = ["Board", "Entry", "Leaderboard", "Row", "build_board", "build_leaderboard", "load_entries", "group_key"]
