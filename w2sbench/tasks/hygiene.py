"""Cleaning converted examples before they are balanced and capped, the same way for every task.

Real upstream splits repeat themselves: CosmosQA asks one (context, question) twice, OpenBookQA
repeats question stems (two with conflicting answers), CoLA, SciQ and the ETHICS files share
sentences or scenarios between their official train and evaluation files. So, for every task:

- within a role, an input that repeats is kept once when its copies agree on the answer and
  dropped altogether when they disagree (the upstream data cannot say which is right);
- a test example whose group or whose input also occurs anywhere in the converted pool is
  dropped: a test example seen in training measures memory, not generalisation.

Where an official split cannot be grouped at all (WiC's words, ETHICS Virtue's sentences reused
across files), a task carves pool and test from its pooled splits on group boundaries instead
(``carve``); and a task whose candidates differ in length by label (MultiRC) can keep only
(right, wrong) candidate pairs of one question matched on length (``match_candidates``).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence

from w2sbench.core.example import Example
from w2sbench.core.prompt import Prompt

_SPACE = re.compile(r"\s+")


def _norm(s: str | None) -> str | None:
    return None if s is None else _SPACE.sub(" ", s).strip().lower()


def input_key(e: Example | Prompt) -> tuple[str | None, str | None]:
    """What a model reads, up to case and spacing: text and text_pair (a prompt's text alone)."""
    return _norm(e.text), _norm(e.text_pair if isinstance(e, Example) else None)


def target(e: Example | Prompt) -> int | str:
    """What the input should produce: a binary label, or the right completion's text."""
    return e.label if isinstance(e, Example) else e.choices[e.answer]


def rank(task_id: str, name: str) -> str:
    """A row-order-free sort key: the hash of the task id and a name (an example id, a group)."""
    return hashlib.sha256(f"{task_id}/{name}".encode()).hexdigest()


def dedupe_within(task_id: str, examples: Sequence) -> list:
    """One copy of each repeated input whose copies agree; none of an input whose copies disagree."""
    targets: dict[tuple, set] = defaultdict(set)
    for e in examples:
        targets[input_key(e)].add(target(e))
    kept, seen = [], set()
    for e in sorted(examples, key=lambda e: rank(task_id, e.id)):
        key = input_key(e)
        if len(targets[key]) == 1 and key not in seen:
            seen.add(key)
            kept.append(e)
    order = {e.id: i for i, e in enumerate(examples)}
    return sorted(kept, key=lambda e: order[e.id])


def drop_seen_in_pool(pool: Sequence, test: Sequence) -> list:
    """The test examples whose group and input both do not occur in the pool."""
    groups = {e.group for e in pool if e.group is not None}
    inputs = {input_key(e) for e in pool}
    return [e for e in test if (e.group is None or e.group not in groups) and input_key(e) not in inputs]


def carve(task_id: str, examples: Sequence, test_share: float) -> tuple[list, list]:
    """(pool, test) of pooled examples split on group boundaries (an example without a group is its
    own): the groups first by ``rank`` make up ``test_share`` of the groups (at least one), so the
    split depends on the rows alone, never on their order."""
    groups = sorted({e.group or e.id for e in examples}, key=lambda g: rank(task_id, g))
    n_test = max(1, round(test_share * len(groups))) if len(groups) > 1 else 0
    test_groups = set(groups[:n_test])
    pool = [e for e in examples if (e.group or e.id) not in test_groups]
    return pool, [e for e in examples if (e.group or e.id) in test_groups]


def _length(e: Example) -> int:
    return len(e.text_pair or "")  # in characters


def match_candidates(task_id: str, examples: Sequence[Example], max_ratio: float) -> list[Example]:
    """Per question (equal ``text``), each right candidate paired with the unused wrong candidate
    closest to it in length (ties by ``rank``), kept when the longer is at most ``max_ratio``
    times the shorter; other candidates are dropped. So right and wrong candidates are equally
    many and alike in length within every question."""
    by_text: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_text[e.text].append(e)
    kept: set[str] = set()
    for candidates in by_text.values():
        ordered = sorted(candidates, key=lambda e: rank(task_id, e.id))
        wrong = [e for e in ordered if e.label == 0]
        for right in (e for e in ordered if e.label == 1):
            if not wrong:
                break
            best = min(wrong, key=lambda w: abs(_length(w) - _length(right)))
            if max(_length(best), _length(right)) > max_ratio * max(1, min(_length(best), _length(right))):
                continue
            wrong.remove(best)
            kept.update((right.id, best.id))
    return [e for e in examples if e.id in kept]
