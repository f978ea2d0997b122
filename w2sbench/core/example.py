"""The standard example every task converts to, and the label-free view a method sees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Example:
    """One binary example. text_pair is set for pair tasks (each side is embedded separately).

    group ties examples that share a source (a passage, a question, a lemma): splits never
    separate a group.
    """

    id: str
    text: str
    label: int
    text_pair: str | None = None
    group: str | None = None

    def __post_init__(self):
        if self.label not in (0, 1):
            raise ValueError(f"example {self.id}: label must be 0 or 1, got {self.label!r}")


@dataclass(frozen=True)
class Inputs:
    """What a method may see of a split: ids and texts, never labels."""

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    text_pairs: tuple[str, ...] | None = None

    @classmethod
    def of(cls, examples: list[Example]) -> Inputs:
        pairs = [e.text_pair for e in examples]
        has_pairs = any(p is not None for p in pairs)
        if has_pairs and any(p is None for p in pairs):
            raise ValueError("a split mixes pair and single-text examples")
        return cls(
            ids=tuple(e.id for e in examples),
            texts=tuple(e.text for e in examples),
            text_pairs=tuple(pairs) if has_pairs else None,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index) -> Inputs:
        idx = np.asarray(index, dtype=int)
        pick = lambda xs: tuple(xs[i] for i in idx)  # noqa: E731
        return Inputs(pick(self.ids), pick(self.texts), pick(self.text_pairs) if self.text_pairs else None)


def labels_of(examples: list[Example]) -> np.ndarray:
    return np.array([e.label for e in examples], dtype=np.int64)
