"""History: what the merge base had, so a changed entry's score changes are shown and removals noticed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pydantic import ValidationError

from w2sbench.core.cell import Cell
from w2sbench.core.errors import W2SError
from w2sbench.core.records import read_records
from w2sbench.core.result import Result
from w2sbench.submissions.checks import Check, Status, ValidateOptions, ValidationReport
from w2sbench.submissions.metadata import Submission

# ---------------------------------------------------------------------------------------------
# History: what the merge base had
# ---------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str, text: bool = True):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=text, timeout=60)


def repo_root(path: Path) -> Path | None:
    try:
        out = _git(Path(path), "rev-parse", "--show-toplevel")
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def merge_base(repo: Path, base: str | None) -> tuple[str | None, str]:
    """(commit, how it was found) or (None, why there is none)."""
    if base is not None:
        out = _git(repo, "rev-parse", "--verify", f"{base}^{{commit}}")
        if out.returncode != 0:
            raise W2SError(f"--base {base}: not a commit in {repo}")
        return out.stdout.strip(), f"--base {base}"
    out = _git(repo, "merge-base", "HEAD", "origin/main")
    if out.returncode != 0:
        return (
            None,
            "no origin/main to compare with (git merge-base HEAD origin/main failed); fetch it or pass --base REF",
        )
    return out.stdout.strip(), "git merge-base HEAD origin/main"


def base_files(repo: Path, commit: str, prefix: str) -> dict[str, bytes]:
    """Every file under prefix at the commit: path -> content."""
    listing = _git(repo, "ls-tree", "-r", "-z", "--name-only", commit, "--", prefix)
    paths = [p for p in listing.stdout.split("\0") if p]
    out = {}
    if not paths:
        return out
    proc = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input="".join(f"{commit}:{p}\n" for p in paths).encode(),
        capture_output=True,
        timeout=300,
    )
    data = proc.stdout
    pos = 0
    for p in paths:
        header_end = data.index(b"\n", pos)
        header = data[pos:header_end].split()
        size = int(header[2])
        out[p] = data[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
    return out


def check_history(report: ValidationReport, sub: Submission, options: ValidateOptions) -> None:
    repo = options.repo or repo_root(sub.folder)
    if repo is None:
        report.add("history", "skip", "not in a git repository; nothing to compare with")
        return
    commit, how = merge_base(repo, options.base)
    if commit is None:
        report.add("history", "skip", how)
        return
    try:
        rel = sub.folder.resolve().relative_to(Path(repo).resolve()).as_posix()
    except ValueError:
        report.add("history", "skip", f"{sub.folder} is outside the repository {repo}")
        return
    before = {p: b for p, b in base_files(repo, commit, f"{rel}/results").items() if p.endswith(".json")}
    if not before:
        report.add("history", "pass", f"new entry (no records at {commit[:10]}, found by {how})")
        return
    removed, changed = [], []
    for path, content in sorted(before.items()):
        now = Path(repo) / path
        if not now.exists():
            removed.append(path)
        elif now.read_bytes() != content:
            changed.append(path)
    if not removed and not changed:
        report.add("history", "pass", f"all {len(before)} records at {commit[:10]} unchanged ({how})")
        return
    diff = score_changes(before, sub.results_dir)
    detail = (
        f"submission {sub.name}: since {commit[:10]} ({how}) {len(removed)} record(s) removed and {len(changed)} "
        f"changed; scores: {diff or 'no per-cell score changed'}"
    )
    if options.accept_changes:
        report.add("history", "warn", detail + " (accepted with --accept-changes)")
    else:
        report.add("history", "fail", detail + "; if intended, a maintainer re-runs with --accept-changes")


def score_changes(before: dict[str, bytes], results_dir: Path) -> str:
    """Per (task, pair) seed-averaged PGR before and now, for the cells that changed."""
    from w2sbench.reporting.report import summarize

    def summaries(records):
        return {Cell(s.task, s.weak, s.strong, s.ladder): s.pgr for s in summarize(records)}

    old = []
    for content in before.values():
        try:
            old.append(Result.model_validate_json(content))
        except (ValidationError, ValueError):
            pass
    new, _ = read_records(results_dir)
    a, b = summaries(old), summaries(list(new.values()))
    out = []
    for cell in sorted(set(a) | set(b)):
        if a.get(cell) != b.get(cell) or (cell in a) != (cell in b):
            out.append(f"{cell} PGR {_f(a.get(cell), cell in a)} -> {_f(b.get(cell), cell in b)}")
    return "; ".join(out[:8])


def _f(x, present: bool) -> str:
    if not present:
        return "absent"
    return "n/a" if x is None else f"{x:.3f}"


def removed_entries(root: Path, options: ValidateOptions) -> Check:
    """Entries present at the merge base but gone now (a repository-level check)."""
    root = Path(root)
    repo = options.repo or repo_root(root)
    if repo is None:
        return Check("entries", "skip", "not in a git repository")
    commit, how = merge_base(repo, options.base)
    if commit is None:
        return Check("entries", "skip", how)
    try:
        rel = root.resolve().relative_to(Path(repo).resolve()).as_posix()
    except ValueError:
        return Check("entries", "skip", f"{root} is outside the repository")
    listing = _git(repo, "ls-tree", "-d", "--name-only", f"{commit}:{rel}")
    before = sorted(n for n in listing.stdout.split("\n") if n) if listing.returncode == 0 else []
    gone = [n for n in before if not (root / n / "metadata.yaml").exists()]
    if not gone:
        return Check("entries", "pass", f"all {len(before)} entries at {commit[:10]} still present ({how})")
    status: Status = "warn" if options.accept_changes else "fail"
    return Check(
        "entries",
        status,
        f"entries removed since {commit[:10]} ({how}): {', '.join(gone)}"
        + (" (accepted with --accept-changes)" if options.accept_changes else ""),
    )
