"""What a change of numeric setting does to the scores: two folders of records of one method made
with two settings (fp32 and bf16, say), compared cell by cell.

    git archive 92a7cbf submissions/naive/results | tar -x -C /tmp/fp32      # records made in fp32
    python studies/numerics_scores.py /tmp/fp32/submissions/naive/results submissions/naive/results

Per cell (task, weak, strong; seed means): the PGR in each folder, |dPGR|, and the half-width of
the second folder's 95% interval (the project's paired bootstrap); then the largest |dPGR| over
cells against its cell's half-width, and the hard predictions (p > 0.5) that changed, per role.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from w2sbench.core.metrics import percentile_interval  # noqa: E402
from w2sbench.core.records import read_records  # noqa: E402
from w2sbench.core.result import cell_of as record_cell  # noqa: E402
from w2sbench.reporting.estimators import by_cell, cell_pgr  # noqa: E402
from w2sbench.reporting.paired import PairedBootstrap  # noqa: E402

ROLES = ("weak", "ceiling", "w2s")


def compare(before: Path, after: Path, tasks: set[str] | None) -> dict:
    old, _ = read_records(before)
    new, _ = read_records(after)
    old_by = {tuple(x for i, x in enumerate(record_cell(r)) if i != 7): r for r in old.values()}  # not the settings
    boot, rows, flips, n = PairedBootstrap(n_boot=2000), [], dict.fromkeys(ROLES, 0), 0
    for cell, records in by_cell(new.values()).items():
        if tasks and cell[0] not in tasks:
            continue
        pairs = [(old_by.get(tuple(x for i, x in enumerate(record_cell(r)) if i != 7)), r) for r in records]
        if any(o is None for o, _ in pairs):
            continue
        for o, r in pairs:
            n += len(r.predictions.labels)
            for m in ROLES:
                flips[m] += int(
                    ((np.array(getattr(o.predictions, m)) > 0.5) != (np.array(getattr(r.predictions, m)) > 0.5)).sum()
                )
        a, b = cell_pgr([o for o, _ in pairs]), cell_pgr(records)
        interval = percentile_interval(boot.cell(records, {"x": records}).pgr["x"])
        half = None if interval.low is None else (interval.high - interval.low) / 2
        rows.append(
            {
                "cell": f"{cell[0]} {cell[2]}->{cell[3]}",
                "pgr_before": a,
                "pgr_after": b,
                "abs_dpgr": None if a is None or b is None else abs(b - a),
                "half_width": half,
            }
        )
    return {"rows": rows, "flips": flips, "predictions": n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tasks", default=None, help="comma-separated task ids (default: every cell in both)")
    args = parser.parse_args()
    out = compare(args.before, args.after, set(args.tasks.split(",")) if args.tasks else None)
    print("| cell | PGR before | PGR after | abs dPGR | 95% half-width |\n|---|---|---|---|---|")
    fmt = lambda v: "n/a" if v is None else f"{v:.3f}"  # noqa: E731
    for r in out["rows"]:
        print(
            f"| {r['cell']} | {fmt(r['pgr_before'])} | {fmt(r['pgr_after'])} | {fmt(r['abs_dpgr'])} "
            f"| {fmt(r['half_width'])} |"
        )
    scored = [r for r in out["rows"] if r["abs_dpgr"] is not None and r["half_width"]]
    if scored:
        worst = max(scored, key=lambda r: r["abs_dpgr"])
        ratio = max(r["abs_dpgr"] / r["half_width"] for r in scored)
        print(
            f"\n{len(out['rows'])} cells; largest |dPGR| {worst['abs_dpgr']:.3f} ({worst['cell']}, half-width "
            f"{worst['half_width']:.3f}); largest |dPGR| / half-width {ratio:.2f}"
        )
    print("hard predictions changed: " + ", ".join(f"{m} {k} of {out['predictions']}" for m, k in out["flips"].items()))


if __name__ == "__main__":
    main()
