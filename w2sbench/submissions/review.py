"""Entries a maintainer must look at before they are ranked: scores a fair method should not reach.

A weak-to-strong method learns from weak labels; it may match the ceiling (the strong model
trained on ground truth) but beating it beyond sampling noise, or recovering more than the
whole gap, says it found ground truth somewhere (carried labels, a leak in the inputs, a
matched-pair shortcut). Such an entry is flagged **needs review** and not ranked until a
maintainer accepts it in ``submissions/reviewed.yaml`` for its exact code: an acceptance names
the entry and the code hash of its records, so changed code is flagged again.

One rule set, on the cells, estimator and records the board ranks (w2sbench.leaderboard.board
calls cell_flags with its kept cells, the harness's reference records and its paired intervals):

- per kept cell, the entry's seed-mean ``acc_w2s`` above the upper end of the ceiling's 95%
  Wilson interval (the reference's seed-mean ceiling, over the task's test examples);
- per kept cell, a PGR above 1 beyond its interval (the lower end of the cell's 95% paired
  bootstrap interval above 1);
- per score, the board's score (the mean PGR over the kept cells) above 1.

Cells the board leaves out can neither raise a flag nor hide one: they are not read.
``review_flags`` applies the same rules to records alone (their own weak and ceiling, every
cell with a defined PGR, no intervals), for a quick look at records outside a board.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from scipy.stats import binomtest

from w2sbench.core.cell import Cell
from w2sbench.core.errors import SubmissionError
from w2sbench.core.metrics import Interval, pgr
from w2sbench.core.result import Result
from w2sbench.core.schema import Strict, load_yaml_model
from w2sbench.reporting.estimators import score, seed_means

REVIEWED_FILE = "reviewed.yaml"  # in the submissions folder; only maintainers edit it
LEVEL = 0.95


@dataclass(frozen=True)
class Flag:
    cell: str  # "task weak->strong", or "mean over cells"
    why: str


class Reviewed(Strict):
    """``submissions/reviewed.yaml``: entry name -> code hashes a maintainer accepted, with why."""

    accepted: dict[str, list[str]] = {}


def ceiling_upper(acc: float, n: int, level: float = LEVEL) -> float:
    """Upper end of the Wilson interval of an accuracy on n independent test examples."""
    return float(binomtest(round(acc * n), n).proportion_ci(confidence_level=level, method="wilson").high)


def cell_flags(
    entry: dict[Cell, list[Result]],
    reference: dict[Cell, list[Result]],
    cells: list[Cell],
    intervals: dict[Cell, Interval] | None = None,
) -> list[Flag]:
    """The flags of one entry on exactly these cells (see the module docstring).

    entry and reference: cell -> records (one per seed). The weak and ceiling accuracies are the
    reference's seed means, the ceiling's interval counts its task's test examples (shared by
    the seeds) as the independent units; intervals: cell -> the entry's 95% PGR interval.
    """
    flags, points = [], []
    for c in cells:
        own, ref = entry[c], reference[c]
        acc, base = seed_means(own), seed_means(ref)
        n = ref[0].task.n_test
        where = str(c)
        upper = ceiling_upper(base["ceiling"], n)
        if acc["w2s"] > upper:
            flags.append(
                Flag(
                    where,
                    f"acc_w2s {acc['w2s']:.3f} above the ceiling's {LEVEL:.0%} upper bound {upper:.3f} "
                    f"(ceiling {base['ceiling']:.3f} on {n} test examples)",
                )
            )
        p = pgr(acc["w2s"], base["weak"], base["ceiling"])
        points.append(p)
        ci = (intervals or {}).get(c)
        if p is not None and ci is not None and ci.low is not None and ci.low > 1:
            flags.append(
                Flag(where, f"PGR {p:.2f} above 1 beyond its {LEVEL:.0%} interval [{ci.low:.2f}, {ci.high:.2f}]")
            )
    total = score(p for p in points if p is not None)
    if total is not None and total.mean > 1:
        flags.append(Flag("mean over cells", f"PGR {total.mean:.2f} above 1 over {total.n_cells} cell(s)"))
    return flags


def review_flags(records: list[Result]) -> list[Flag]:
    """cell_flags on records alone, per regime: each cell its own reference, every cell with a
    defined PGR counted, no intervals. A board never calls this: it flags on its own kept cells
    and reference (w2sbench.leaderboard.board)."""
    by_regime: dict[str, dict[Cell, list[Result]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        by_regime[r.provenance.regime][Cell.of(r)].append(r)
    flags = []
    for _, grid in sorted(by_regime.items()):
        cells = {c: sorted(rs, key=lambda r: r.seed) for c, rs in sorted(grid.items())}
        flags += cell_flags(cells, cells, list(cells))
    return flags


def load_reviewed(root: Path) -> Reviewed:
    path = Path(root) / REVIEWED_FILE
    if not path.exists():
        return Reviewed()
    return load_yaml_model(
        Reviewed, path, "accepted entries file (`accepted: {NAME: [CODE_HASH, ...]}`)", SubmissionError, empty_ok=True
    )


def needs_review(name: str, records: list[Result], reviewed: Reviewed, flags: list[Flag] | None = None) -> list[str]:
    """The entry's problem when flags (the board's cell_flags for these records) are raised and it
    is not accepted for its code; empty otherwise. Without flags nothing is flagged here: the
    board that ranks the records decides, on its kept cells (callers that pass records only, as
    leaderboard.private did, are answered by the board's own check)."""
    hashes = {r.method.code_hash for r in records}
    if not flags or (hashes and hashes <= set(reviewed.accepted.get(name, ()))):
        return []
    shown = "; ".join(f"{f.cell}: {f.why}" for f in flags[:4]) + (" ..." if len(flags) > 4 else "")
    return [
        (
            f"needs review, not ranked until a maintainer accepts code {', '.join(sorted(hashes))} in "
            f"submissions/{REVIEWED_FILE}: {shown}"
        )
    ]
