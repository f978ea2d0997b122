"""The generative task's example and the label-free view of it that a method sees."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Prompt:
    """A prompt, its admissible completions and the index of the right one.

    choices are written exactly as they follow the prompt (no leading space: the language
    model inserts one). group ties prompts that share a source, as Example.group does.
    """

    id: str
    prompt: str
    choices: tuple[str, ...]
    answer: int
    group: str | None = None

    def __post_init__(self):
        if len(self.choices) < 2:
            raise ValueError(f"prompt {self.id}: needs at least two choices, got {len(self.choices)}")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError(f"prompt {self.id}: choices repeat")
        if not 0 <= self.answer < len(self.choices):
            raise ValueError(f"prompt {self.id}: answer {self.answer} is not an index into {len(self.choices)} choices")

    @property
    def text(self) -> str:
        """The input as one string (feature keys, duplicate checks): the prompt itself."""
        return self.prompt


@dataclass(frozen=True)
class Prompts:
    """What a method may see of a split: ids, prompts and choices, never the answers."""

    ids: tuple[str, ...]
    prompts: tuple[str, ...]
    choices: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, examples: list[Prompt]) -> Prompts:
        return cls(tuple(e.id for e in examples), tuple(e.prompt for e in examples), tuple(e.choices for e in examples))

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, index) -> Prompts:
        idx = np.asarray(index, dtype=int)
        return Prompts(*(tuple(xs[i] for i in idx) for xs in (self.ids, self.prompts, self.choices)))


def answers_of(examples: list[Prompt]) -> np.ndarray:
    return np.array([e.answer for e in examples], dtype=np.int64)
