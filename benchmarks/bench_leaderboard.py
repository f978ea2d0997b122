"""`w2sbench leaderboard` before and after the statistics rework, side by side in one run.

Each side runs as its own process on the same committed records: "before" is the package as
of BEFORE (extracted with `git archive`, imported from there), "after" is this working tree.
Both rebuild both files (README.md and index.html) into a fresh folder, then run `--check`;
the rounds alternate sides so that load on a shared machine hits both alike. Wall and CPU
time (user + system of the child) are printed, with the ratio before / after.

    python benchmarks/bench_leaderboard.py                # 1 round
    python benchmarks/bench_leaderboard.py --rounds 3
    python benchmarks/bench_leaderboard.py --after-only   # the current code alone (seconds)

Where the time went before (cProfile of `generate('submissions')` on the 432 committed records,
2026-12-01, 31.8 s under load): the paired bootstrap gathered a (seeds, 1000, 800) boolean
array per cell and model, once in report.summarize via core.metrics.bootstrap_pgr (16.6 s)
and again in the board's own _boot_pgr (13.9 s); reading and checking the records took 0.9 s;
importing sklearn about 1 s more in the command. After (same profile, 2.2 s CPU): per task one
(B, n) float32 matrix of resample counts drawn once (0.6 s for three tasks at B = 20,000), each
record's per-seed accuracies as one matrix product shared by every track (about 1 s), the
records' checksums (0.6 s); sklearn is imported only where AUROC is computed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BEFORE = "2394332"  # the last commit before the rework (one estimator, paired ranks)
CLI = "import sys; from w2sbench.cli import main; sys.argv[0] = 'w2sbench'; main()"


def timed(args: list[str], pythonpath: Path) -> tuple[float, float]:
    """(wall, cpu) seconds of one child process."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-P", "-c", CLI, *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # --check exits 1 when the other side's board is committed
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def extract(commit: str, into: Path) -> Path:
    """The package as of commit, importable from the returned folder."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit, "w2sbench", "tasks"], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    definitions = into / "w2sbench" / "tasks" / "definitions"
    if not definitions.exists():  # installed as package data from the top-level tasks/
        definitions.symlink_to(into / "tasks", target_is_directory=True)
    where = subprocess.run(
        [sys.executable, "-P", "-c", "import w2sbench; print(w2sbench.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(into)},
        cwd=REPO,
        check=True,
    ).stdout
    if not where.startswith(str(into)):
        raise SystemExit(f"the extracted package is not the one imported ({where.strip()})")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--after-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"after": REPO}
        if not args.after_only:
            sides = {"before": extract(BEFORE, Path(tmp) / "before"), **sides}
        results: dict[str, dict[str, list[tuple[float, float]]]] = {s: {"build": [], "check": []} for s in sides}
        for r in range(args.rounds):
            for side, path in sides.items():
                out = Path(tmp) / f"{side}-{r}"
                results[side]["build"].append(timed(["leaderboard", "--out", str(out)], path))
                results[side]["check"].append(timed(["leaderboard", "--check"], path))
                print(
                    f"round {r + 1} {side}: build {results[side]['build'][-1][0]:.1f} s wall, "
                    f"check {results[side]['check'][-1][0]:.1f} s wall",
                    flush=True,
                )
    print(
        f"\n{'':8} {'build wall':>11} {'build cpu':>10} {'check wall':>11} {'check cpu':>10}  (median of {args.rounds})"
    )
    med = {
        s: {k: tuple(sorted(v[i] for v in runs)[len(runs) // 2] for i in (0, 1)) for k, runs in d.items()}
        for s, d in results.items()
    }
    for side, m in med.items():
        print(f"{side:8} {m['build'][0]:10.2f}s {m['build'][1]:9.2f}s {m['check'][0]:10.2f}s {m['check'][1]:9.2f}s")
    if "before" in med:
        b, a = med["before"], med["after"]
        print(
            f"{'ratio':8} {b['build'][0] / a['build'][0]:10.1f}x {b['build'][1] / a['build'][1]:9.1f}x "
            f"{b['check'][0] / a['check'][0]:10.1f}x {b['check'][1] / a['check'][1]:9.1f}x  (before / after)"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
