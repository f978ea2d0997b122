"""`w2sbench new-method`, `mock-run`, `evaluate` and `validate`: a researcher's path to the leaderboard;
`w2sbench submissions check-paths` and `comment`: the submissions workflow's own steps."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import click

from w2sbench.cli.options import cache_option, data_dir_option, submissions_option

_SANDBOX_OPTION = click.option(
    "--unsandboxed",
    is_flag=True,
    help="Run submitted code in a plain worker process when bubblewrap is missing or broken "
    "(the method still gets only what the method API allows, but files and network are reachable).",
)
_TIME_OPTION = click.option(
    "--time-limit",
    "time_limit",
    type=float,
    default=None,
    help="Seconds allowed for one method call (default: the track's time_limit_s); a call over it is killed.",
)


def _harness(cache_dir, unsandboxed, time_limit, extra_forbidden=(), data_dir=None):
    from w2sbench.core.paths import use_cache
    from w2sbench.submissions.harness import Harness
    from w2sbench.tasks.loading import data_dir as resolve_data_dir

    return Harness(
        use_cache(cache_dir),
        unsandboxed=unsandboxed,
        time_limit_s=time_limit,
        extra_forbidden=tuple(extra_forbidden),
        data_dir=resolve_data_dir(data_dir),
    )


def _validate_help() -> str:
    from w2sbench.submissions.validate import VALIDATE_CHECKS

    checks = "\n".join(f"  {i}. {name}: {what}." for i, (name, what) in enumerate(VALIDATE_CHECKS, 1))
    return (
        "Check submissions exactly as CI does; exit 1 if any check fails.\n\n"
        "With no PATH: every folder with a metadata.yaml under --root, plus a check that no entry present "
        "at the merge base was removed. Each submission gets these checks, in order (a failing "
        "metadata, sandbox or method check stops that submission's later checks):\n\n\b\n"
        f"{checks}\n\n"
        "Nothing in the submission is modified; re-runs write to a temporary folder."
    )


def register(main: click.Group) -> None:
    register_workflow(main)

    @main.command("new-method")
    @click.argument("name")
    @submissions_option()
    def new_method_cmd(name, root):
        """Create submissions/NAME/: a method class registered under NAME, metadata.yaml and a test.

        Then: edit method.py and metadata.yaml, run `w2sbench mock-run submissions/NAME` (seconds),
        `w2sbench evaluate submissions/NAME` and `w2sbench validate submissions/NAME`.
        """
        from w2sbench.submissions.scaffold import new_method

        for path in new_method(name, root):
            click.echo(f"wrote {path}")
        folder = Path(root) / name
        click.echo(
            f"\nnext: edit {folder}/method.py and {folder}/metadata.yaml, then\n"
            f"  w2sbench mock-run {folder}\n  python -m pytest {folder}\n"
            f"  w2sbench evaluate {folder}\n  w2sbench validate {folder}"
        )

    @main.command("mock-run")
    @click.argument("path", type=click.Path(path_type=Path))
    @_SANDBOX_OPTION
    @click.option(
        "--require-sandbox",
        is_flag=True,
        help="Fail instead of falling back to a plain worker process when bubblewrap does not work.",
    )
    @click.option(
        "--time-limit",
        "time_limit",
        type=float,
        default=120.0,
        show_default=True,
        help="Seconds allowed for one method call.",
    )
    def mock_run_cmd(path, unsandboxed, require_sandbox, time_limit):
        """Smoke-test a submission in seconds: two generated tasks, hashing "rungs", one seed.

        It checks the metadata, loads the class in the isolated worker (bubblewrap if it works
        here, else a plain worker process, said in the output), runs the method and checks its
        predictions. The printed scores say only that the method ran: they are NOT results.
        """
        from w2sbench.submissions.evaluate import mock_run

        report = mock_run(path, unsandboxed=unsandboxed, require_sandbox=require_sandbox, time_limit_s=time_limit)
        click.echo(report.table())
        click.echo(
            f"\nmock run of {report.submission} passed in {report.seconds:.1f} s ({report.sandbox}); "
            f"next: w2sbench evaluate {path}"
        )

    @main.command("evaluate")
    @click.argument("path", type=click.Path(path_type=Path))
    @click.option(
        "--track",
        "tracks",
        multiple=True,
        help="Run only this track (repeatable; default: every track in metadata.yaml).",
    )
    @cache_option
    @_SANDBOX_OPTION
    @_TIME_OPTION
    @click.option(
        "--prune",
        is_flag=True,
        help="Delete records in results/ that belong to no grid of the entry's tracks (stale code or parameters).",
    )
    @click.option(
        "--reuse",
        multiple=True,
        type=click.Path(path_type=Path, exists=True, file_okay=False),
        help="A results folder of `w2sbench run --methods PATH` (repeatable): its records of the same "
        "experiments (task, pair, seed, code, parameters, numerics) are copied in, not recomputed.",
    )
    @click.option("--no-progress", is_flag=True, help="No progress bars: a line per finished stage and per track.")
    @data_dir_option
    def evaluate_cmd(path, tracks, cache_dir, unsandboxed, time_limit, prune, reuse, no_progress, data_dir):
        """Run the grid of each track the submission enters and write records to PATH/results/.

        A track's grid is every (task, weak:strong pair, seed) in w2sbench/running/tracks.yaml.
        Records already there are read back, not recomputed, so an interrupted evaluation
        resumes; --reuse takes records `run --methods PATH` made for the same experiments.
        Submitted code runs isolated (bubblewrap; refused without it unless --unsandboxed).
        """
        from w2sbench.reporting.report import summarize, summary_table
        from w2sbench.submissions.evaluate import evaluate

        harness = _harness(cache_dir, unsandboxed, time_limit, [Path(path) / "results"], data_dir)
        report = evaluate(
            path, harness, list(tracks) or None, prune=prune, show_progress=not no_progress, reuse=tuple(reuse)
        )
        if report.reused:
            click.echo(f"{report.reused} records adopted from {', '.join(map(str, reuse))}", err=True)
        for name, results in report.results.items():
            click.echo(f"\ntrack {name}:")
            click.echo(summary_table(summarize(results)))
        for p in report.pruned:
            click.echo(f"pruned stale record {p}")
        if report.stale:
            click.echo(
                f"\n{len(report.stale)} stale record(s) in {Path(path) / 'results'} belong to no grid of "
                f"this entry (validate will fail); remove them with --prune",
                err=True,
            )
        n = report.record_count()
        click.echo(f"\n{n} result records in {Path(path) / 'results'}; next: w2sbench validate {path}")

    @main.command("rescore")
    @click.option("--track", "track", required=True, help="The private track to score (tracks.yaml: private: true).")
    @click.option(
        "--entry",
        "entries",
        multiple=True,
        help="Rescore only this entry (repeatable; default: every entry of the track).",
    )
    @submissions_option()
    @click.option(
        "--out",
        default="leaderboard/private",
        show_default=True,
        type=click.Path(path_type=Path),
        help="Folder of the private boards' records (OUT/TRACK/ENTRY/*.json and OUT/TRACK/split.json).",
    )
    @cache_option
    @_SANDBOX_OPTION
    @_TIME_OPTION
    @click.option(
        "--check",
        is_flag=True,
        help="Write nothing: re-run every entry and fail if a committed private "
        "record or split.json is not what the re-run gives (validate's rule; for whoever holds the secret).",
    )
    @click.option("--no-progress", is_flag=True, help="Do not draw progress bars.")
    def rescore_cmd(track, entries, root, out, cache_dir, unsandboxed, time_limit, check, no_progress):
        """Maintainers: score every entry of a private track on the test split drawn from the secret.

        The secret is $W2SBENCH_PRIVATE_SEED (at least 16 characters; keep it out of the
        repository, and rotate it when it leaks). The draw is cached under the cache folder, the
        records go to OUT/TRACK/ENTRY/ and the split's sha256 to OUT/TRACK/split.json; then run
        `w2sbench leaderboard` and commit both. A rescore resumes where it stopped.
        """
        from w2sbench.submissions.rescore import rescore
        from w2sbench.tasks.private import secret

        harness = _harness(cache_dir, unsandboxed, time_limit, [Path(out), Path(root)])
        report = rescore(
            root, track, harness, secret(), out, list(entries) or None, show_progress=not no_progress, check=check
        )
        for task, drawn in sorted(report.split.items()):
            click.echo(f"{task}: private split of {drawn['n_test']} test examples, sha256 {drawn['test_sha256']}")
        for name, n in sorted(report.records.items()):
            click.echo(f"{name}: {n} records on the private split{' re-run' if check else ''}")
        if check:
            for problem in report.problems:
                click.echo(f"FAIL {problem}", err=True)
            if report.problems:
                sys.exit(1)
            click.echo(f"{out}/{track}/: every private record reproduces (hard predictions identical)")
            return
        for p in report.removed:
            click.echo(f"removed {p}")
        click.echo(f"\nnext: w2sbench leaderboard, and commit {out}/{track}/ with leaderboard/")

    @main.command("validate", help=_validate_help())
    @click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
    @submissions_option("Folder holding the submissions (used when no PATH is given).")
    @cache_option
    @_SANDBOX_OPTION
    @_TIME_OPTION
    @click.option(
        "--skip-rerun",
        is_flag=True,
        help="Check the record files only, without re-running every record (a quick local check; CI never skips).",
    )
    @click.option(
        "--base", default=None, help="Commit to compare records with (default: git merge-base HEAD origin/main)."
    )
    @click.option(
        "--accept-changes",
        is_flag=True,
        help="Report removed or changed records of existing entries as warnings, not failures.",
    )
    @click.option(
        "--allow-incomplete", is_flag=True, help="Report a track with missing records as a warning, not a failure."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
    @data_dir_option
    def validate_cmd(
        paths,
        root,
        cache_dir,
        unsandboxed,
        time_limit,
        skip_rerun,
        base,
        accept_changes,
        allow_incomplete,
        as_json,
        data_dir,
    ):
        from w2sbench.submissions.checks import ValidateOptions
        from w2sbench.submissions.history import removed_entries
        from w2sbench.submissions.metadata import list_submissions
        from w2sbench.submissions.validate import validate

        folders = list(paths) or list_submissions(root)
        if not folders and not paths:
            click.echo(f"no submissions under {root}", err=True)
        options = ValidateOptions(
            rerun=not skip_rerun,
            base=base,
            accept_changes=accept_changes,
            allow_incomplete=allow_incomplete,
        )
        from w2sbench.protocol.workspace import Caches

        reports, shared = [], Caches()  # task data and feature indexes load once for every entry
        for i, folder in enumerate(folders, 1):
            harness = _harness(cache_dir, unsandboxed, time_limit, [Path(folder) / "results", Path(root)], data_dir)
            harness.caches = shared
            click.echo(f"w2sbench validate: {Path(folder).name} ({i} of {len(folders)})", err=True)
            began = time.perf_counter()
            reports.append(validate(folder, harness, options, progress=_stage_line(began), steps=_step_line(began)))
        global_checks = [removed_entries(root, options)] if not paths else []
        ok = all(r.ok for r in reports) and all(c.status != "fail" for c in global_checks)
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "ok": ok,
                        "submissions": [
                            {"name": r.submission, "ok": r.ok, "checks": [c.__dict__ for c in r.checks]}
                            for r in reports
                        ],
                        "repository": [c.__dict__ for c in global_checks],
                    },
                    indent=1,
                )
            )
        else:
            for r in reports:
                click.echo(f"{r.submission}: {'OK' if r.ok else 'FAILED'}")
                for c in r.checks:
                    click.echo(f"  [{c.status}] {c.name}: {c.detail}")
            for c in global_checks:
                click.echo(f"repository: [{c.status}] {c.name}: {c.detail}")
        if not ok:
            sys.exit(1)


@dataclass(frozen=True)
class PathCheck:
    """What a pull request changes, as the submissions workflow allows it: one entry's folder."""

    entry: str | None  # the one submissions/NAME/ it changes (None: none)
    problems: list[str]


BOARD_FILES = ("leaderboard/README.md", "leaderboard/index.html")  # w2sbench.leaderboard.FILES, regenerated
MAINTAINERS_NOTE = (
    "A submission pull request may change only its own submissions/NAME/ folder and the regenerated "
    f"{' and '.join(BOARD_FILES)}. Maintainers: this job validates with the base branch's harness, so a pull "
    "request that changes the harness, the tracks, reviewed.yaml, leaderboard/private/ or several entries is "
    "checked by .ci/run instead; label it maintainer-change once you have read it."
)


def check_paths(paths: Iterable[str], reference_entries: Collection[str] = ()) -> PathCheck:
    """The entry a pull request's changed paths (`git diff --name-only`) belong to, and every path
    outside what a submission may change: its own submissions/NAME/ (NAME an entry name, not
    one of reference_entries, the harness's builtin entries at the base) and BOARD_FILES."""
    from w2sbench.running.tracks import NAME_PATTERN

    problems, entries = [], set()
    for path in sorted(set(paths)):
        parts = path.split("/")
        if path in BOARD_FILES:
            continue
        if len(parts) >= 3 and parts[0] == "submissions" and parts[1] and parts[-1]:
            name = parts[1]
            if not re.fullmatch(NAME_PATTERN, name):
                problems.append(
                    f"{path!r}: submissions/{name!r}/ is not an entry name (a lower-case letter, then "
                    "1-39 lower-case letters, digits or dashes)"
                )
            elif name in reference_entries:
                problems.append(
                    f"{path!r}: submissions/{name}/ is a reference entry of the harness (a builtin method): "
                    "only maintainers change it"
                )
            else:
                entries.add(name)
            continue
        problems.append(f"{path!r}: outside submissions/NAME/ and the regenerated leaderboard files")
    if len(entries) > 1:
        problems.append(
            f"changes {len(entries)} entries ({', '.join(sorted(entries))}): a submission pull request "
            "changes one folder, submissions/NAME/"
        )
    return PathCheck(next(iter(entries)) if len(entries) == 1 else None, problems)


def _git(*args: str) -> str:
    out = subprocess.run(["git", "-c", "core.quotepath=false", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        from w2sbench.core.errors import W2SError

        raise W2SError(f"git {' '.join(args)} failed: {out.stderr.strip()[:300]}")
    return out.stdout


def changed_paths(base: str) -> list[str]:
    """Every path the commits since base add, change or delete (renames as both names)."""
    return [p for p in _git("diff", "--name-only", "--no-renames", "-z", base, "HEAD", "--").split("\0") if p]


def _reference_entries(base: str, names: Iterable[str]) -> set[str]:
    """Those of names whose metadata.yaml at base names a builtin method (the harness's reference entries)."""
    import yaml

    found = set()
    for name in names:
        shown = subprocess.run(
            ["git", "show", f"{base}:submissions/{name}/metadata.yaml"], capture_output=True, text=True, check=False
        )
        if shown.returncode != 0:
            continue
        try:
            meta = yaml.safe_load(shown.stdout)
        except yaml.YAMLError:
            continue
        if isinstance(meta, dict) and str(meta.get("method", "")).startswith("builtin:"):
            found.add(name)
    return found


def _path_check(base: str) -> PathCheck:
    paths = changed_paths(base)
    touched = {p.split("/")[1] for p in paths if p.startswith("submissions/") and p.count("/") >= 2}
    return check_paths(paths, _reference_entries(base, touched))


def register_workflow(main: click.Group) -> None:
    @main.group("submissions")
    def submissions_group():
        """The submissions workflow's own steps (.github/workflows/submissions.yml), run with the base
        branch's harness on the pull request's checkout."""

    @submissions_group.command("check-paths")
    @click.option("--base", required=True, help="The merge base the pull request is compared with.")
    def check_paths_cmd(base):
        """Fail unless the pull request changes only one entry's submissions/NAME/ (not a reference
        entry's) and the regenerated leaderboard/README.md and leaderboard/index.html."""
        result = _path_check(base)
        if not result.problems:
            click.echo(
                f"paths: only {'submissions/' + result.entry + '/' if result.entry else 'the leaderboard files'}"
                " changed"
            )
            return
        for p in result.problems:
            click.echo(f"refused path: {p}")
        click.echo(MAINTAINERS_NOTE)
        sys.exit(1)

    @submissions_group.command("comment")
    @click.option("--base", default=None, help="The merge base (to list paths outside the entry's folder).")
    @click.option(
        "--validate", "validate_json", type=click.Path(path_type=Path), default=None, help="validate --json's output."
    )
    @click.option(
        "--names",
        "names_file",
        type=click.Path(path_type=Path),
        default=None,
        help="The changed entries' names, one a line (others than entry names are ignored).",
    )
    @submissions_option()
    @click.option(
        "--outcome",
        "outcomes",
        multiple=True,
        metavar="STEP=OUTCOME",
        help="A step's outcome to show in the first line (repeatable).",
    )
    def comment_cmd(base, validate_json, names_file, root, outcomes):
        """Print the pull-request comment: the changed entries against the baselines and every check
        that did not pass. Submitted text is shown as code spans: it renders as nothing but text."""
        from w2sbench.core.errors import W2SError
        from w2sbench.leaderboard.board import build_leaderboard
        from w2sbench.leaderboard.comment import entry_markdown, pr_comment
        from w2sbench.leaderboard.render import code_span
        from w2sbench.running.tracks import NAME_PATTERN, all_tracks

        report = None
        if validate_json is not None:
            try:
                report = json.loads(Path(validate_json).read_text())
            except (OSError, ValueError):
                report = None
        names = []
        if names_file is not None and Path(names_file).exists():
            names = [n for n in Path(names_file).read_text().splitlines() if re.fullmatch(NAME_PATTERN, n)]
        sections = []
        if names:
            try:
                lb = build_leaderboard(root, all_tracks())
                sections = [entry_markdown(lb, n) for n in names]
            except W2SError as e:
                sections = [f"The leaderboard could not be built: {code_span(e, table=False, limit=400)}"]
        problems = []
        if base is not None:
            try:
                problems = _path_check(base).problems
            except W2SError as e:
                problems = [str(e)]
        shown = dict(o.split("=", 1) if "=" in o else (o, "") for o in outcomes)
        click.echo(pr_comment(shown, sections, report, problems), nl=False)


def _step_line(start: float):
    """One stderr line per record re-run inside the reproduce check."""

    def line(submission: str, text: str) -> None:
        click.echo(f"  {time.perf_counter() - start:6.1f} s  {submission}:     {text}", err=True)

    return line


def _stage_line(start: float):
    """One stderr line per finished check, with the time since the entry began (CI logs show where it goes)."""

    def line(submission: str, check) -> None:
        click.echo(f"  {time.perf_counter() - start:6.1f} s  {submission}: [{check.status}] {check.name}", err=True)

    return line
