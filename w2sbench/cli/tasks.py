"""`w2sbench tasks` (list, show, audit): the task registry and its hygiene checks."""

import json
import sys
from pathlib import Path

import click

from w2sbench.cli.group import Group
from w2sbench.cli.options import data_dir_option


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width].rstrip() + "..."


def catalogue_table(tasks) -> str:
    """The task catalogue in Markdown: one row per task, long licences cut short, of the citation its
    authors (up to the year)."""
    lines = ["| task | suites | source (revision) | licence | citation | homepage |", "|---|---|---|---|---|---|"]
    for t in tasks:
        where = t.source.dataset if t.source.kind == "hub" else "files shipped in tasks/data"
        pin = "pinned" if t.pinned else "**unpinned**"
        pin += "; generative" if t.framing == "generative" else ""
        cells = [
            f"`{t.id}`",
            ", ".join(t.suites),
            f"{where} ({pin})",
            _cut(t.licence, 70),
            _cut(t.citation.split(" (")[0], 60),
            t.homepage,
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def register(main: click.Group) -> None:
    @main.group(cls=Group, invoke_without_command=True)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    @click.option(
        "--catalogue",
        is_flag=True,
        help="Print the Markdown catalogue instead (suites, source and revision, licence, citation, "
        "homepage; docs/results/task-catalogue.md holds it).",
    )
    @click.pass_context
    def tasks(ctx, as_json, catalogue):
        """List the registered tasks (and show or audit one)."""
        if ctx.invoked_subcommand is not None:
            return
        from tabulate import tabulate

        from w2sbench.tasks.task import all_tasks, broken_tasks

        registry = all_tasks()
        for error in broken_tasks().values():
            click.echo(f"warning: skipped {error}", err=True)
        if as_json:
            click.echo(json.dumps([t.model_dump(mode="json") for t in registry.values()], indent=1))
            return
        if catalogue:
            click.echo(catalogue_table(registry.values()))
            return
        rows = [
            [t.id, ",".join(t.suites), t.framing, t.source.kind, "yes" if t.pinned else "NO", t.licence]
            for t in registry.values()
        ]
        click.echo(
            tabulate(rows, headers=["id", "suites", "framing", "source", "pinned", "licence"], tablefmt="github")
        )

    @tasks.command("show")
    @click.argument("task_id")
    def tasks_show(task_id):
        """Print a task's source, revision, sizes, licence, citation and conversion."""
        import yaml

        from w2sbench.tasks.task import get_task

        task = get_task(task_id)
        if not task.pinned:
            click.echo(f"WARNING: {task.id} is unpinned: {task.source.unpinned_reason}")
        click.echo(
            yaml.safe_dump({**task.model_dump(mode="json"), "framing": task.framing}, sort_keys=False, width=100)
        )

    @tasks.command("audit")
    @click.argument("task_ids", nargs=-1)
    @click.option("--suite", default=None, help="Audit every task of this suite (default: the given ids, else all).")
    @data_dir_option
    @click.option(
        "--results",
        "results_dir",
        type=click.Path(path_type=Path, exists=True, file_okay=False),
        default=None,
        help="Also check a run's result records: each rung pair's ceiling must beat its weak supervisor.",
    )
    def tasks_audit(task_ids, suite, data_dir, results_dir):
        """Check each task's loaded data: balance, duplicates, group leakage, surface-form leaks
        (and, with --results, that each rung pair's ceiling beats its floor).

        Prints one table and exits 1 if any check fails.
        """
        from w2sbench.core.records import intact_records
        from w2sbench.tasks.audit import audit_table, audit_task, ceiling_checks
        from w2sbench.tasks.loading import load_task_data, mirror
        from w2sbench.tasks.task import all_tasks, get_task, suite_tasks

        chosen = (
            [get_task(t) for t in task_ids] if task_ids else suite_tasks(suite) if suite else list(all_tasks().values())
        )
        records = intact_records([results_dir]) if results_dir else []
        folders = mirror(data_dir) or {}
        checks = {}
        for task in chosen:
            local = folders.get(task.id)
            checks[task.id] = audit_task(task, load_task_data(task, local)) + ceiling_checks(
                r for r in records if r.task.id == task.id
            )
        click.echo(audit_table(checks))
        failed = [f"{tid}:{c.name}" for tid, cs in checks.items() for c in cs if not c.passed]
        if failed:
            click.echo(f"FAILED: {', '.join(failed)}", err=True)
            sys.exit(1)
