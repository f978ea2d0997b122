"""How far a re-run moves a submission's recorded predictions (what validate's PROB_EPS allows).

    python studies/rerun_drift.py submissions/naive [submissions/bootstrap ...]

Re-runs every record of each entry in a scratch result store with the harness's caches
(W2SBENCH_CACHE) and prints, per role (weak, ceiling, w2s), the largest absolute change of a
probability and the number of hard predictions (p > 0.5) that changed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from w2sbench.core.records import read_records
from w2sbench.protocol.run import run_experiment
from w2sbench.submissions.evaluate import expected_keys
from w2sbench.submissions.harness import Harness, method_session
from w2sbench.submissions.metadata import load_submission

ROLES = ("weak", "ceiling", "w2s")


def drift(folder: Path, harness: Harness) -> dict:
    sub = load_submission(folder, harness.tracks)
    records, _ = read_records(sub.results_dir)
    worst, flips, done = dict.fromkeys(ROLES, 0.0), dict.fromkeys(ROLES, 0), set()
    start = time.perf_counter()
    with method_session(sub, harness) as method, tempfile.TemporaryDirectory() as tmp:
        scratch = harness.workspace(Path(tmp))
        for keys in expected_keys(sub, method, harness, harness.workspace(sub.results_dir)).values():
            for key, exp in keys.items():
                record = records.get(key[:32])
                if record is None or key in done:
                    continue
                done.add(key)
                again = run_experiment(scratch, exp)
                for m in ROLES:
                    a, b = np.array(getattr(record.predictions, m)), np.array(getattr(again.predictions, m))
                    worst[m] = max(worst[m], float(np.abs(a - b).max()))
                    flips[m] += int(((a > 0.5) != (b > 0.5)).sum())
    return {
        "entry": sub.name,
        "records": len(done),
        "seconds": round(time.perf_counter() - start, 1),
        "max_abs_change": worst,
        "hard_flips": flips,
    }


def main() -> None:
    harness = Harness(Path(os.environ.get("W2SBENCH_CACHE", ".w2sbench-cache")))
    for folder in sys.argv[1:]:
        print(drift(Path(folder), harness), flush=True)


if __name__ == "__main__":
    main()
