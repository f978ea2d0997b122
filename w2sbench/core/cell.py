"""Cell: a task and one (weak, strong) pair of a ladder's rungs, the unit a PGR is estimated for.

A cell's seeds are its replicates: its PGR is the ratio of seed-mean accuracies, and boards,
gap checks and claims all key their records by it. Defined once here so every stage means the
same four things by it (the ladder is part of it: one pair of names on two ladders is two cells)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from w2sbench.core.result import Result


class Cell(NamedTuple):
    task: str
    weak: str
    strong: str
    ladder: str

    @classmethod
    def of(cls, r: Result) -> Cell:
        """The cell a record belongs to."""
        return cls(r.task.id, r.weak.name, r.strong.name, r.ladder)

    def __str__(self) -> str:
        return f"{self.task} {self.weak}->{self.strong}"
