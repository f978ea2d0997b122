"""The `w2sbench` command: thin wrappers over library functions.

User errors (W2SError) print one line naming the file or name at fault, and exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from w2sbench.errors import W2SError


class _Group(click.Group):
    """A command group that turns user errors into one clean line and suggests close command names."""

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name is not None and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            close = difflib.get_close_matches(name, self.list_commands(ctx), n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            ctx.fail(f"no such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except W2SError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="w2sbench")
def main():
    """w2sbench: weak-to-strong generalization experiments, scored by PGR."""


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


@main.command()
@click.option("--suite", default="offline", show_default=True, help="Named suite of tasks to run.")
@click.option("--tasks", "task_ids", default=None, help="Comma-separated task ids (overrides --suite).")
@click.option("--ladder", "ladder_name", default="embedded", show_default=True, help="Model ladder.")
@click.option("--pairs", default=None, help="Comma-separated weak:strong rung pairs (default: every pair); "
              "a weak side of rungs joined by + (minilm-l3+minilm-l6:mpnet-base) averages their labels.")
@click.option("--methods", "method_names", default=None,
              help="Comma-separated method names (default: naive; sft-naive for generative tasks).")
@click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated seeds.")
@click.option("--results", "results_dir", default="results", show_default=True, type=click.Path(path_type=Path),
              help="Folder for result records (existing records are reused, not recomputed).")
@click.option("--cache", "cache_dir", default=None, type=click.Path(path_type=Path),
              help="Cache folder for models, features and weak labels (default: $W2SBENCH_CACHE or ~/.cache/w2sbench).")
@click.option("--regime", type=click.Choice(["probe", "finetune"]), default="probe", show_default=True,
              help="probe: linear heads on cached frozen features (CPU); finetune: full/LoRA fine-tuning (GPU).")
@click.option("--executor", "executor_name", type=click.Choice(["local", "process", "ray"]), default="local",
              show_default=True, help="Where experiments run: this process, a local process pool, or Ray "
              "(a local Ray, or the cluster named by RAY_ADDRESS); records are identical.")
@click.option("--workers", type=int, default=None, help="Process-pool size for --executor process.")
@click.option("--weak-labels", "weak_labels", default=None, metavar="REPO_ID@REV",
              help="Use standard weak labels pulled from the Hub (verified by checksum; works offline from "
                   "the cache) instead of training the weak supervisor.")
@click.option("--no-progress", is_flag=True, help="Do not draw progress bars.")
def run(suite, task_ids, ladder_name, pairs, method_names, seeds, results_dir, cache_dir, regime,
        executor_name, workers, weak_labels, no_progress):
    """Run the weak-to-strong protocol over a grid and print PGR per task and rung pair.

    With no arguments: the offline suite on the embedded ladder, the naive method, seeds 0, 1, 2.
    """
    from w2sbench.sweep import build_grid, run_grid
    from w2sbench.paths import cache_dir as default_cache
    from w2sbench.protocol import Workspace
    from w2sbench.report import summarize, summary_table

    grid = build_grid(suite, _csv(task_ids), ladder_name, _csv(pairs), _csv(method_names),
                      [int(s) for s in _csv(seeds) or []])
    from w2sbench.executors import make_executor

    source = None
    if weak_labels:
        from w2sbench.labels import pull_ref

        source = pull_ref(weak_labels)
    ws = Workspace(cache_dir or default_cache(), results_dir, regime=regime, weak_label_source=source)
    results = run_grid(ws, grid, show_progress=not no_progress,
                       executor=make_executor(executor_name, workers=workers))
    click.echo(summary_table(summarize(results)))
    click.echo(f"\n{len(results)} result records in {Path(results_dir).resolve()}")


@main.group(cls=_Group, invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def tasks(ctx, as_json):
    """List the registered tasks (and show or audit one)."""
    if ctx.invoked_subcommand is not None:
        return
    from tabulate import tabulate

    from w2sbench.task import all_tasks

    registry = all_tasks()
    if as_json:
        click.echo(json.dumps([t.model_dump(mode="json") for t in registry.values()], indent=1))
        return
    rows = [[t.id, ",".join(t.suites), t.framing, t.source.kind, "yes" if t.pinned else "NO", t.licence]
            for t in registry.values()]
    click.echo(tabulate(rows, headers=["id", "suites", "framing", "source", "pinned", "licence"], tablefmt="github"))


@tasks.command("show")
@click.argument("task_id")
def tasks_show(task_id):
    """Print a task's source, revision, sizes, licence, citation and conversion."""
    import yaml

    from w2sbench.task import get_task

    task = get_task(task_id)
    if not task.pinned:
        click.echo(f"WARNING: {task.id} is unpinned: {task.source.unpinned_reason}")
    click.echo(yaml.safe_dump({**task.model_dump(mode="json"), "framing": task.framing}, sort_keys=False, width=100))


@tasks.command("audit")
@click.argument("task_ids", nargs=-1)
@click.option("--suite", default=None, help="Audit every task of this suite (default: the given ids, else all).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Read each task's upstream rows from DATA_DIR/<task id>/ (parquet fixtures) instead of its source.")
@click.option("--results", "results_dir", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Also check a run's result records: each rung pair's ceiling must beat its weak supervisor.")
def tasks_audit(task_ids, suite, data_dir, results_dir):
    """Check each task's loaded data: balance, duplicates, group leakage, surface-form leaks
    (and, with --results, that each rung pair's ceiling beats its floor).

    Prints one table and exits 1 if any check fails.
    """
    from w2sbench.audit import audit_table, audit_task, ceiling_checks
    from w2sbench.loading import load_task_data
    from w2sbench.result import ResultStore
    from w2sbench.task import all_tasks, get_task, suite_tasks

    chosen = [get_task(t) for t in task_ids] if task_ids else suite_tasks(suite) if suite else list(all_tasks().values())
    records = ResultStore(results_dir).all() if results_dir else []
    checks = {}
    for task in chosen:
        local = data_dir / task.id if data_dir else None
        checks[task.id] = audit_task(task, load_task_data(task, local)) + ceiling_checks(
            r for r in records if r.task.id == task.id)
    click.echo(audit_table(checks))
    failed = [f"{tid}:{c.name}" for tid, cs in checks.items() for c in cs if not c.passed]
    if failed:
        click.echo(f"FAILED: {', '.join(failed)}", err=True)
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def methods(as_json):
    """List the registered methods with their parameters and citations."""
    from tabulate import tabulate

    from w2sbench.method import all_methods

    registry = all_methods()
    entries = [
        {"name": name, "framing": cls.framing, "oracle": cls.oracle, "params": cls().params(), "citation": cls.citation,
         "summary": (cls.__doc__ or "").strip().splitlines()[0]}
        for name, cls in registry.items()
    ]
    if as_json:
        click.echo(json.dumps(entries, indent=1))
        return
    rows = [[e["name"], e["framing"], "oracle" if e["oracle"] else "", json.dumps(e["params"]), e["summary"],
             e["citation"]] for e in entries]
    click.echo(tabulate(rows, headers=["name", "framing", "", "params", "what", "citation"], tablefmt="github"))


def _register_plugins() -> None:
    from w2sbench.commands import register_all

    register_all(main)


_register_plugins()
