"""Shared checks for the per-family conversion tests: load a task's fixture through the real
loading path and assert labels, balance, grouping and surface form."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

from w2sbench.tasks.loading import TaskData, load_task_data
from w2sbench.tasks.task import Task, load_task_file

REPO = Path(__file__).resolve().parents[3]
TASKS = REPO / "tasks"
FIXTURES = REPO / "tests" / "fixtures" / "tasks"


def task(task_id: str) -> Task:
    return load_task_file(TASKS / f"{task_id}.yaml")


def load(task_id: str) -> TaskData:
    """The task's fixture rows through `load_task_data` (convert, balance, cap), as from the Hub."""
    return load_task_data(task(task_id), local_dir=FIXTURES / task_id)


def load_unbalanced(task_id: str) -> TaskData:
    """Every converted example, before undersampling (to look at rows balancing would drop)."""
    return load_task_data(task(task_id).model_copy(update={"balance": False}), local_dir=FIXTURES / task_id)


def row_key(example) -> str:
    """The upstream row an example came from: ids are '<split>/<row id>[/<choice>]'."""
    return example.id.split("/")[1]


def roles(data: TaskData):
    return {"pool": data.pool, "test": data.test}


def assert_balanced(data: TaskData) -> None:
    for role, examples in roles(data).items():
        positives = sum(e.label for e in examples)
        assert examples and positives * 2 == len(examples), f"{role}: {positives} of {len(examples)} positive"


def assert_no_group_in_two_roles(data: TaskData) -> None:
    pool = {e.group for e in data.pool if e.group is not None}
    test = {e.group for e in data.test if e.group is not None}
    assert not pool & test, f"groups in both roles: {pool & test}"


def assert_multiple_choice(data: TaskData, expected: dict[str, dict[str, tuple[str, set[str]]]]) -> None:
    """expected[role][row id] = (correct candidate, allowed wrong candidates), hand-written.

    Every question yields exactly one correct and one wrong example with the same text and
    group; the correct one's candidate is the hand-computed answer.
    """
    for role, examples in roles(data).items():
        by_row = defaultdict(list)
        for e in examples:
            by_row[row_key(e)].append(e)
        assert set(by_row) == set(expected[role]), f"{role}: questions {sorted(by_row)}"
        for key, pair in by_row.items():
            correct, wrong = expected[role][key]
            assert sorted(e.label for e in pair) == [0, 1], f"{role}/{key}: labels {[e.label for e in pair]}"
            pos = next(e for e in pair if e.label == 1)
            neg = next(e for e in pair if e.label == 0)
            assert pos.text_pair == correct, f"{role}/{key}: correct candidate {pos.text_pair!r}"
            assert neg.text_pair in wrong, f"{role}/{key}: wrong candidate {neg.text_pair!r}"
            assert pos.text == neg.text and pos.group == neg.group
    assert_balanced(data)
    assert_no_group_in_two_roles(data)
    assert_same_surface(data.pool + data.test)


def assert_binary_labels(data: TaskData, expected: dict[str, dict[str, int]]) -> None:
    """expected[role][row id] = hand-computed label; balancing keeps min(pos, neg) of each."""
    for role, examples in roles(data).items():
        truth = expected[role]
        for e in examples:
            assert e.label == truth[row_key(e)], f"{role}/{row_key(e)}: label {e.label}"
        n = min(sum(truth.values()), len(truth) - sum(truth.values()))
        assert len(examples) == 2 * n, f"{role}: {len(examples)} examples, expected {2 * n}"
    assert_balanced(data)
    assert_no_group_in_two_roles(data)


def split_row(example) -> str:
    """'<split>/<row id>': what names an upstream row when a carve pools several splits."""
    return "/".join(example.id.split("/")[:2])


def assert_carved(data: TaskData, labels: dict[str, int]) -> None:
    """A carve (pool and test from pooled splits): labels by split_row as hand-computed, both
    roles non-empty and balanced, no group in both."""
    for e in data.pool + data.test:
        assert e.label == labels[split_row(e)], f"{split_row(e)}: label {e.label}"
    assert data.pool and data.test
    assert_balanced(data)
    assert_no_group_in_two_roles(data)


_LETTER = re.compile(r"^\(?[A-Ea-e1-5]\)?[.:]?$")


def assert_same_surface(examples) -> None:
    """Right and wrong candidates must not differ by a fixed format.

    Guards the openbookqa leak (EleutherAI/w2s's formatter): positives showed the answer letter,
    negatives the distractor text. Checks: no candidate is a bare choice letter, and no
    prefix is shared by every positive candidate without being shared by every negative one
    (and the other way round).
    """
    side = "text_pair" if any(e.text_pair is not None for e in examples) else "text"
    pos = [getattr(e, side) for e in examples if e.label == 1]
    neg = [getattr(e, side) for e in examples if e.label == 0]
    assert pos and neg
    letters = [c for c in pos + neg if _LETTER.match(c.strip())]
    assert not letters, f"bare choice letters as candidates: {letters}"
    if len(pos) > 1 and len(neg) > 1:
        p, n = os.path.commonprefix(pos), os.path.commonprefix(neg)
        assert p == n or not (p.strip() or n.strip()), f"positives share prefix {p!r}, negatives {n!r}"
