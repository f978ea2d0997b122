"""What a submission pull request may change: its own submissions/NAME/ and the regenerated
leaderboard files, nothing else (w2sbench submissions check-paths, the submissions workflow's step)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from w2sbench.cli import main
from w2sbench.cli.submissions import BOARD_FILES, check_paths


def test_one_entrys_folder_and_the_regenerated_board_pass():
    got = check_paths(
        [
            "submissions/my-method/method.py",
            "submissions/my-method/results/ab.json",
            "submissions/my-method/metadata.yaml",
            *BOARD_FILES,
        ]
    )
    assert got.entry == "my-method" and got.problems == []
    assert check_paths(list(BOARD_FILES)).problems == []


@pytest.mark.parametrize(
    "path",
    [
        "w2sbench/leaderboard/scoring.py",  # the harness
        "install.sh",
        ".github/workflows/submissions.yml",
        "w2sbench/running/tracks.yaml",
        "tasks/wordnet_gloss.yaml",
        "submissions/reviewed.yaml",  # the maintainers' acceptances
        "submissions/conftest.py",
        "leaderboard/private/chess-board/my-method/0123.json",  # the maintainers' private records
        "leaderboard/style.css",
        "tests/conftest.py",
    ],
)
def test_any_other_path_is_refused_by_name(path):
    got = check_paths(["submissions/my-method/method.py", path])
    assert got.entry == "my-method" and got.problems == [
        f"{path!r}: outside submissions/NAME/ and the regenerated leaderboard files"
    ]


def test_two_entries_a_reference_entry_or_an_odd_name_are_refused():
    two = check_paths(["submissions/a-one/metadata.yaml", "submissions/b-two/metadata.yaml"])
    assert two.entry is None and two.problems == [
        "changes 2 entries (a-one, b-two): a submission pull request changes one folder, submissions/NAME/"
    ]
    ref = check_paths(["submissions/naive/metadata.yaml"], reference_entries={"naive"})
    assert ref.entry is None and "submissions/naive/ is a reference entry of the harness" in ref.problems[0]
    odd = check_paths(["submissions/$(touch x)\n## ok/metadata.yaml"])
    assert odd.entry is None and "is not an entry name" in odd.problems[0] and "\n" not in odd.problems[0]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_command_reads_the_diff_and_knows_the_reference_entries_at_the_base(tmp_path, monkeypatch):
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]

    def run(*args):
        subprocess.run([*git, *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "submissions" / "naive").mkdir(parents=True)
    (tmp_path / "submissions" / "naive" / "metadata.yaml").write_text("name: naive\nmethod: builtin:naive\n")
    run("init", "-q")
    run("add", ".")
    run("commit", "-qm", "base")
    run("tag", "base")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "submissions" / "mine").mkdir()
    (tmp_path / "submissions" / "mine" / "metadata.yaml").write_text("name: mine\n")
    run("add", ".")
    run("commit", "-qm", "entry")
    ok = CliRunner().invoke(main, ["submissions", "check-paths", "--base", "base"])
    assert ok.exit_code == 0 and "only submissions/mine/ changed" in ok.output
    (tmp_path / "submissions" / "naive" / "metadata.yaml").write_text(
        "name: naive\nmethod: builtin:naive\ntracks: []\n"
    )
    run("mv", "submissions/mine/metadata.yaml", "submissions/mine/meta.yaml")
    run("commit", "-qam", "and the reference")
    bad = CliRunner().invoke(main, ["submissions", "check-paths", "--base", "base"])
    assert bad.exit_code == 1
    assert "refused path: 'submissions/naive/metadata.yaml': submissions/naive/ is a reference entry" in bad.output
    assert "Maintainers:" in bad.output
