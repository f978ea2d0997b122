"""`w2sbench methods`: the registered methods, their framing and parameters."""

import json

import click


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    def methods(as_json):
        """List the registered methods with their parameters and citations."""
        from tabulate import tabulate

        from w2sbench.methods.api import all_methods

        registry = all_methods()
        entries = [
            {
                "name": name,
                "framing": cls.framing,
                "oracle": cls.oracle,
                "params": cls().params(),
                "citation": cls.citation,
                "summary": (cls.__doc__ or "").strip().splitlines()[0],
            }
            for name, cls in registry.items()
        ]
        if as_json:
            click.echo(json.dumps(entries, indent=1))
            return
        rows = [
            [
                e["name"],
                e["framing"],
                "oracle" if e["oracle"] else "",
                json.dumps(e["params"]),
                e["summary"],
                e["citation"],
            ]
            for e in entries
        ]
        click.echo(tabulate(rows, headers=["name", "framing", "", "params", "what", "citation"], tablefmt="github"))
