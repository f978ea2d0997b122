"""Entries a maintainer must look at before they are ranked: scores a fair method should not reach.

A weak-to-strong method learns from weak labels; it may match the ceiling (the strong model
trained on ground truth) but beating it beyond sampling noise, or recovering more than the
whole gap on average, says it found ground truth somewhere (carried labels, a leak in the
inputs, a matched-pair shortcut). Such an entry is flagged **needs review** and not ranked
until a maintainer accepts it in ``submissions/reviewed.yaml`` for its exact code: an
acceptance names the entry and the code hash of its records, so changed code is flagged again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from scipy.stats import binomtest

from w2sbench.core.errors import SubmissionError
from w2sbench.core.metrics import pgr
from w2sbench.core.result import Result

REVIEWED_FILE = "reviewed.yaml"  # in the submissions folder; only maintainers edit it
LEVEL = 0.95


@dataclass(frozen=True)
class Flag:
    cell: str  # "task weak->strong", or "mean over cells"
    why: str


class Reviewed(BaseModel):
    """``submissions/reviewed.yaml``: entry name -> code hashes a maintainer accepted, with why."""

    model_config = ConfigDict(extra="forbid")

    accepted: dict[str, list[str]] = {}


def ceiling_upper(acc: float, n: int, level: float = LEVEL) -> float:
    """Upper end of the Wilson interval of an accuracy on n independent test examples."""
    return float(binomtest(round(acc * n), n).proportion_ci(confidence_level=level, method="wilson").high)


def review_flags(records: list[Result]) -> list[Flag]:
    """Cells where the method beats the ceiling's upper interval, and a mean PGR above 1.

    Per cell (task, ladder, pair) the accuracies are seed means; the ceiling's interval counts
    the test examples (shared by the seeds) as the independent units.
    """
    cells: dict[tuple, list[Result]] = defaultdict(list)
    for r in records:
        cells[(r.task.id, r.ladder, r.weak.name, r.strong.name, r.provenance.regime)].append(r)
    flags, pgrs = [], []
    for (task, _, weak, strong, _), rs in sorted(cells.items()):
        acc = {m: float(np.mean([getattr(r.scores, f"acc_{m}") for r in rs])) for m in ("weak", "w2s", "ceiling")}
        upper = ceiling_upper(acc["ceiling"], rs[0].task.n_test)
        if acc["w2s"] > upper:
            flags.append(
                Flag(
                    f"{task} {weak}->{strong}",
                    f"acc_w2s {acc['w2s']:.3f} above the ceiling's {LEVEL:.0%} upper bound {upper:.3f} "
                    f"(ceiling {acc['ceiling']:.3f} on {rs[0].task.n_test} test examples)",
                )
            )
        p = pgr(acc["w2s"], acc["weak"], acc["ceiling"])
        if p is not None:
            pgrs.append(p)
    if pgrs and np.mean(pgrs) > 1:
        flags.append(Flag("mean over cells", f"PGR {np.mean(pgrs):.2f} above 1 over {len(pgrs)} cell(s)"))
    return flags


def load_reviewed(root: Path) -> Reviewed:
    path = Path(root) / REVIEWED_FILE
    if not path.exists():
        return Reviewed()
    try:
        return Reviewed.model_validate(yaml.safe_load(path.read_text()) or {})
    except (yaml.YAMLError, ValidationError) as e:
        raise SubmissionError(
            f"{path}: not a list of accepted entries ({str(e).splitlines()[0]}); expected `accepted: {{NAME: [CODE_HASH, ...]}}`"
        ) from None


def needs_review(name: str, records: list[Result], reviewed: Reviewed) -> list[str]:
    """The entry's problem when it is flagged and not accepted for its code (empty otherwise)."""
    flags = review_flags(records)
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


def flag_for_review(entries, root: Path) -> None:
    """Add needs_review's problem to each flagged entry (anything with .name, .records, .problems)."""
    reviewed = load_reviewed(root)
    for e in entries:
        e.problems += needs_review(e.name, e.records, reviewed)
