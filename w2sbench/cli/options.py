"""Options shared by several commands, declared once so each means the same everywhere."""

from __future__ import annotations

from pathlib import Path

import click

cache_option = click.option(
    "--cache",
    "cache_dir",
    default=None,
    type=click.Path(path_type=Path),
    help="Cache folder for models, features and weak labels (default: $W2SBENCH_CACHE or ~/.cache/w2sbench); "
    "what is cached there is reused, not recomputed.",
)

# every command that loads task rows (tasks audit, run, evaluate, validate, labels export);
# w2sbench.tasks.loading.mirror resolves it (and $W2SBENCH_DATA_DIR)
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Read each Hub task's upstream rows from DATA_DIR/<task id>/<split>.parquet (a local mirror in the "
    "upstream schema, optional splits.yaml) instead of the Hub; default $W2SBENCH_DATA_DIR.",
)


def submissions_option(help: str = "Folder holding the submissions.", default: str | None = "submissions"):
    """The submissions folder: --submissions everywhere (--root, its older name, still works); a
    command where it is optional (compare) passes ``default=None``."""
    return click.option(
        "--submissions",
        "--root",
        "root",
        default=default,
        show_default=default is not None,
        type=click.Path(path_type=Path),
        help=help,
    )
