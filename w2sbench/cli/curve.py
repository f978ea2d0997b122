"""`w2sbench curve`: a board's PGR pair by pair (the paper's curve), printed from its records."""

from __future__ import annotations

import click

from w2sbench.cli.options import submissions_option


def register(main: click.Group) -> None:
    @main.command("curve")
    @submissions_option("Folder of submissions whose results/*.json records are read.")
    @click.option("--track", required=True, help="The board whose pairs are printed (w2sbench/running/tracks.yaml).")
    def curve_cmd(root, track):
        """Print, as Markdown, the board of TRACK pair by pair: weak and ceiling accuracy, the gap,
        naive's and bootstrapping's PGR with 95% intervals and bootstrapping minus naive with its
        Holm-corrected test (the paper's Figures 3 and 4). Reads the records the board ranks and
        writes nothing, so a docs block may name it."""
        from w2sbench.leaderboard import curve_markdown_of

        click.echo(curve_markdown_of(track, root), nl=False)
