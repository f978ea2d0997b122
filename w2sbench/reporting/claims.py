"""The paper's claims, tested on a board's kept cells with tasks as the independent units.

Burns et al. (2023) claim that naive fine-tuning on weak labels recovers part of the gap
(PGR > 0), that an auxiliary confidence loss lifts PGR at large gaps, that early stopping on
ground truth beats early stopping on weak labels, and that bootstrapping through intermediate
rungs helps at large gaps. Each claim here is a difference of per-task means (a task's cells
share its test set and ceiling, so they are averaged first), tested with a two-sided one-sample
t-test over the n tasks and Holm-corrected across the claims, with the smallest true difference
the test detects at 80% power (reporting.compare.detectable_difference). "Large gaps": the kept
cells whose gap is at least the median gap of the kept cells, the gap being the one the track
keeps cells by (on held-out data where the track says so), never the method's result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from w2sbench.core.cell import Cell
from w2sbench.core.result import Result
from w2sbench.reporting.cells import GapCheck
from w2sbench.reporting.compare import detectable_difference
from w2sbench.reporting.estimators import cell_pgr
from w2sbench.reporting.ranking import holm


@dataclass(frozen=True)
class Claim:
    """A claim as a difference: ``method`` minus ``baseline`` (None: minus zero) on ``cells``."""

    text: str
    method: str
    baseline: str | None
    large_gaps: bool
    reported: str  # what the paper (or a re-implementation) reported, for the reader to set beside it


PAPER_CLAIMS = (
    Claim(
        "naive fine-tuning on weak labels recovers part of the gap (PGR > 0)",
        "naive",
        None,
        False,
        "NLP: PGR grows with both sizes, often above 0.5 for the largest students",
    ),
    Claim(
        "the auxiliary confidence loss lifts PGR over naive at large gaps",
        "aux-conf",
        "naive",
        True,
        "smallest supervisor, largest student: median PGR from about 0.25 to nearly 0.80",
    ),
    Claim(
        "the auxiliary confidence loss lifts PGR over naive (every kept cell)",
        "aux-conf",
        "naive",
        False,
        "EleutherAI's re-implementation, 21 datasets: no significant lift (p = .135)",
    ),
    Claim(
        "early stopping on ground truth beats early stopping on weak labels",
        "early-stop-gt",
        "early-stop",
        False,
        "NLP: about +0.10",
    ),
    Claim(
        "bootstrapping through the intermediate rung lifts PGR over naive at large gaps",
        "bootstrap",
        "naive",
        True,
        "helps on chess at large gaps; only small improvements on NLP",
    ),
)


@dataclass(frozen=True)
class ClaimTest:
    claim: Claim
    n_tasks: int
    n_cells: int
    estimate: float | None  # mean over tasks of the per-task difference
    ci: tuple[float, float] | None  # t interval over tasks
    p: float | None  # Holm-adjusted across the claims
    detectable: float | None
    missing: str | None = None  # why the claim could not be tested


def large_gap_cells(checks: list[GapCheck]) -> list[Cell]:
    """Kept cells whose gap is at least the median gap of the kept cells."""
    kept = [g for g in checks if g.kept]
    if not kept:
        return []
    median = float(np.median([g.gap for g in kept]))
    return [g.cell for g in kept if g.gap >= median]


def claim_tests(
    records: dict[str, dict[Cell, list[Result]]], reference: str, checks: list[GapCheck], claims=PAPER_CLAIMS
) -> list[ClaimTest]:
    """Each claim on the kept cells (or the large-gap ones) of the entries that are present."""
    kept = [g.cell for g in checks if g.kept]
    large = large_gap_cells(checks)
    ref = records[reference]
    out: list[ClaimTest] = []
    raw: list[tuple[int, float]] = []
    for claim in claims:
        cells = large if claim.large_gaps else kept
        absent = [n for n in (claim.method, claim.baseline) if n is not None and n not in records]
        if absent or not cells:
            why = f"no complete entry {', '.join(absent)}" if absent else "no kept cell"
            out.append(ClaimTest(claim, 0, 0, None, None, None, None, why))
            continue

        def pgr_of(name: str | None, cell: Cell) -> float | None:
            return 0.0 if name is None else cell_pgr(records[name][cell], ref[cell])

        diffs = {c: (pgr_of(claim.method, c), pgr_of(claim.baseline, c)) for c in cells}
        tasks = sorted({c.task for c in cells})
        per_task = np.array([np.mean([a - b for c, (a, b) in diffs.items() if c.task == t]) for t in tasks])
        n = len(tasks)
        estimate = float(per_task.mean())
        sd = float(per_task.std(ddof=1)) if n > 1 else float("nan")
        ci = p = None
        if n > 1 and sd > 0:
            half = float(stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n))
            ci = (estimate - half, estimate + half)
            p = float(stats.ttest_1samp(per_task, 0.0).pvalue)
            raw.append((len(out), p))
        out.append(ClaimTest(claim, n, len(cells), estimate, ci, None, detectable_difference(sd, n)))
    for (i, _), q in zip(raw, holm([p for _, p in raw]), strict=False):
        out[i] = ClaimTest(**{**out[i].__dict__, "p": q})
    return out
