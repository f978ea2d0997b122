"""Data-hygiene audit of a loaded task: the checks that catch a broken conversion before it costs a sweep.

Each check names what it measures, the value, the threshold it is held to and whether it
passed. They guard the failures the reference code bases shipped:

- class balance and the majority-class baseline: an unbalanced test set makes accuracy
  (and so PGR) move with the class prior; the paper rebalances above a 55% majority;
- duplicate inputs within a role and across roles: a test example also in the pool is
  memorised, not generalised to;
- group leakage: examples that share a source (a passage, a question, a premise) on both
  sides of the pool/test boundary leak near-duplicates;
- surface-form leak: a cheap logistic regression on surface features only (lengths, capital
  first letter, final period, digits, "x"/"+" in a chess move) trained on the pool and
  scored on test. EleutherAI's openbookqa showed the answer letter for right answers and the
  distractor text for wrong ones, and every model scored AUC 1.0; such a probe finds that at
  once. It fails when it beats the majority rate by more than 0.10.
- id and position leaks: the same probe on what else a method sees of an example, its id
  (the parts of the id by position, and the size of its row numbers) and its position in
  its role. SciQ's pair ids once ended in the right choice's index, which is always 0 there,
  and undersampling once kept the earliest examples of the larger class, so position told it.

Given a run's result records (``--results``), each (ladder, weak -> strong) pair of the task is
also checked for a gap: the seed-averaged ceiling must beat the weak supervisor by at least
MIN_GAP (0.02), the gap below which PGR is undefined; a pair without one measures nothing.

A generative task (Prompts: choose one of several completions) has no classes to balance; its
surface check is the answer baseline instead: the pool's most common answer position and most
common answer text, scored on test, must not beat picking a choice at random by more than
0.10 (an answer always listed first, or one move that is nearly always right, would show).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from w2sbench.core.example import Example
from w2sbench.core.metrics import MIN_GAP
from w2sbench.core.result import Result
from w2sbench.tasks.hygiene import input_key as _key
from w2sbench.tasks.hygiene import target as _target
from w2sbench.tasks.loading import TaskData
from w2sbench.tasks.shortcuts import question_pairs, shortcut_checks, text_and_pair
from w2sbench.tasks.task import Task

BALANCE_TOLERANCE = 0.05  # positive rate within 0.5 +- this, when the task balances
MAJORITY_MAX = 0.55  # the paper rebalances any dataset whose majority class exceeds 55%
DUPLICATE_MAX = 0.01  # fraction of a role's examples whose input repeats
GROUP_LEAK_MAX = 0.0  # fraction of test examples whose group is also in the pool
SURFACE_MARGIN = 0.10  # the surface probe may beat the majority rate by at most this


@dataclass(frozen=True)
class Check:
    """One audit result: a failed check makes `w2sbench tasks audit` exit non-zero."""

    name: str
    passed: bool
    value: float | None
    threshold: float | None
    message: str


def _positive_rate(examples: Sequence[Example]) -> float:
    return float(np.mean([e.label for e in examples])) if examples else float("nan")


def _balance(role: str, examples: Sequence[Example], balanced: bool) -> Check:
    rate = _positive_rate(examples)
    passed = (not balanced) or abs(rate - 0.5) <= BALANCE_TOLERANCE
    note = "" if balanced else " (the task does not balance; informational)"
    return Check(
        f"balance/{role}",
        passed,
        rate,
        0.5 + BALANCE_TOLERANCE if balanced else None,
        f"{len(examples)} examples, positive rate {rate:.3f} (kept within 0.5 +- {BALANCE_TOLERANCE}){note}",
    )


def _majority(data: TaskData) -> Check:
    majority = int(_positive_rate(data.pool) >= 0.5)
    accuracy = float(np.mean([e.label == majority for e in data.test]))
    return Check(
        "majority_baseline",
        accuracy <= MAJORITY_MAX,
        accuracy,
        MAJORITY_MAX,
        f"predicting the pool's majority class ({majority}) scores {accuracy:.3f} on test",
    )


def _duplicates_within(role: str, examples: Sequence[Example]) -> Check:
    counts = Counter(_key(e) for e in examples)
    labels: dict[tuple, set[int]] = {}
    for e in examples:
        labels.setdefault(_key(e), set()).add(_target(e))
    repeated = sum(c for c in counts.values() if c > 1)
    conflicting = sum(1 for k, ls in labels.items() if len(ls) > 1)
    frac = repeated / len(examples) if examples else 0.0
    return Check(
        f"duplicates/{role}",
        frac <= DUPLICATE_MAX,
        frac,
        DUPLICATE_MAX,
        f"{repeated} of {len(examples)} examples share their input with another "
        f"({conflicting} inputs with conflicting labels)",
    )


def _duplicates_across(data: TaskData) -> Check:
    pool = {_key(e) for e in data.pool}
    shared = sum(1 for e in data.test if _key(e) in pool)
    frac = shared / len(data.test) if data.test else 0.0
    return Check(
        "duplicates/across_roles",
        frac <= DUPLICATE_MAX,
        frac,
        DUPLICATE_MAX,
        f"{shared} of {len(data.test)} test examples also appear in the pool",
    )


def _group_leakage(data: TaskData) -> Check:
    pool = {e.group for e in data.pool if e.group is not None}
    grouped = [e for e in data.test if e.group is not None]
    if not grouped and not pool:
        return Check("group_leakage", True, 0.0, GROUP_LEAK_MAX, "the task sets no groups")
    leaked = [e for e in grouped if e.group in pool]
    frac = len(leaked) / len(data.test) if data.test else 0.0
    groups = len({e.group for e in leaked})
    return Check(
        "group_leakage",
        frac <= GROUP_LEAK_MAX,
        frac,
        GROUP_LEAK_MAX,
        f"{len(leaked)} test examples in {groups} groups that also occur in the pool",
    )


def _text_features(s: str | None) -> list[float]:
    if s is None:
        return [0.0] * 8
    stripped = s.strip()
    return [
        np.log1p(len(s)),
        np.log1p(len(s.split())),
        float(stripped[:1].isupper()),
        float(stripped.endswith(".")),
        float(stripped[-1:] in "?!"),
        np.log1p(sum(ch.isdigit() for ch in s)),
        float("x" in s),
        float("+" in s),
    ]


def surface_features(e: Example) -> list[float]:
    """Surface form only, no content: lengths in chars and words, capital first letter, final
    period or ?/!, digit count, and the chess-move marks "x" (capture) and "+" (check), for
    text and text_pair, plus their length difference."""
    a, b = _text_features(e.text), _text_features(e.text_pair)
    return a + b + [a[0] - b[0] if e.text_pair is not None else 0.0]


MIN_PROBE_TEST = 50


def _probe(name: str, data: TaskData, features, what: str) -> Check:
    """A logistic-regression probe on ``features`` of each example, trained on the pool and scored
    on test: it fails when it beats the majority rate by more than SURFACE_MARGIN."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y_train = np.array([e.label for e in data.pool])
    y_test = np.array([e.label for e in data.test])
    majority = max(y_test.mean(), 1 - y_test.mean()) if len(y_test) else float("nan")
    threshold = float(majority + SURFACE_MARGIN)
    if len(set(y_train)) < 2 or not len(y_test):
        return Check(name, True, None, threshold, "skipped: the pool has a single class")
    if len(y_test) < MIN_PROBE_TEST:
        # on a handful of fixture rows any probe can score 1.0 by chance: no verdict either way
        return Check(
            name,
            True,
            None,
            threshold,
            f"skipped: {len(y_test)} test examples are too few to judge (need {MIN_PROBE_TEST})",
        )
    # scaling without centring keeps the id tokens sparse; the unpenalised intercept absorbs the mean
    probe = make_pipeline(DictVectorizer(), StandardScaler(with_mean=False), LogisticRegression(max_iter=1000))
    probe.fit([features(i, e, len(data.pool)) for i, e in enumerate(data.pool)], y_train)
    accuracy = float(probe.score([features(i, e, len(data.test)) for i, e in enumerate(data.test)], y_test))
    return Check(
        name,
        accuracy <= threshold,
        accuracy,
        threshold,
        f"a probe of {what} (pool -> test) scores {accuracy:.3f}; majority rate {majority:.3f}",
    )


def _surface(i: int, e: Example, n: int) -> dict[str, float]:
    return dict(enumerate(surface_features(e)))


_ID_PARTS = re.compile(r"[^0-9A-Za-z]+")


def id_features(e: Example) -> dict[str, float]:
    """What an id could give away: each of its parts by position (from the start and from the
    end), and the size of each numeric part (a row number, when upstream rows are sorted by label)."""
    parts = [p for p in _ID_PARTS.split(e.id) if p]
    out: dict[str, float] = {}
    for k, part in enumerate(parts):
        out[f"{k}={part}"] = out[f"-{len(parts) - k}={part}"] = 1.0
        if part.isdigit():
            out[f"num{k}"] = out[f"num-{len(parts) - k}"] = float(np.log1p(int(part[:12])))
    return out


def _position(i: int, e: Example, n: int) -> dict[str, float]:
    return {"fraction": i / max(1, n), "odd": float(i % 2)}


def _surface_leak(data: TaskData) -> Check:
    return _probe("surface_leak", data, _surface, "surface features (lengths and form of text and text_pair)")


def _id_leak(data: TaskData) -> Check:
    """Methods see ids: an id naming the right choice's position (SciQ's was always 0) is a label."""
    return _probe("id_leak", data, lambda i, e, n: id_features(e), "the example ids")


def _position_leak(data: TaskData) -> Check:
    """Methods see examples in order: labels must not follow it (alternating pairs, sorted blocks)."""
    return _probe("position_leak", data, _position, "each example's position in its role")


def _answer_baseline(data: TaskData) -> Check:
    chance = float(np.mean([1 / len(e.choices) for e in data.test]))
    threshold = chance + SURFACE_MARGIN
    position = Counter(e.answer for e in data.pool).most_common(1)[0][0]
    text = Counter(_target(e) for e in data.pool).most_common(1)[0][0]
    by_position = float(np.mean([e.answer == position for e in data.test]))
    by_text = float(np.mean([_target(e) == text for e in data.test]))
    best = max(by_position, by_text)
    return Check(
        "answer_baseline",
        best <= threshold,
        best,
        threshold,
        f"the pool's most common answer position ({position}) scores {by_position:.3f} on test, its most "
        f"common answer ({text}) {by_text:.3f}; a random choice {chance:.3f}",
    )


def audit_task(task: Task, data: TaskData) -> list[Check]:
    """All checks on one task's loaded pool and test examples."""
    if task.framing == "generative":
        return [
            _duplicates_within("pool", data.pool),
            _duplicates_within("test", data.test),
            _duplicates_across(data),
            _group_leakage(data),
            _answer_baseline(data),
        ]
    return [
        _balance("pool", data.pool, task.balance),
        _balance("test", data.test, task.balance),
        _majority(data),
        _duplicates_within("pool", data.pool),
        _duplicates_within("test", data.test),
        _duplicates_across(data),
        _group_leakage(data),
        _surface_leak(data),
        _id_leak(data),
        _position_leak(data),
        *shortcut_checks(data.pool, data.test, SURFACE_MARGIN, Check, _word_pair(task)),
    ]


def _word_pair(task: Task):
    """How the spelling probes read a word pair: both texts, or X and Y out of a relation question."""
    from w2sbench.tasks.builders.wordnet_relations import QUESTIONS

    template = QUESTIONS.get(task.id.removesuffix("_q")) if task.id.endswith("_q") else None
    return question_pairs(template) if template else text_and_pair


def ceiling_checks(results: Iterable[Result]) -> list[Check]:
    """One check per (ladder, weak -> strong) pair in one task's records: ceiling above floor.
    Every method's records of a pair and seed share the weak labels and the ceiling, so each
    seed counts once."""
    by_pair: dict[tuple[str, str, str, str], dict[int, tuple[float, float]]] = {}
    for r in results:
        pair = (r.ladder, r.provenance.regime, r.weak.name, r.strong.name)
        by_pair.setdefault(pair, {})[r.seed] = (r.scores.acc_weak, r.scores.acc_ceiling)
    checks = []
    for (ladder, regime, weak, strong), seeds in sorted(by_pair.items()):
        acc_weak, acc_ceiling = (float(np.mean(v)) for v in zip(*seeds.values(), strict=False))
        gap = acc_ceiling - acc_weak
        checks.append(
            Check(
                f"ceiling_above_floor/{weak}->{strong}",
                gap >= MIN_GAP,
                gap,
                MIN_GAP,
                f"{ladder} ({regime}): ceiling {acc_ceiling:.3f}, weak {acc_weak:.3f} (mean of {len(seeds)} seeds)",
            )
        )
    return checks


def audit_passed(checks: Iterable[Check]) -> bool:
    return all(c.passed for c in checks)


def audit_table(results: Mapping[str, Sequence[Check]] | Iterable[tuple[str, Sequence[Check]]]) -> str:
    """One row per (task, check): a Markdown table (tabulate's github format)."""
    from tabulate import tabulate

    items = results.items() if isinstance(results, Mapping) else results

    def fmt(v):
        return "" if v is None else f"{v:.3f}"

    rows = [
        [task_id, c.name, "PASS" if c.passed else "FAIL", fmt(c.value), fmt(c.threshold), c.message]
        for task_id, checks in items
        for c in checks
    ]
    return tabulate(
        rows,
        headers=["task", "check", "result", "value", "threshold", "message"],
        tablefmt="github",
        disable_numparse=True,
    )
