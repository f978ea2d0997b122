"""The `w2sbench` group: user errors become one clean line (exit code of the error's class), and a
mistyped command name gets the close ones suggested."""

from __future__ import annotations

import sys

import click

from w2sbench.core.errors import W2SError, error_classes


class Group(click.Group):
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
            sys.exit(e.exit_code)


def _exit_codes() -> str:
    return (
        "Exit codes: 0 done, 1 a check found something stale or failing; "
        + ", ".join(f"{c.exit_code} {c.__name__}" for c in error_classes())
        + "."
    )


@click.group(cls=Group, epilog=_exit_codes())
@click.version_option(package_name="w2sbench")
def main():
    """w2sbench: weak-to-strong generalization experiments, scored by PGR."""


def csv_list(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None
