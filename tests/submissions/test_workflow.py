"""The submissions workflow under a hostile pull request: untrusted values reach its shells
through `env:` only, so a folder named like a command is a name, never a command.

The steps are rendered the way GitHub Actions renders them (each `${{ expr }}` replaced by its
value, textually, before bash sees the script) and run with bash in a real git repository
whose pull request adds a folder named ``$(touch${IFS}CI-PWNED)``; `w2sbench` is a stub that
records its arguments.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "submissions.yml"
HOSTILE = "$(touch${IFS}CI-PWNED)"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git, bash")


def steps() -> dict[str, dict]:
    return {s["name"]: s for s in yaml.safe_load(WORKFLOW.read_text())["jobs"]["validate"]["steps"] if "name" in s}


def render(text: str, context: dict[str, str]) -> str:
    """What GitHub does to a `${{ }}` expression: paste its value into the text."""
    return EXPRESSION.sub(lambda m: context.get(m.group(1), ""), text)


def test_no_expression_inside_a_run_script():
    pasted = {name: EXPRESSION.findall(s["run"]) for name, s in steps().items() if "run" in s}
    assert not {name: found for name, found in pasted.items() if found}, "use env: for these"


@pytest.fixture
def pull_request(tmp_path):
    """A repository whose pull request adds a submission in a folder named HOSTILE, and one honest entry."""
    repo = tmp_path / "repo"
    (repo / "submissions" / "honest").mkdir(parents=True)
    (repo / "submissions" / "honest" / "metadata.yaml").write_text("name: honest\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]

    def run(*a):
        subprocess.run([*git, *a], cwd=repo, check=True, capture_output=True)

    run("init", "-q")
    run("add", ".")
    run("commit", "-qm", "base")
    run("update-ref", "refs/remotes/origin/main", "HEAD")
    (repo / "submissions" / "fair-entry").mkdir()
    (repo / "submissions" / "fair-entry" / "metadata.yaml").write_text("name: fair-entry\n")
    (repo / "submissions" / HOSTILE).mkdir()
    (repo / "submissions" / HOSTILE / "metadata.yaml").write_text("name: x\n")
    (repo / "submissions" / "reviewed.yaml").write_text("accepted: {fair-entry: [abc]}\n")
    run("add", ".")
    run("commit", "-qm", "pull request")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    stub = stubs / "w2sbench"
    stub.write_text(
        '#!/bin/bash\nprintf "%s\\n" "$*" >> "$W2S_CALLS"\n'
        'echo "{\\"ok\\": true, \\"submissions\\": [], \\"repository\\": []}"\n'
    )
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return repo, stubs


def run_step(step: dict, repo: Path, stubs: Path, context: dict[str, str], output: Path) -> subprocess.CompletedProcess:
    """One step's script, run in repo: the job's working directory, pr/ (the pull request's checkout)."""
    env = {k: render(str(v), context) for k, v in (step.get("env") or {}).items()}
    env.update(
        PATH=f"{stubs}:{os.environ['PATH']}",
        GITHUB_OUTPUT=str(output),
        W2S_CALLS=str(repo.parent / "calls"),
        HOME=str(repo.parent),
    )
    return subprocess.run(
        ["bash", "-e", "-c", render(step["run"], context)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_hostile_folder_name_runs_nothing(pull_request):
    repo, stubs = pull_request
    s = steps()
    output = repo.parent / "github_output"
    output.touch()
    context = {"github.base_ref": "main"}
    changed = run_step(s["Changed submissions"], repo, stubs, context, output)
    assert changed.returncode == 0, changed.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert "refused submission folder name" in changed.stdout and outputs.get("refused") == "1"
    assert outputs.get("maintainer_files_changed") == "1", "an acceptance added by the pull request itself"
    refused = [line for line in changed.stdout.splitlines() if line.startswith("refused")]
    assert len(refused) == 1 and "CI-PWNED" in refused[0], "only the hostile folder is refused"
    # what a step output would carry if the workflow still pasted names into a script
    context.update(
        {
            "steps.changed.outputs.base": outputs["base"],
            "steps.changed.outputs.names": HOSTILE,
            "steps.changed.outputs.refused": outputs["refused"],
            "steps.changed.outputs.maintainer_files_changed": outputs["maintainer_files_changed"],
            "steps.validate.outcome": "success",
            "steps.board.outcome": "success",
        }
    )
    context["steps.paths.outcome"] = "success"
    for name in (
        "Paths a submission may change",
        "w2sbench validate (every submission, as .ci/run)",
        "Write the comment",
        "Fail when a check failed",
    ):
        run_step(s[name], repo, stubs, context, output)
    assert not list(repo.parent.rglob("CI-PWNED")), "the folder name ran as a command"
    calls = (repo.parent / "calls").read_text().splitlines()
    base = outputs["base"]
    assert calls == [
        f"submissions check-paths --base {base}",
        f"validate --base {base} --json",
        f"submissions comment --base {base} --validate validate.json --names names.txt --outcome "
        "validate=success --outcome leaderboard --check=success --outcome paths=success",
    ]
    assert (repo / "names.txt").read_text() == "fair-entry\n"  # the only name the comment is given
    assert (repo.parent / "comment.md").exists()  # beside pr/, where the github-script step reads it


def test_a_hostile_base_branch_runs_nothing(pull_request):
    repo, stubs = pull_request
    output = repo.parent / "github_output"
    output.touch()
    step = steps()["Changed submissions"]
    run_step(step, repo, stubs, {"github.base_ref": f"main{HOSTILE}"}, output)
    assert not list(repo.parent.rglob("CI-PWNED"))


def test_private_board_records_in_a_pull_request_need_a_maintainers_label(tmp_path):
    """leaderboard/private/ holds the records the maintainers made with the secret: a pull request
    that writes there is marked like one that accepts its own entry."""
    repo = tmp_path / "repo"
    (repo / "submissions").mkdir(parents=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    for args in (
        ["init", "-q"],
        ["commit", "-q", "--allow-empty", "-m", "base"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
    ):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    forged = repo / "leaderboard" / "private" / "chess-board" / "mine" / "0123.json"
    forged.parent.mkdir(parents=True)
    forged.write_text("{}")
    for args in (["add", "."], ["commit", "-qm", "pull request"]):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    output = tmp_path / "github_output"
    output.touch()
    changed = run_step(steps()["Changed submissions"], repo, tmp_path, {"github.base_ref": "main"}, output)
    assert changed.returncode == 0, changed.stderr
    assert "leaderboard/private changed: only a maintainer" in changed.stdout
    assert "maintainer_files_changed=1" in output.read_text().splitlines()


def test_the_job_runs_the_base_branchs_harness_never_the_pull_requests_code():
    """pr/ is the pull request as data, harness/ the base commit; only harness/ is installed and run."""
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["validate"]
    assert job["defaults"]["run"]["working-directory"] == "pr"
    checkouts = [s["with"] for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout")]
    assert {c["path"] for c in checkouts} == {"pr", "harness"}
    assert all(c.get("persist-credentials") is False for c in checkouts)
    [harness] = [c for c in checkouts if c["path"] == "harness"]
    assert harness["ref"] == "${{ github.event.pull_request.base.sha }}"
    s = steps()
    assert s["Install w2sbench (the base branch's)"]["run"].strip() == "bash ../harness/install.sh"
    scripts = "\n".join(step["run"] for step in s.values() if "run" in step)
    assert "install.sh" not in scripts.replace("../harness/install.sh", "")
    # nothing imports from pr/: no python run there (a json.py in the pull request would shadow the stdlib)
    assert not re.search(r"\bpython3?\b", scripts), "run python through the base harness's w2sbench instead"
    script = s["Comment on the pull request"]["with"]["script"]
    assert "readFileSync('comment.md'" in script and "c.user.type === 'Bot'" in script  # only the bot's own comment


def test_a_pull_request_outside_its_entrys_folder_fails_with_a_message_for_the_maintainers(tmp_path):
    """The path check (w2sbench submissions check-paths, the installed harness's) on a pull request
    that adds an entry and also edits the harness: the step fails, naming the path."""
    if shutil.which("w2sbench") is None:
        pytest.skip("needs the w2sbench command (bash install.sh)")
    repo = tmp_path / "repo"
    (repo / "w2sbench").mkdir(parents=True)
    (repo / "w2sbench" / "scoring.py").write_text("x = 1\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    for args in (
        ["init", "-q"],
        ["add", "."],
        ["commit", "-qm", "base"],
        ["update-ref", "refs/remotes/origin/main", "HEAD"],
    ):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    (repo / "submissions" / "fair-entry").mkdir(parents=True)
    (repo / "submissions" / "fair-entry" / "metadata.yaml").write_text("name: fair-entry\n")
    (repo / "w2sbench" / "scoring.py").write_text("x = 2  # ranks me first\n")
    for args in (["add", "."], ["commit", "-qm", "pull request"]):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    output = tmp_path / "github_output"
    output.touch()
    s = steps()
    changed = run_step(s["Changed submissions"], repo, tmp_path / "no-stubs", {"github.base_ref": "main"}, output)
    base = dict(line.split("=", 1) for line in output.read_text().splitlines())["base"]
    paths = run_step(
        s["Paths a submission may change"], repo, tmp_path / "no-stubs", {"steps.changed.outputs.base": base}, output
    )
    assert changed.returncode == 0 and paths.returncode == 1, paths.stderr
    assert "refused path: 'w2sbench/scoring.py': outside submissions/NAME/" in paths.stdout
    assert "Maintainers: this job validates with the base branch's harness" in paths.stdout
    fail = run_step(
        s["Fail when a check failed"],
        repo,
        tmp_path / "no-stubs",
        {"steps.paths.outcome": "failure", "steps.validate.outcome": "success", "steps.board.outcome": "success"},
        output,
    )
    assert fail.returncode == 1 and "Maintainers: this pull request changes files a submission may not" in fail.stdout


def test_an_entry_past_its_tracks_time_budget_fails_validate(arena, tmp_path):
    """One entry cannot hold CI for hours: validate's re-runs of an entry on a track stop at the
    track's budget_s (tracks.yaml), and the entry fails saying so."""
    from tests.submissions.conftest import toy_harness, toy_track
    from w2sbench.running.tracks import all_tracks
    from w2sbench.submissions.validate import validate

    def reproduce(report):
        [check] = [c for c in report.checks if c.name == "reproduce"]
        return check.status, check.detail

    assert all(t.budget_s <= 1800 for t in all_tracks().values())
    timeout_min = yaml.safe_load(WORKFLOW.read_text())["jobs"]["validate"]["timeout-minutes"]
    assert sum(t.budget_s for t in all_tracks().values()) <= timeout_min * 60 / 2  # half left for install
    honest = arena["root"] / "honest"
    fits = validate(honest, toy_harness(arena["cache"], {"toy": toy_track()}))
    assert reproduce(fits)[0] == "pass"
    tight = {"toy": toy_track().model_copy(update={"budget_s": 1e-3})}
    status, detail = reproduce(validate(honest, toy_harness(arena["cache"], tight)))
    assert status == "fail" and "track toy: re-running its records took" in detail
    assert "past the track's budget of 0.001 s (budget_s in w2sbench/running/tracks.yaml" in detail
