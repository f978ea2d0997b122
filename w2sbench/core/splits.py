"""Deterministic, grouped splits of a task's pool into the protocol's roles.

Assignment hashes (seed, group) — never list positions — so it does not depend on row order,
and a group (a lemma, a passage, a question) never straddles supervisor_train, transfer and
validation: with an ungrouped split, we measured WiC's weak labels falling to chance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from w2sbench.core.example import Example

# supervisor_train | transfer | validation (weak-labelled, for methods that stop early)
FRACTIONS = (0.5, 0.4, 0.1)
WEAK_LABELLED_ROLES = ("transfer", "validation", "test")  # the splits the weak supervisor predicts


@dataclass(frozen=True)
class Splits:
    supervisor_train: list[Example]
    transfer: list[Example]
    validation: list[Example]
    test: list[Example]


def _unit(seed: int, group: str) -> float:
    digest = hashlib.sha256(f"{seed}/{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_pool(pool: list[Example], test: list[Example], seed: int) -> Splits:
    """Split the pool by group into supervisor_train, transfer and validation; test is kept whole."""
    cut1, cut2 = FRACTIONS[0], FRACTIONS[0] + FRACTIONS[1]
    roles: tuple[list, list, list] = ([], [], [])
    for e in pool:
        u = _unit(seed, e.group if e.group is not None else e.id)
        roles[0 if u < cut1 else 1 if u < cut2 else 2].append(e)
    return Splits(*roles, test=list(test))
