"""The pull-request comment: an entry's rows next to the baselines', and the workflow's outcome
(everything a submission controls shown as code spans, w2sbench.leaderboard.render.code_span)."""

from __future__ import annotations

import re

from w2sbench.leaderboard.board import Leaderboard
from w2sbench.leaderboard.render import code_span, md_rows


def entry_markdown(lb: Leaderboard, name: str) -> str:
    """A PR comment: the entry's row on each board it enters, next to the baselines' rows."""
    out = [f"### w2sbench: {code_span(name, table=False)} against the baselines", ""]
    found = False
    for b in lb.boards:
        mine = [r for r in b.rows + b.oracle_rows if r.name == name]
        status = [f"incomplete: {have}/{need} records" for n, have, need in b.incomplete if n == name] + [
            f"invalid: {code_span(why, table=False)}" for n, why in b.invalid if n == name
        ]
        if not mine and not status:
            continue
        found = True
        baselines = [r for r in b.rows + b.oracle_rows if r.metadata.builtin is not None and r.name != name]
        out += [f"**{b.track.name}** ({b.track.title})", ""]
        if mine:
            out += [md_rows(b, mine + baselines, ranked=True), ""]
        out += [f"- {s}" for s in status] + ([""] if status else [])
    for n, why in lb.invalid:
        if n == name:
            found = True
            out += [f"- invalid entry: {code_span(why, table=False)}", ""]
    if not found:
        out.append(f"{code_span(name, table=False)} enters no board.")
    return "\n".join(out).rstrip() + "\n"


COMMENT_MARKER = "<!-- w2sbench-submissions -->"  # the bot finds its own earlier comment by it


COMMENT_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters


def pr_comment(outcomes: dict[str, str], sections: list[str], report: dict | None, path_problems: list[str]) -> str:
    """The submissions workflow's pull-request comment. Everything a submission controls (entry and
    check names, details quoting a method's exceptions or metadata, paths) is a code span
    (code_span): it cannot add a heading, a banner, an image, a link, HTML or a mention.

    outcomes: step name -> GitHub's outcome (success, failure, ...); sections: Markdown of
    entry_markdown, already safe; report: validate --json's object, or None when it made none;
    path_problems: check-paths' problems."""

    def outcome(v: str) -> str:
        return v if re.fullmatch(r"[a-z_]{1,20}", v or "") else "unknown"

    shown = ", ".join(f"{name} {outcome(v)}" for name, v in outcomes.items())
    out = [COMMENT_MARKER, f"**w2sbench submissions check**: {shown}", ""]
    if path_problems:
        out += [
            "**Paths outside this entry's folder** (a submission pull request changes only its own "
            "`submissions/NAME/` and the regenerated `leaderboard/README.md` and `leaderboard/index.html`):",
            "",
        ]
        out += [f"- {code_span(p, table=False, limit=400)}" for p in path_problems[:20]]
        out += ([f"- and {len(path_problems) - 20} more"] if len(path_problems) > 20 else []) + [""]
    for s in sections:
        out += [s.rstrip(), ""]
    if report is None:
        out.append("validate produced no report; see the job log.")
    else:
        try:
            rows = [
                (sub["name"], c["name"], c["status"], c["detail"])
                for sub in report["submissions"]
                for c in sub["checks"]
                if c["status"] != "pass"
            ]
            rows += [("(repository)", c["name"], c["status"], c["detail"]) for c in report["repository"]]
        except (KeyError, TypeError):
            out.append("validate's report is not in its format; see the job log.")
        else:
            out += ["| submission | check | status | detail |", "|---|---|---|---|"]
            out += [
                f"| {code_span(n, limit=80)} | {code_span(c, limit=80)} | {code_span(s, limit=20)} | "
                f"{code_span(d, limit=400)} |"
                for n, c, s, d in rows
            ]
    text = "\n".join(out).rstrip() + "\n"
    if len(text) > COMMENT_LIMIT:
        text = text[:COMMENT_LIMIT].rsplit("\n", 1)[0] + "\n\n(cut: the whole report is in the job log)\n"
    return text
