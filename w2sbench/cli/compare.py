"""`w2sbench compare`: every method's PGR against a baseline, from result records."""

from pathlib import Path

import click

from w2sbench.cli.options import submissions_option


def register(main: click.Group) -> None:
    @main.command("compare")
    @click.option(
        "--results",
        "results_dirs",
        default=(),
        multiple=True,
        type=click.Path(path_type=Path),
        help="Folder of result records (as written by `w2sbench run` or `evaluate`); repeatable "
        "(default: results, unless --submissions is given).",
    )
    @submissions_option(
        "Also read every submission's records: each SUBMISSIONS/*/results folder (default: none).", default=None
    )
    @click.option("--baseline", default="naive", show_default=True, help="Method every other is paired against.")
    @click.option(
        "--pairs",
        default=None,
        help="Only these comma-separated weak:strong pairs (default: all; PGR over a gap of a "
        "few points is mostly noise, so a summary may keep the pairs with a real gap).",
    )
    @click.option(
        "--tasks", default=None, help="Only these comma-separated task ids (default: every task in the records)."
    )
    @click.option(
        "--seeds",
        default=None,
        help="Only these comma-separated seeds (default: every seed in the records; a folder may hold "
        "two tracks' seeds of one task).",
    )
    def compare_command(results_dirs, root, baseline, pairs, tasks, seeds):
        """Mean and median PGR per method, and its difference from the baseline.

        Per cell the ratio of seed-mean accuracies; cells kept where the baseline's gap is
        clearly open. 95% CIs and one p from the hierarchical paired bootstrap (seeds, then
        test examples; tasks fixed); one p from a t-test with tasks as the independent units
        (n stated), with the difference it detects at 80% power. Both p Holm-corrected.
        Oracle methods, and runs supervised by an ensemble of weak rungs, are listed apart.
        """
        from w2sbench.core.errors import W2SError
        from w2sbench.core.records import intact_records
        from w2sbench.reporting.compare import compare, comparison_table

        results_dirs = list(results_dirs)
        if root is not None:
            found = sorted(p for p in Path(root).glob("*/results") if p.is_dir())
            if not found:
                raise W2SError(f"{root}: no submission holds a results/ folder (SUBMISSIONS/NAME/results)")
            results_dirs += found
        results_dirs = results_dirs or [Path("results")]
        results = intact_records(results_dirs)
        if pairs:
            wanted = {tuple(p.split(":", 1)) for p in pairs.split(",") if p}
            results = [r for r in results if (r.weak.name, r.strong.name) in wanted]
        if tasks:
            results = [r for r in results if r.task.id in tasks.split(",")]
        if seeds:
            try:
                wanted_seeds = {int(s) for s in seeds.split(",") if s.strip()}
            except ValueError:
                raise W2SError(f"--seeds {seeds!r}: expected comma-separated integers such as 0,1,2") from None
            results = [r for r in results if r.seed in wanted_seeds]
        if not results:
            raise W2SError(
                f"{', '.join(map(str, results_dirs))}: no result records"
                + (f" for pairs {pairs}" if pairs else "")
                + (f" of tasks {tasks}" if tasks else "")
                + (f" of seeds {seeds}" if seeds else "")
                + "; run `w2sbench run` first"
            )
        click.echo(comparison_table(compare(results, baseline), baseline))
