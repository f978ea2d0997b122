"""`w2sbench run`: the weak-to-strong protocol over a grid, and its PGR table."""

import sys
from pathlib import Path

import click

from w2sbench.cli.group import csv_list
from w2sbench.cli.options import cache_option, data_dir_option


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--suite", default="offline", show_default=True, help="Named suite of tasks to run.")
    @click.option("--tasks", "task_ids", default=None, help="Comma-separated task ids (overrides --suite).")
    @click.option("--ladder", "ladder_name", default="embedded", show_default=True, help="Model ladder.")
    @click.option(
        "--pairs",
        default=None,
        help="Comma-separated weak:strong rung pairs (default: every pair); "
        "a weak side of rungs joined by + (minilm-l3+minilm-l6:mpnet-base) averages their labels.",
    )
    @click.option(
        "--methods",
        "method_names",
        default=None,
        help="Comma-separated method names or submission folders (holding metadata.yaml) "
        "(default: naive; sft-naive for generative tasks).",
    )
    @click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated seeds.")
    @click.option(
        "--results",
        "results_dir",
        default="results",
        show_default=True,
        type=click.Path(path_type=Path),
        help="Folder for result records (existing records are reused, not recomputed).",
    )
    @cache_option
    @click.option(
        "--regime",
        type=click.Choice(["probe", "finetune"]),
        default="probe",
        show_default=True,
        help="probe: linear heads on cached frozen features (CPU); finetune: full/LoRA fine-tuning (GPU).",
    )
    @click.option(
        "--executor",
        "executor_name",
        type=click.Choice(["local", "process", "ray"]),
        default="local",
        show_default=True,
        help="Where experiments run: this process, a local process pool, or Ray "
        "(a local Ray, or the cluster named by RAY_ADDRESS); records are identical.",
    )
    @click.option("--workers", type=int, default=None, help="Process-pool size for --executor process.")
    @click.option(
        "--weak-labels",
        "weak_labels",
        default=None,
        metavar="REPO_ID@REV|FOLDER",
        help="Use standard weak labels pulled from the Hub (verified by checksum; works offline from "
        "the cache), or from an export folder (`w2sbench labels export`), instead of training the weak supervisor.",
    )
    @click.option("--no-progress", is_flag=True, help="Do not draw progress bars.")
    @data_dir_option
    def run(
        suite,
        task_ids,
        ladder_name,
        pairs,
        method_names,
        seeds,
        results_dir,
        cache_dir,
        regime,
        executor_name,
        workers,
        weak_labels,
        no_progress,
        data_dir,
    ):
        """Run the weak-to-strong protocol over a grid and print PGR per task and rung pair.

        With no arguments: the offline suite on the embedded ladder, the naive method, seeds 0, 1, 2.
        """
        from w2sbench.core.paths import use_cache
        from w2sbench.protocol.workspace import Workspace
        from w2sbench.reporting.report import summarize, summary_table
        from w2sbench.running.grid import build_grid
        from w2sbench.running.sweep import run_grid
        from w2sbench.tasks.loading import mirror

        grid = build_grid(
            suite,
            csv_list(task_ids),
            ladder_name,
            csv_list(pairs),
            _methods(csv_list(method_names), cache_dir, results_dir),
            [int(s) for s in csv_list(seeds) or []],
        )
        from w2sbench.running.executors import make_executor
        from w2sbench.running.jobs import ExperimentsFailed

        source = None
        if weak_labels:
            from w2sbench.labels.hub import pull_ref

            source = pull_ref(weak_labels)
        ws = Workspace(
            use_cache(cache_dir), results_dir, regime=regime, weak_label_source=source, local_data=mirror(data_dir)
        )
        failures = []
        try:
            results = run_grid(
                ws,
                grid,
                show_progress=not no_progress,
                executor=make_executor(executor_name, workers=workers),
                stage_lines=no_progress,
            )
        except ExperimentsFailed as e:  # the table shows what completed; the exit status says what did not
            results, failures = e.results, e.failures
        if results:
            click.echo(summary_table(summarize(results)))
        click.echo(f"\n{len(results)} result records in {Path(results_dir).resolve()}")
        if failures:
            click.echo(f"{len(failures)} experiment(s) failed and wrote no record:", err=True)
            for failure in failures:
                click.echo(f"  {failure}", err=True)
            sys.exit(ExperimentsFailed.exit_code)


def _methods(names: list[str] | None, cache_dir: Path | None, results_dir: Path) -> list | None:
    """Method names as given; a folder holding metadata.yaml is a submission. Its method runs, for
    the length of the command, in an isolated worker as `w2sbench evaluate` runs it (bubblewrap
    where it works, else a plain worker process), on whatever tasks, ladder and pairs were asked;
    the run's records (they hold test labels) are out of its reach, as the caches are."""
    if not names:
        return names
    from w2sbench.core.paths import use_cache
    from w2sbench.submissions.harness import Harness, method_session
    from w2sbench.submissions.metadata import load_submission

    ctx = click.get_current_context()
    methods = []
    for name in names:
        if (Path(name) / "metadata.yaml").is_file():
            harness = Harness(
                use_cache(cache_dir), sandbox_mode="auto", extra_forbidden=(Path(name) / "results", Path(results_dir))
            )
            methods.append(ctx.with_resource(method_session(load_submission(name), harness)))
        else:
            methods.append(name)
    return methods
