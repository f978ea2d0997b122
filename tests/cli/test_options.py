"""Options shared by several commands mean the same in each: one declaration (cli.options)."""

from __future__ import annotations

import click

from w2sbench.cli import main


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), cmd


def test_every_cache_data_dir_and_submissions_option_is_the_shared_one():
    from w2sbench.cli.options import cache_option, data_dir_option, submissions_option

    def declared(decorator):
        return {o.name: (tuple(o.opts), o.help) for o in decorator(lambda: None).__click_params__}

    shared = {**declared(cache_option), **declared(data_dir_option), **declared(submissions_option())}
    seen = set()
    for name, cmd in _commands(main):
        for p in cmd.params:
            if isinstance(p, click.Option) and set(p.opts) & {"--cache", "--data-dir", "--submissions", "--root"}:
                opts, text = shared[p.name]
                same = tuple(p.opts) == opts and (p.help == text or p.name == "root")  # its help may say what is read
                assert same, f"w2sbench {name}: {p.opts} is not the shared option"
                seen.add(p.opts[0])
    assert seen == {"--cache", "--data-dir", "--submissions"}
