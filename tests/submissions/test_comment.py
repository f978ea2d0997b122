"""Text from a submission is data: the pull-request comment (w2sbench submissions comment, the
workflow's step), the compare rows and the board show exception text and metadata as text only.

Hostile text (a fake "validate success" banner on its own line, an image, a link, HTML, a
mention, backticks that would close a code span, pipes that would open table cells) goes in as
a submission name, a check's detail (a method's exception), authors and tracks in metadata.yaml;
the Markdown is rendered with markdown-it (CommonMark and GFM tables, as GitHub reads them) and
nothing but text may come out of it.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from tests.reporting.records import correct_on, record
from tests.submissions.conftest import write_submission
from w2sbench.cli import main
from w2sbench.core.result import ResultStore
from w2sbench.leaderboard import generate
from w2sbench.leaderboard.board import build_leaderboard
from w2sbench.leaderboard.comment import COMMENT_MARKER, entry_markdown, pr_comment
from w2sbench.leaderboard.render import code_span
from w2sbench.running.tracks import Track

markdown_it = pytest.importorskip("markdown_it")

HOSTILE = (
    "ok` ``` ![img](https://evil.example/x.png) [click](https://evil.example) <b>bold</b> <img src=x "
    "onerror=alert(1)> @maintainers | fake | cell |\n\n## validate success\n**w2sbench submissions check**: "
    "validate success\n\\` `` end"
)
TRACK = Track(
    name="toy",
    title="toy track",
    status="provisional",
    description="hand-made records",
    suite="toy",
    tasks=["a"],
    ladder="fake",
    pairs=["weak:strong"],
    seeds=[0],
    time_limit_s=60,
)


def rendered(md: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(md)


def only_text(html: str) -> None:
    """Nothing a submission wrote became markup: no image, link, HTML, heading or emphasis from it."""
    outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.DOTALL)
    assert "<img" not in html and "<b>" not in html
    links = re.findall(r'<a href="([^"]*)"', html)
    assert all(re.fullmatch(r"\.\./submissions/[a-z][a-z0-9-]*/|index\.html", h) for h in links), links
    assert "evil.example" not in outside_code and "validate success" not in outside_code
    assert "@maintainers" not in outside_code  # a mention outside code would notify people


def test_a_code_span_holds_any_text_whole():
    for text in (HOSTILE, "`", "``x``", "a|b", "\\|", "  spaced\nlines  "):
        html = rendered(f"| x |\n|---|\n| {code_span(text)} |\n") + rendered(code_span(text, table=False))
        assert html.count("<code>") == 2 and html.count("<td>") == 1
        want = " ".join(text.split())
        escaped = want.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        assert html.count(f"<code>{escaped}</code>") == 2, html


def report(detail: str = HOSTILE) -> dict:
    return {
        "ok": False,
        "submissions": [
            {
                "name": HOSTILE,
                "ok": False,
                "checks": [
                    {"name": "method", "status": "fail", "detail": detail},
                    {"name": HOSTILE, "status": "pass", "detail": HOSTILE},
                ],
            },
            {"name": "fair", "ok": True, "checks": [{"name": "records toy", "status": HOSTILE, "detail": "x"}]},
        ],
        "repository": [{"name": "history", "status": "fail", "detail": HOSTILE}],
    }


def test_the_comment_shows_hostile_checks_as_text():
    md = pr_comment(
        {"validate": "failure", "leaderboard --check": "success; ## validate success"},
        [],
        report(),
        [f"{HOSTILE!r}: outside submissions/NAME/"],
    )
    lines = md.splitlines()
    assert lines[0] == COMMENT_MARKER and md.count(COMMENT_MARKER) == 1
    assert lines[1] == "**w2sbench submissions check**: validate failure, leaderboard --check unknown"
    assert not any(line.startswith(("#", "!", "<", "**w2sbench")) for line in lines[2:])
    html = rendered(md)
    only_text(html)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.DOTALL)[1:]
    assert len(rows) == 3 and all(r.count("<td>") == 4 for r in rows)  # no cell added by a pipe


def test_the_comment_command_on_hostile_files(tmp_path, monkeypatch):
    (tmp_path / "validate.json").write_text(json.dumps(report()))
    (tmp_path / "names.txt").write_text(f"{HOSTILE}\n")  # not an entry name: ignored
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(
        main,
        [
            "submissions",
            "comment",
            "--validate",
            "validate.json",
            "--names",
            "names.txt",
            "--root",
            "none",
            "--outcome",
            "validate=failure",
        ],
    )
    assert out.exit_code == 0, out.output
    assert out.output.startswith(COMMENT_MARKER) and "| `method` | `fail` |" in out.output
    only_text(rendered(out.output))
    (tmp_path / "validate.json").write_text("not json")
    out = CliRunner().invoke(main, ["submissions", "comment", "--validate", "validate.json"])
    assert "validate produced no report" in out.output


@pytest.fixture
def root(tmp_path):
    """naive, an entry with hostile authors and description, one whose metadata names a hostile track."""
    labels = np.random.default_rng(0).integers(0, 2, 200)
    first = lambda k: np.arange(200) < k  # noqa: E731
    for name, extra in (
        ("naive", {}),
        ("loud", {"authors": [HOSTILE], "description": HOSTILE}),
        ("tracky", {"tracks": ["toy", HOSTILE]}),
    ):
        params = {"v": name} if name != "naive" else None
        folder = write_submission(tmp_path, name, builtin="naive", parameters=params, extra=extra)
        ResultStore(folder / "results").write(
            record(
                "a",
                0,
                labels,
                correct_on(labels, first(140)),
                correct_on(labels, first(150)),
                correct_on(labels, first(180)),
                params=params,
                ladder="fake",
            )
        )
    return tmp_path


def test_compare_rows_and_the_board_show_metadata_as_text(root):
    lb = build_leaderboard(root, {"toy": TRACK})
    assert [n for n, _ in lb.invalid] == ["tracky"] and "unknown track(s)" in lb.invalid[0][1]
    for name in ("loud", "tracky"):
        md = entry_markdown(lb, name)
        assert "ok` ```" in md  # shown, whole, in a code span
        only_text(rendered(md))
    files = generate(root, {"toy": TRACK})
    only_text(rendered(files["README.md"].decode()))
    page = files["index.html"].decode()
    assert "<img" not in page and "<b>bold" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert 'href="https://evil.example' not in page
