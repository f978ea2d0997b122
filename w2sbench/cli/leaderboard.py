"""`w2sbench leaderboard`: regenerate (or check) leaderboard/ from the submissions' result records."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from w2sbench.cli.options import submissions_option


def register(main: click.Group) -> None:
    @main.command("leaderboard")
    @submissions_option("Folder of submissions whose results/*.json records are read.")
    @click.option(
        "--out",
        default="leaderboard",
        show_default=True,
        type=click.Path(path_type=Path),
        help="Folder the files are written to (README.md, index.html).",
    )
    @click.option(
        "--check", is_flag=True, help="Write nothing; exit 1 if the files in --out differ from what the records give."
    )
    @click.option(
        "--entry",
        "entry_name",
        default=None,
        metavar="NAME",
        help=(
            "Write nothing; print Markdown of entry NAME's rows next to the baselines' on every board it enters "
            "(the PR comment's; `w2sbench compare` is the other question: every method's PGR against one baseline, "
            "from records)."
        ),
    )
    def leaderboard_cmd(root, out, check, entry_name):
        """Regenerate leaderboard/README.md and leaderboard/index.html from result records only.

        One board per track: complete entries scored over the cells where the harness's gap is
        clearly open, with 95% hierarchical paired bootstrap intervals and ranks from
        Holm-corrected paired tests (ties where not significant), oracle methods apart,
        incomplete and invalid entries listed and never averaged in; the page has the plots
        and the pairwise matrix inline and needs no network.
        The same records always give the same bytes.
        """
        from w2sbench.leaderboard import entry_markdown_of, generate, stale, write

        if entry_name:
            click.echo(entry_markdown_of(entry_name, root), nl=False)
            return
        files = generate(root)
        if check:
            old = stale(files, out)
            if old:
                click.echo(
                    f"{', '.join(str(out / n) for n in old)} stale: the records in {root}/ give different "
                    f"content; run `w2sbench leaderboard` and commit {out}/",
                    err=True,
                )
                sys.exit(1)
            click.echo(f"{out}/ is up to date with {root}/")
            return
        written = write(files, out)
        for p in written:
            click.echo(f"wrote {p}")
        if not written:
            click.echo(f"{out}/ already up to date")
