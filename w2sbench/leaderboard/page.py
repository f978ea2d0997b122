"""index.html: the boards as one self-contained page (inline SVG plots, no network), built from
the same boards and helpers as README.md (w2sbench.leaderboard.render)."""

from __future__ import annotations

from html import escape

from w2sbench.leaderboard import svg
from w2sbench.leaderboard.board import Board, Leaderboard, Row
from w2sbench.leaderboard.render import (
    GENERATED,
    PAIRS_NOTE,
    RULES,
    ci_text,
    grid_line,
    left_out_line,
    pairs_table,
    private_line,
    reference_line,
    reproduce_command,
    summary,
    task_value,
)

CSS = (
    "\n"
    "body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1400px;color:#222;"
    "padding:0 16px}\n"
    ".scroll{overflow-x:auto}td.ci{white-space:nowrap}\n"
    "h1{font-size:26px}h2{margin-top:40px;border-bottom:2px solid #ddd;padding-bottom:4px}\n"
    "table{border-collapse:collapse;margin:12px 0;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\n"
    "th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "code{background:#f5f5f5;padding:1px 4px;font-size:12px}.muted{color:#666}"
    ".tag{font-size:12px;background:#fff3cd;padding:2px 6px;border-radius:3px}\n"
    "figure{margin:16px 0}figcaption{font-size:12px;color:#555;max-width:720px}"
    ".plots{display:flex;flex-wrap:wrap;gap:8px}\n"
    "nav a{margin-right:14px}.summary{font-size:16px;font-weight:bold}details{margin:8px 0}"
    "summary{cursor:pointer;color:#444}td.better{background:#d4edda}td.worse{background:#f8d7da}\n"
)


def _html_rows(board: Board, rows: list[Row], ranked: bool, table_class: str) -> str:
    t = board.track
    head = (
        (["rank"] if ranked else [])
        + ["submission", "PGR [95% CI]", "median"]
        + list(t.tasks)
        + ["acc w2s", "agree where weak wrong", "method", "authors", "paper", "reproduce"]
    )
    out = [
        f'<div class="scroll"><table class="{table_class}" data-track="{escape(t.name)}"><thead><tr>'
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
    ]
    for r in rows:
        m = r.metadata
        paper = (
            f'<a href="{escape(m.paper)}" rel="nofollow noopener">paper</a>'
            if m.paper
            else '<span class="muted">none</span>'
        )
        params = ", ".join(f"{k}={v}" for k, v in sorted(r.params.items()))
        cells = [f'<td class="num">{r.rank if r.rank is not None else "-"}</td>'] if ranked else []
        cells += [
            f'<td class="sub"><a href="../submissions/{escape(r.name)}/" title="{escape(_short(m.description, 400))}">'
            f"{escape(r.name)}</a></td>",
            f'<td class="num ci">{escape(ci_text(r))}</td>',
            f'<td class="num">{svg.fmt(r.median)}</td>',
        ]
        cells += [f'<td class="num">{escape(task_value(board, r, task))}</td>' for task in t.tasks]
        cells += [
            f'<td class="num">{svg.fmt(r.acc_w2s, 3)}</td>',
            f'<td class="num">{svg.fmt(r.agreement_wrong)}</td>',
            f"<td>{escape(r.method)}{' (' + escape(params) + ')' if params else ''}</td>",
            f"<td>{escape(', '.join(m.authors))}</td>",
            f"<td>{paper}</td>",
            f"<td><code>{escape(reproduce_command(board, r.name))}</code></td>",
        ]
        out.append(f'<tr class="entry" data-name="{escape(r.name)}">' + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def _matrix(board: Board) -> str:
    """The pairwise matrix behind the ranks: Holm-adjusted p of row vs column, marked where significant."""
    rk = board.ranking
    head = "<tr><th>row vs column</th>" + "".join(f"<th>{escape(n)}</th>" for n in rk.names) + "</tr>"
    body = []
    for i, a in enumerate(rk.names):
        cells = []
        for j in range(len(rk.names)):
            p = rk.p[i][j]
            if p is None:
                cells.append('<td class="num muted">-</td>')
                continue
            mark = " better" if rk.better[i][j] else (" worse" if rk.better[j][i] else "")
            cells.append(
                f'<td class="num{mark}">{p:.2g}{" &gt;" if mark == " better" else (" &lt;" if mark else "")}</td>'
            )
        body.append(f"<tr><th>{escape(a)} (rank {rk.ranks[a]})</th>" + "".join(cells) + "</tr>")
    return (
        "<details><summary>Pairwise comparisons behind the ranks</summary>"
        '<p class="muted">Holm-adjusted p of the paired bootstrap test of row minus column; &gt; marks a row '
        "significantly better than its column (p &lt; 0.05), &lt; significantly worse.</p>"
        f'<div class="scroll"><table class="pairwise">{head}{"".join(body)}</table></div></details>'
    )


def _short(text: str, n: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3].rsplit(" ", 1)[0] + "..."


def _plots(board: Board) -> str:
    t = board.track
    shown = [(r, False) for r in board.rows] + [(r, True) for r in board.oracle_rows]
    forest_rows = [
        {
            "label": r.name + (" (oracle)" if oracle else ""),
            "pgr": r.pgr,
            "low": r.ci[0],
            "high": r.ci[1],
            "color": svg.color(i),
            "hollow": oracle,
        }
        for i, (r, oracle) in enumerate(shown)
    ]
    series = [
        {
            "label": r.name + (" (oracle)" if oracle else ""),
            "color": svg.color(i),
            "hollow": oracle,
            "points": {s: (p, lo, hi) for s, (_, p, lo, hi) in r.per_strong.items()},
        }
        for i, (r, oracle) in enumerate(shown)
    ]
    values = {
        (r.name + (" (oracle)" if oracle else ""), task): r.per_task.get(task)
        for r, oracle in shown
        for task in t.tasks
    }
    no_cells = {task for task in t.tasks if not any(c.task == task for c in board.scored_cells)}
    figures = [
        (
            svg.forest(forest_rows, f"{t.name}: PGR per entry"),
            "Each entry's PGR (dot) and 95% hierarchical paired bootstrap interval over seeds and test examples "
            "(bar); hollow dots are oracles.",
        ),
        (
            svg.size_plot(series, board.strong_sizes, f"{t.name}: PGR against strong rung size"),
            "PGR averaged over the scored cells whose strong rung is the one on the x axis (parameters measured "
            "from the weights, as recorded), with 95% intervals.",
        ),
        (
            svg.heatmap([s["label"] for s in series], list(t.tasks), values, no_cells, f"{t.name}: PGR per task"),
            "PGR per task, averaged over the task's scored weak:strong pairs.",
        ),
    ]
    if board.pairs:
        strongs = list(dict.fromkeys(p.cell.strong for p in board.pairs))
        points = [
            {
                "label": f"{p.cell.task} {p.cell.weak} -> {p.cell.strong}",
                "weak": p.acc_weak,
                "gap": p.gap,
                "color": svg.color(strongs.index(p.cell.strong)),
                "naive": (p.naive, p.naive_ci.low, p.naive_ci.high),
                "bootstrap": (p.bootstrap, p.bootstrap_ci.low, p.bootstrap_ci.high) if p.p_holm is not None else None,
            }
            for p in board.pairs
        ]
        legend = (
            ", colour by strong rung ("
            + ", ".join(strongs)
            + "): naive filled, bootstrapping hollow (only where a rung lies between), with 95% intervals."
        )
        figures += [
            (
                svg.pair_plot(points, f"{t.name}: PGR pair by pair against the weak rung"),
                "Each kept pair's PGR against its weak rung's accuracy (the paper's Figure 3)" + legend,
            ),
            (
                svg.pair_plot(points, f"{t.name}: PGR pair by pair against the gap", along="gap"),
                "Each kept pair's PGR against its gap, ceiling minus weak accuracy (the paper's Figure 4)" + legend,
            ),
        ]
    return (
        '<div class="plots">'
        + "\n".join(f"<figure>{fig}<figcaption>{escape(cap)}</figcaption></figure>" for fig, cap in figures)
        + "</div>"
    )


def html(lb: Leaderboard) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>w2sbench leaderboard</title>",
        f"<style>{CSS.strip()}</style></head><body>",
        "<h1>w2sbench leaderboard</h1>",
        f'<p class="muted">{escape(GENERATED)}</p>',
        *([f'<p class="summary">{escape(summary(lb.boards[0]))}</p>'] if lb.boards else []),
        "<nav>"
        + "".join(f'<a href="#track-{escape(b.track.name)}">{escape(b.track.name)}</a>' for b in lb.boards)
        + "</nav>",
        f'<details class="rules"><summary>How the boards score</summary><p>{escape(RULES)}</p></details>',
    ]
    for b in lb.boards:
        t = b.track
        tag = ' <span class="tag">provisional</span>' if t.status == "provisional" else ""
        out += [
            f'<section class="board" id="track-{escape(t.name)}">',
            f"<h2>{escape(t.name)}: {escape(t.title)}{tag}</h2>",
            '<details class="about"><summary>About this track</summary>'
            f"<p>{escape(' '.join(t.description.split()))}</p>"
            f'<p class="muted">Grid: {escape(grid_line(t))}.</p></details>',
        ]
        if t.private:
            out.append(f"<p>{escape(private_line(b))}</p>")
        out.append(_html_rows(b, b.rows, True, "ranked") if b.rows else "<p>No complete entry yet.</p>")
        if b.rows or b.oracle_rows:
            out.append(f'<p class="muted">{escape(reference_line(b))}</p>')
        if b.excluded_cells:
            out.append(f'<p class="muted">{escape(left_out_line(b))}</p>')
        if b.ranking and len(b.ranking.names) > 1:
            out.append(_matrix(b))
        if b.oracle_rows:
            out += [
                "<h3>Oracle methods (use ground truth; not ranked)</h3>",
                _html_rows(b, b.oracle_rows, False, "oracle"),
            ]
        if b.pairs:
            out += [
                "<h3>PGR pair by pair</h3>",
                f'<div class="scroll">{pairs_table(b, "html")}</div>',
                f'<p class="muted">{escape(PAIRS_NOTE)}</p>',
            ]
        out.append(_plots(b))
        if b.incomplete:
            out += (
                ["<h3>Incomplete entries (not ranked, not averaged)</h3>", '<ul class="incomplete">']
                + [
                    f'<li><a href="../submissions/{escape(n)}/">{escape(n)}</a>: {have}/{need} records; finish with '
                    f"<code>{escape(reproduce_command(b, n))}</code></li>"
                    for n, have, need in b.incomplete
                ]
                + ["</ul>"]
            )
        if b.invalid:
            out += (
                ["<h3>Invalid entries (not scored)</h3>", '<ul class="invalid">']
                + [f"<li>{escape(n)}: {escape(why)}</li>" for n, why in b.invalid]
                + ["</ul>"]
            )
        if b.notes:
            out += ["<h3>Notes</h3>", "<ul>"] + [f"<li>{escape(n)}</li>" for n in b.notes] + ["</ul>"]
        out.append("</section>")
    if lb.invalid:
        out += (
            ["<h2>Entries on no board</h2>", '<ul class="invalid">']
            + [f"<li>{escape(n)}: {escape(why)}</li>" for n, why in lb.invalid]
            + ["</ul>"]
        )
    out.append("</body></html>")
    return "\n".join(out) + "\n"
