"""The grid of a sweep: every (task, pair, method, seed) experiment of a suite on a ladder."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from w2sbench.core.errors import W2SError
from w2sbench.methods.api import Method
from w2sbench.models.ladder import Ladder, Rung, members_of
from w2sbench.protocol.experiment import Experiment
from w2sbench.protocol.framing import framing_of
from w2sbench.tasks.task import Task


@dataclass(frozen=True)
class Grid:
    tasks: list[Task]
    ladder: Ladder
    pairs: list[tuple[Rung, Rung]]
    methods: list[Method]
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])

    def experiments(self) -> list[Experiment]:
        return [
            Experiment(task, self.ladder, weak, strong, method, seed)
            for task, (weak, strong), method, seed in itertools.product(
                self.tasks, self.pairs, self.methods, self.seeds
            )
        ]

    def rungs(self) -> list[Rung]:
        names = {r.name for weak, strong in self.pairs for r in (*members_of(weak), strong)}
        return [r for r in self.ladder.rungs if r.name in names]


def build_grid(
    suite: str,
    task_ids: list[str] | None,
    ladder_name: str,
    pairs: list[str] | None,
    method_names: list[str | Method] | None,
    seeds: list[int],
) -> Grid:
    """A grid from names, as the command line gives them; every unknown name is a user error.
    A method may also be given ready-made (a submission's method, opened by the command line)."""
    from w2sbench.methods.api import make_method
    from w2sbench.models.ladder import get_ladder
    from w2sbench.tasks.task import get_task, suite_tasks

    ladder = get_ladder(ladder_name)
    tasks = [get_task(t) for t in task_ids] if task_ids else suite_tasks(suite)
    if pairs:
        chosen = []
        for pair in pairs:
            weak, sep, strong = pair.partition(":")
            if not sep:
                raise W2SError(f"--pairs: {pair!r} is not weak:strong")
            w, s = ladder.supervisor(weak), ladder.rung(strong)
            if ladder.position(w) >= ladder.position(s):
                raise W2SError(f"--pairs: {weak} is not below {strong} on ladder {ladder.name}")
            chosen.append((w, s))
    else:
        chosen = ladder.pairs()
    if not seeds:
        raise W2SError("--seeds: give at least one seed")
    framings = {framing_of(t).default_method for t in tasks}
    default = framings.pop() if len(framings) == 1 else "naive"
    methods = [m if isinstance(m, Method) else make_method(m) for m in method_names or [default]]
    clashes = [
        f"{m.name} ({m.framing}) on {t.id} ({t.framing})" for t in tasks for m in methods if m.framing != t.framing
    ]
    if clashes:
        raise W2SError(
            f"methods run only on tasks of their framing: {'; '.join(clashes)}. Run binary and "
            "generative tasks separately (--tasks), each with its own methods."
        )
    return Grid(tasks, ladder, chosen, methods, seeds)
