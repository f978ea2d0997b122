"""Experiment: one (task, weak rung, strong rung, method, seed) of a run, and its content key.

The key names everything that decides the record (protocol version, task data, rungs, method
code and parameters, seed, split fractions, training settings, the weak-label set used), so a
finished record is found again and never recomputed. Running one is w2sbench.protocol.run.
"""

from __future__ import annotations

from dataclasses import dataclass

from w2sbench.core.result import config_key
from w2sbench.core.splits import FRACTIONS
from w2sbench.methods.api import Method
from w2sbench.models.ladder import Ladder, Rung, Supervisor
from w2sbench.tasks.task import Task

PROTOCOL_VERSION = 1


@dataclass(frozen=True)
class Experiment:
    task: Task
    ladder: Ladder
    weak: Supervisor
    strong: Rung
    method: Method
    seed: int

    def label(self) -> str:
        return f"{self.task.id} {self.weak.name}->{self.strong.name} {self.method.name} seed {self.seed}"


def experiment_key(exp: Experiment, task_key: dict, training: dict, weak_labels: list | None = None) -> str:
    """The content key of an experiment's record. task_key: the task's id, version and data
    revision; training: the regime's settings as the task's framing applies them; weak_labels: the
    identities of the standard weak-label sets used instead of training the supervisor."""
    config = {
        "protocol": PROTOCOL_VERSION,
        "task": task_key,
        "ladder": exp.ladder.name,
        "weak": exp.weak.key(),
        "strong": exp.strong.key(),
        "method": exp.method.identity(),
        "seed": exp.seed,
        "fractions": FRACTIONS,
        **training,
    }
    if weak_labels is not None:
        config["weak_labels"] = weak_labels
    return config_key(config)
