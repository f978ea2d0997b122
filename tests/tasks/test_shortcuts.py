"""Spelling-rule shortcut probes (w2sbench.tasks.shortcuts): known word pairs, and a toy antonymy
task where the prefix rule answers every question, which the audit must fail."""

from __future__ import annotations

import pytest

from w2sbench.core.example import Example
from w2sbench.tasks import shortcuts as S
from w2sbench.tasks.audit import SURFACE_MARGIN, Check, audit_task
from w2sbench.tasks.loading import TaskData
from w2sbench.tasks.task import get_task


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("happy", "unhappy", True),
        ("legal", "illegal", True),
        ("agree", "disagree", True),
        ("careful", "careless", True),
        ("hot", "cold", False),
        ("question", "unquestion able", False),
    ],
)
def test_negating_prefix(a, b, expected):
    assert S.negating_prefix(a, b) is expected


def test_shared_stem():
    assert S.shared_stem("door", "doorknob") and S.shared_stem("Canis", "Canidae")
    assert not S.shared_stem("bulkhead", "ship") and not S.shared_stem("Canis", "dog")


def _pair(i, a, b, label):
    return Example(id=f"e{i}", text=a, text_pair=b, label=label, group=a)


# the case: prefixed antonyms as positives, unrelated words as negatives
STEMS = ["happy", "able", "kind", "fair", "lucky", "wise", "safe", "known", "true", "real"] * 6


def _prefix_task(offset: int) -> list[Example]:
    rows = []
    for i, w in enumerate(STEMS):
        rows.append(_pair(2 * i + offset, w, "un" + w, 1))
        rows.append(_pair(2 * i + 1 + offset, w, "table", 0))
    return rows


def test_rule_accuracy_fits_the_direction_on_the_pool():
    pool, test = _prefix_task(0), _prefix_task(1000)
    assert S.rule_accuracy(S.negating_prefix, pool, test) == 1.0
    flipped = [Example(e.id, e.text, 1 - e.label, e.text_pair, e.group) for e in pool]
    flipped_test = [Example(e.id, e.text, 1 - e.label, e.text_pair, e.group) for e in test]
    assert S.rule_accuracy(S.negating_prefix, flipped, flipped_test) == 1.0  # fires -> 0 also counts


def test_shortcut_checks_fail_a_prefix_task_and_skip_sentence_tasks():
    pool, test = _prefix_task(0), _prefix_task(1000)
    checks = {c.name: c for c in S.shortcut_checks(pool, test, SURFACE_MARGIN, Check)}
    assert not checks["shortcut/negating_prefix"].passed and checks["shortcut/negating_prefix"].value == 1.0
    assert checks["shortcut/negating_prefix"].threshold == pytest.approx(0.5 + SURFACE_MARGIN)
    sentences = [
        Example(f"s{i}", "a sentence of several words here", i % 2, "another one of several words", str(i))
        for i in range(60)
    ]
    assert S.shortcut_checks(sentences, sentences, SURFACE_MARGIN, Check) == []


def test_the_audit_runs_the_shortcut_probe():
    task = get_task("wordnet_meronym")
    data = TaskData(task=task, pool=_prefix_task(0), test=_prefix_task(1000), data_revision="toy")
    checks = {c.name: c for c in audit_task(task, data)}
    assert not checks["shortcut/negating_prefix"].passed
    assert not checks["shortcut/shared_stem"].passed  # "happy" / "unhappy" share a stem too


def test_question_pairs_read_x_and_y_back_out_of_the_question():
    read = S.question_pairs("Is {x} {a} {y}?")
    assert read(Example("q", "Is Suva a national capital?", 1)) == ("Suva", "national capital")
    assert read(Example("q", "Is Acapulco an estuary town?", 1)) == ("Acapulco", "estuary town")
    assert read(Example("q", "Does it rain?", 1)) is None  # another shape: not a word-pair task
    assert S.question_pairs("Is {x} part of {y}?")(Example("q", "Is bulkhead part of ship?", 1)) == ("bulkhead", "ship")


def _question(e: Example) -> Example:
    return Example(e.id, f"Does {e.text} mean nearly the same as {e.text_pair}?", e.label, None, e.group)


def test_the_audit_runs_the_shortcut_probe_on_a_question_task():
    """The prefix task asked as questions ("Does happy mean nearly the same as unhappy?"): one
    text per example, yet the spelling rules read X and Y back out of it and fail the task."""
    task = get_task("wordnet_similar_q")
    data = TaskData(
        task=task,
        pool=[_question(e) for e in _prefix_task(0)],
        test=[_question(e) for e in _prefix_task(1000)],
        data_revision="toy",
    )
    checks = {c.name: c for c in audit_task(task, data)}
    assert not checks["shortcut/negating_prefix"].passed and checks["shortcut/negating_prefix"].value == 1.0
