"""`w2sbench gaps`: measure (or check) the held-out gap of every task and rung pair."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from w2sbench.cli.group import csv_list
from w2sbench.cli.options import cache_option, data_dir_option


def register(main: click.Group) -> None:
    @main.command("gaps")
    @click.option(
        "--tasks",
        default=None,
        help="Comma-separated task ids (default: the committed table's); with "
        "--check, the tasks whose rows are recomputed.",
    )
    @click.option("--tracks-tasks", is_flag=True, help="The tasks of every track that keeps cells by held-out gap.")
    @click.option(
        "--ladder",
        default=None,
        help="Default: with --write embedded, with --check every committed table's ladder "
        "(with --tracks-tasks every ladder a track keeps cells by).",
    )
    @click.option(
        "--seeds",
        default=None,
        help="100-104 or 100,101 (default: the committed table's); seeds a track reports are refused.",
    )
    @data_dir_option
    @cache_option
    @click.option(
        "--repo",
        default=".",
        show_default=True,
        type=click.Path(path_type=Path),
        help="The repository whose docs/results/gaps/LADDER.md is written or checked.",
    )
    @click.option(
        "--write", "mode", flag_value="write", help="Write the committed table and docs/results/gaps/LADDER.md."
    )
    @click.option("--check", "mode", flag_value="check", help="Recompute; exit 1 if the committed files differ.")
    def gaps_cmd(tasks, tracks_tasks, ladder, seeds, data_dir, cache_dir, repo, mode):
        """The weak-to-strong gap of every task and rung pair on data no board scores: validation
        splits of seeds no track reports, each rung's reference head trained with ground truth.
        Boards with `keep_cells: held-out-gap` keep a cell by it; CI checks it (`--check`)."""
        from w2sbench.core.errors import W2SError
        from w2sbench.running.held_out_gaps import GapsRequest, refresh

        if mode is None:
            raise W2SError("gaps: give --write or --check")
        request = GapsRequest(cache_dir, data_dir, csv_list(tasks), tracks_tasks, seeds, repo, mode == "write")
        report = refresh(request, ladder, progress=lambda line: click.echo(line, err=True))
        if report.problems:
            click.echo("stale (run w2sbench gaps --write): " + "; ".join(report.problems))
            sys.exit(1)
        click.echo(
            "wrote " + " and ".join(map(str, report.written))
            if mode == "write"
            else "held-out gaps: the recomputed cells reproduce the committed table"
        )
