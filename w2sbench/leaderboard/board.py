"""Boards: one per track, computed from submission folders' result records only.

For each track an entry enters (its metadata's ``tracks``):

- **complete** when it has a record for every (task, pair, seed) cell of the track's grid, all
  from one method identity; only complete entries are scored and ranked;
- **incomplete** otherwise: listed with its count, never averaged in (a partial mean would
  compare different tasks);
- **invalid** when its metadata or any record is unreadable, or records of several method
  versions share a cell: listed with the problem, nothing of it is scored.

Scores, intervals, ranks and the cells that count: w2sbench.leaderboard.scoring (per cell the
ratio of seed-mean accuracies, per entry the mean over the kept cells with the median beside
it; cells kept where the harness's gap is clearly open; hierarchical paired bootstrap
intervals; ranks from Holm-corrected paired tests). Oracle methods (ground truth somewhere)
are scored the same way and shown apart, never ranked.

The weak and ceiling accuracies of every cell are the harness's own: the records of the entry
named ``naive`` (HARNESS_ENTRY, builtin:naive without parameters). While the root holds that
entry no other is ever the reference, a copy of builtin:naive under another name included;
when it is not complete on a track, that board scores nothing and says why. Only a root
without it (tests, scratch folders) falls back to the first complete parameterless
builtin:naive, else the first complete builtin, else the first complete entry.

Review flags (w2sbench.submissions.review.cell_flags) are decided here, per board, on exactly
what the board ranks: the entry's records of the track, the reference's weak and ceiling, the
kept cells and their paired intervals. A flagged entry not accepted for its code is listed as
invalid (needs review) and not ranked; left-out cells are not read. Oracles, never ranked,
are not flagged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from w2sbench.core.cell import Cell
from w2sbench.core.errors import W2SError
from w2sbench.core.records import read_records
from w2sbench.core.result import Result, version_of
from w2sbench.leaderboard.pairs import PairRow, pair_rows
from w2sbench.leaderboard.private import private_entries, read_split
from w2sbench.leaderboard.scoring import rank_entries, score_entries
from w2sbench.reporting.cells import GapCheck, check_gaps, held_out_checks
from w2sbench.reporting.claims import ClaimTest, claim_tests
from w2sbench.reporting.paired import PairedBootstrap
from w2sbench.reporting.ranking import Power, Ranking, detectable_vs
from w2sbench.running.tracks import Track
from w2sbench.submissions.metadata import Metadata, load_metadata
from w2sbench.submissions.review import (
    Reviewed,
    cell_flags,
    load_reviewed,
    needs_review,
)

HARNESS_ENTRY = "naive"  # submissions/naive: the harness's own records, the reference of every board


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
    median: float | None
    ci: tuple[float | None, float | None]
    vanished: float
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
    excluded_cells: list[GapCheck]
    notes: list[str]
    strong_sizes: dict[str, int | None]
    reference: str | None
    ranking: Ranking | None
    private_split: dict | None = None  # a private track's split.json tasks (w2sbench.leaderboard.private)
    claims: list[ClaimTest] = field(default_factory=list)  # the paper's claims, on a main board (reporting.claims)
    power: Power | None = None  # what difference from the reference the board's tests can detect
    pairs: list[PairRow] = field(default_factory=list)  # PGR pair by pair, naive and bootstrapping

    @property
    def n_experiments(self) -> int:
        return len(self.track.experiments())


def load_entries(root: Path) -> list[Entry]:
    """Every folder under root (hidden ones aside), sorted by name; problems recorded, never raised."""
    root = Path(root)
    entries = []
    for folder in (
        sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
    ):
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


def _track_records(entry: Entry, track: Track) -> tuple[dict[tuple[Cell, int], Result], list[str]]:
    experiments = set(track.experiments())
    found: dict[tuple[Cell, int], list[Result]] = defaultdict(list)
    for r in entry.records:
        if (key := (Cell.of(r), r.seed)) in experiments:
            found[key].append(r)
    problems = []
    identities = {version_of(r) for rs in found.values() for r in rs}
    if len(identities) > 1:
        problems.append(
            f"records of {len(identities)} method versions (code or parameters changed); "
            f"remove stale ones with `w2sbench evaluate submissions/{entry.name} --prune`"
        )
    meta = entry.metadata
    expected_name = meta.builtin or meta.name
    for rs in found.values():
        r = rs[0]
        if r.method.name != expected_name:
            problems.append(f"records are of method {r.method.name!r}, metadata.yaml names {expected_name!r}")
            break
        if any(r.method.params.get(k) != v for k, v in meta.parameters.items()):
            problems.append(
                "records were made with other parameters than metadata.yaml's; re-run "
                f"`w2sbench evaluate submissions/{entry.name} --prune`"
            )
            break
    return {c: rs[0] for c, rs in found.items()}, problems


def _is_harness(e: Entry, records: list[Result]) -> bool:
    return e.metadata.builtin == "naive" and not e.metadata.parameters and not records[0].method.oracle


def _reference(complete: list[tuple[Entry, list[Result]]], entries: list[Entry]) -> tuple[Entry | None, str | None]:
    """The harness's own records, and why there are none (see the module docstring)."""
    if any(e.name == HARNESS_ENTRY for e in entries):
        for e, records in complete:
            if e.name == HARNESS_ENTRY:
                if _is_harness(e, records):
                    return e, None
                return None, (
                    f"no reference: submissions/{HARNESS_ENTRY} is not builtin:naive without parameters; "
                    "nothing on this board is scored"
                )
        return None, (
            f"no reference: submissions/{HARNESS_ENTRY} has no complete, valid records of this track; "
            "nothing on this board is scored (no other entry stands in for the harness's records)"
        )
    entries = [e for e, _ in complete]
    naive = [e for e, records in complete if _is_harness(e, records)]
    builtin = [e for e, records in complete if e.baseline and not records[0].method.oracle]
    return (naive or builtin or entries or [None])[0], None


def build_board(
    track: Track, entries: list[Entry], boot: PairedBootstrap | None = None, reviewed: Reviewed | None = None
) -> Board:
    """The board of one track from the entries' records (see the module docstring for the rules);
    reviewed: the maintainers' acceptances of flagged entries (default: none)."""
    boot = boot or PairedBootstrap()
    reviewed = reviewed or Reviewed()
    incomplete, invalid, complete = [], [], []
    experiments = track.experiments()
    for e in entries:
        if e.metadata is not None and track.name not in e.metadata.tracks:
            continue
        if e.metadata is None or e.problems:
            invalid.append((e.name, "; ".join(e.problems)))
            continue
        got, problems = _track_records(e, track)
        if problems:
            invalid.append((e.name, "; ".join(problems)))
        elif len(got) < len(experiments):
            incomplete.append((e.name, len(got), len(experiments)))
        else:
            complete.append((e, [got[x] for x in experiments]))

    grouped: dict[str, dict[Cell, list[Result]]] = {}
    strong_sizes: dict[str, int | None] = {}
    for e, records in complete:
        cells: dict[Cell, list[Result]] = defaultdict(list)
        for r in records:
            cells[Cell.of(r)].append(r)
            if r.strong.parameters is not None:
                strong_sizes.setdefault(r.strong.name, r.strong.parameters)
        grouped[e.name] = {c: sorted(rs, key=lambda r: r.seed) for c, rs in cells.items()}
    for _, s in track.pair_names():
        strong_sizes.setdefault(s, None)

    track_cells = track.cells()
    ref, no_reference = _reference(complete, entries)
    if not ref:
        gaps = []
    elif track.keep_cells == "held-out-gap":
        gaps = held_out_checks(track_cells, track.ladder)
    else:
        gaps = check_gaps({c: grouped[ref.name][c] for c in track_cells}, boot)
    scored = [g.cell for g in gaps if g.kept]
    scores = score_entries(grouped, grouped[ref.name], scored, list(track.tasks), boot) if ref and scored else {}
    rows, oracle_rows = [], []
    for e, records in complete:
        if e.name in scores and not records[0].method.oracle:
            flags = cell_flags(grouped[e.name], grouped[ref.name], scored, scores[e.name].cells)
            problem = needs_review(e.name, records, reviewed, flags)
            if problem:
                invalid.append((e.name, "; ".join(problem)))
                continue
        g = grouped[e.name]
        sc = scores.get(e.name)
        wrong = [
            np.mean(w)
            for c in track_cells
            if (
                w := [
                    r.scores.agreement.get("supervisor_wrong")
                    for r in g[c]
                    if r.scores.agreement.get("supervisor_wrong") is not None
                ]
            )
        ]
        first = records[0].method
        row = Row(
            name=e.name,
            metadata=e.metadata,
            method=first.name,
            params=dict(first.params),
            oracle=first.oracle,
            pgr=sc.pgr if sc else None,
            median=sc.median if sc else None,
            ci=(sc.ci.low, sc.ci.high) if sc else (None, None),
            vanished=sc.ci.vanished if sc else 0.0,
            per_task=sc.per_task if sc else {t: None for t in track.tasks},
            per_strong={
                s: (strong_sizes.get(s), *(sc.per_strong.get(s, (None,) * 3) if sc else (None,) * 3))
                for _, s in track.pair_names()
            },
            acc_w2s=float(np.mean([r.scores.acc_w2s for r in records])),
            agreement_wrong=float(np.mean(wrong)) if wrong else None,
            n_records=len(records),
        )
        (oracle_rows if row.oracle else rows).append(row)
    ranking = rank_entries({r.name: scores[r.name] for r in rows if r.name in scores}) if scores else None
    for r in rows:
        r.rank = ranking.ranks.get(r.name) if ranking else None
    order = lambda r: (r.rank if r.rank is not None else 10**6, -(r.pgr if r.pgr is not None else -1e9), r.name)  # noqa: E731
    rows.sort(key=order)
    oracle_rows.sort(key=lambda r: (-(r.pgr if r.pgr is not None else -1e9), r.name))
    notes = ([no_reference] if no_reference else []) + _consistency_notes(grouped, ref.name if ref else None)
    claims = claim_tests(grouped, ref.name, gaps) if ref and track.status == "main" else []
    ranked = {r.name: scores[r.name].samples for r in rows if r.name in scores and scores[r.name].samples is not None}
    power = detectable_vs(ranked, ref.name, ranking.n_comparisons) if ranking and ref and ref.name in ranked else None
    boot_name = next((r.name for r in rows if r.metadata.builtin == "bootstrap" and not r.metadata.parameters), None)
    pairs = (
        pair_rows(scored, grouped[ref.name], scores[ref.name], scores.get(boot_name) if boot_name else None)
        if ref and ref.name in scores
        else []
    )
    return Board(
        track,
        rows,
        oracle_rows,
        incomplete,
        sorted(invalid),
        scored,
        [g for g in gaps if not g.kept],
        notes,
        strong_sizes,
        ref.name if ref else None,
        ranking,
        claims=claims,
        power=power,
        pairs=pairs,
    )


def _consistency_notes(grouped: dict[str, dict[Cell, list[Result]]], reference: str | None) -> list[str]:
    """Weak labels and ceilings do not depend on the method: entries must agree with the reference's."""
    if reference is None or len(grouped) < 2:
        return []
    ref = grouped[reference]
    notes = []
    for n in sorted(set(grouped) - {reference}):
        differ = 0
        for cell, records in grouped[n].items():
            for r, q in zip(records, ref.get(cell, []), strict=False):
                if r.predictions.weak != q.predictions.weak or r.predictions.ceiling != q.predictions.ceiling:
                    differ += 1
        if differ:
            notes.append(
                f"{n}: weak-supervisor or ceiling predictions differ from {reference}'s in {differ} "
                "experiment(s) (another environment or harness version?)"
            )
    return notes


@dataclass
class Leaderboard:
    boards: list[Board]
    invalid: list[tuple[str, str]]  # entries that enter no board: unreadable metadata, unknown tracks


def build_leaderboard(root: Path, tracks: dict[str, Track], private_root: Path | None = None) -> Leaderboard:
    """Every track's board from the submission folders under root; a private track's from the
    maintainers' records under private_root (default: leaderboard/private beside root)."""
    entries = load_entries(root)
    reviewed = load_reviewed(root)  # acceptances of flagged entries; each board flags on its own kept cells
    invalid, usable = [], []
    for e in entries:
        unknown = [t for t in e.metadata.tracks if t not in tracks] if e.metadata is not None else []
        if e.metadata is None or unknown or any(p.startswith("metadata name") for p in e.problems):
            why = "; ".join(e.problems + ([f"unknown track(s) {', '.join(unknown)}"] if unknown else []))
            invalid.append((e.name, why))
        else:
            usable.append(e)
    boot = PairedBootstrap()  # one draw per task, shared by every track
    private_root = Path(private_root) if private_root is not None else Path(root).parent / "leaderboard" / "private"
    boards = []
    for t in sorted(tracks.values(), key=lambda t: t.status != "main"):  # the main board first
        if t.private:
            board = build_board(t, private_entries(usable, t, private_root, root), boot, reviewed)
            board.private_split = read_split(private_root, t) or {}
        else:
            board = build_board(t, usable, boot, reviewed)
        boards.append(board)
    return Leaderboard(boards, invalid)


__all__ = ["HARNESS_ENTRY", "Board", "Entry", "Leaderboard", "Row", "build_board", "build_leaderboard", "load_entries"]
