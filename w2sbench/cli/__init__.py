"""The `w2sbench` command line: one module per command group, each a thin wrapper over a library
function. COMMAND_GROUPS is the one list of them; each module's ``register(main)`` adds its
commands to the group."""

from w2sbench.cli import compare, curve, docs, gaps, labels, leaderboard, methods, run, submissions, tasks
from w2sbench.cli.group import main

COMMAND_GROUPS = (run, tasks, methods, compare, labels, leaderboard, curve, submissions, docs, gaps)

for _group in COMMAND_GROUPS:
    _group.register(main)

__all__ = ["COMMAND_GROUPS", "main"]
