"""`w2sbench labels export|push|pull|verify`: standardized weak labels as a Hub dataset."""

from __future__ import annotations

from pathlib import Path

import click

from w2sbench.cli.options import cache_option, data_dir_option


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def register(main: click.Group) -> None:
    group_cls = type(main)

    @main.group(cls=group_cls)
    def labels():
        """Standardized weak labels: export them, publish them on the Hub, pull them back verified."""

    @labels.command("export")
    @click.option("--suite", default="offline", show_default=True, help="Named suite of tasks.")
    @click.option("--tasks", "task_ids", default=None, help="Comma-separated task ids (overrides --suite).")
    @click.option("--ladder", "ladder_name", default="embedded", show_default=True, help="Model ladder.")
    @click.option("--rungs", default=None, help="Comma-separated weak rungs (default: every rung but the top one).")
    @click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated seeds.")
    @click.option(
        "--out",
        "out_dir",
        default="weak-labels",
        show_default=True,
        type=click.Path(path_type=Path),
        help="Folder to write (must be empty or an earlier export, which is replaced).",
    )
    @cache_option
    @data_dir_option
    def export(suite, task_ids, ladder_name, rungs, seeds, out_dir, cache_dir, data_dir):
        """Write one parquet table per (task, weak rung, seed), a manifest of sha256 sums and
        provenance, and a dataset card whose `configs:` let `datasets.load_dataset(OUT, TASK)` read it.

        Weak labels already in the cache (from an earlier run) are reused; missing ones are
        computed (features, then the weak supervisor trained on supervisor_train).
        """
        from w2sbench.core.paths import use_cache
        from w2sbench.labels.export import default_weak_rungs, export_labels
        from w2sbench.models.ladder import get_ladder
        from w2sbench.protocol.workspace import Workspace
        from w2sbench.tasks.loading import mirror
        from w2sbench.tasks.task import get_task, suite_tasks

        ladder = get_ladder(ladder_name)
        tasks = [get_task(t) for t in _csv(task_ids)] if task_ids else suite_tasks(suite)
        weak = [ladder.rung(r) for r in _csv(rungs)] if rungs else default_weak_rungs(ladder)
        cache = use_cache(cache_dir)
        ws = Workspace(cache, cache / "export-results", local_data=mirror(data_dir))
        manifest = export_labels(
            ws,
            tasks,
            ladder,
            weak,
            [int(s) for s in _csv(seeds) or []],
            out_dir,
            progress=lambda m: click.echo(m, err=True),
        )
        click.echo(f"{len(manifest.tables)} tables written to {out_dir.resolve()}")
        click.echo(f"publish with: w2sbench labels push OWNER/NAME --from {out_dir}")

    @labels.command("push")
    @click.argument("repo_id")
    @click.option(
        "--from",
        "folder",
        default="weak-labels",
        show_default=True,
        type=click.Path(path_type=Path),
        help="The export folder to upload.",
    )
    @click.option("--private", is_flag=True, default=None, help="Create the repository as private.")
    @click.option("--message", default=None, help="Commit message.")
    def push(repo_id, folder, private, message):
        """Verify the export's checksums, then upload it to the Hub dataset REPO_ID in one commit.

        The token comes from HF_TOKEN or `hf auth login`. Prints the commit to pin in `--weak-labels`.
        """
        from w2sbench.labels.hub import push as push_labels

        pushed = push_labels(folder, repo_id, private=private, message=message)
        click.echo(f"pushed {folder} to {pushed.url}")
        click.echo(f"use it with: w2sbench run --weak-labels {repo_id}@{pushed.commit}")

    @labels.command("pull")
    @click.argument("source")
    @click.option(
        "--revision",
        default=None,
        help="Commit (pin one), branch or tag to download [default: main, or the @REV of SOURCE].",
    )
    @click.option(
        "--hub-cache",
        default=None,
        type=click.Path(path_type=Path, file_okay=False),
        help="A local Hub mirror: a Hugging Face cache folder to read (and, online, fill) instead of HF_HUB_CACHE.",
    )
    @click.option("--force-download", is_flag=True, help="Download again even if the revision is cached.")
    def pull(source, revision, hub_cache, force_download):
        """Fetch and verify a weak-label set. SOURCE is a Hub dataset (REPO_ID, or REPO_ID@REV)
        downloaded through huggingface_hub (read from the local Hub cache when offline,
        HF_HUB_OFFLINE=1, or from --hub-cache), or the folder of an export. Every checksum is
        verified; a mismatch is an error and nothing is used."""
        from w2sbench.labels.hub import pull_ref
        from w2sbench.labels.weak_label_set import describe

        if not Path(source).is_dir() and "@" not in source:
            source = f"{source}@{revision or 'main'}"
        elif revision is not None:
            raise click.UsageError(
                f"--revision {revision!r}: SOURCE {source!r} already names its revision (or is a folder)"
            )
        labels = pull_ref(source, cache_dir=hub_cache, force_download=force_download)
        for line in describe(labels):
            click.echo(line)
        click.echo(f"verified {len(labels.tables)} tables of {labels.source} in {labels.folder}")
        click.echo(
            "use them with: w2sbench run --weak-labels "
            f"{labels.folder if labels.source.startswith('folder:') else labels.source}"
        )

    @labels.command("verify")
    @click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
    def verify(folder):
        """Check an export folder's checksums and tables against its manifest."""
        from w2sbench.labels.weak_label_set import describe, load_folder

        labels = load_folder(folder)
        for line in describe(labels):
            click.echo(line)
        click.echo(f"verified {len(labels.tables)} tables in {folder}")
