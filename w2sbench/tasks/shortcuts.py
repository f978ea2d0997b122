"""Rule-based shortcut probes for word-pair tasks: spelling rules that must not predict the label.

A task that asks whether two words stand in a relation (antonymy, meronymy, ...) can often be
answered from spelling alone: "happy"/"unhappy" are antonyms by a negating prefix, "door" and
"doorknob" are whole and part because one contains the other. A benchmark task built on such
pairs measures morphology, not the relation. Each rule below predicts the label from spelling;
its direction (rule true means 1, or means 0) is fitted on the pool and it is scored on test.
The check fails when the best rule beats the majority rate by more than the surface margin.
It applies to tasks whose every example is a pair of short texts (at most MAX_WORDS words each).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

import numpy as np

from w2sbench.core.example import Example

MAX_WORDS = 4  # longer texts are sentences or definitions, not word pairs
SHARED_STEM = 4  # characters in common (one run) that count as a shared stem
NEGATING_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non", "non-", "a", "an", "de", "anti", "counter", "mis")
SUFFIX_SWAPS = (("ful", "less"), ("ous", "less"))


def _norm(s: str) -> str:
    return s.strip().lower()


def negating_prefix(a: str, b: str) -> bool:
    """One word is the other with a negating prefix (un-, in-, dis-, non-, ...) or with -ful and
    -less swapped: the rule that scored 0.73 on a first antonymy task (issue 14)."""
    a, b = _norm(a), _norm(b)
    for x, y in ((a, b), (b, a)):
        if any(x == p + y for p in NEGATING_PREFIXES):
            return True
        if any(x.endswith(s) and y.endswith(t) and x[: -len(s)] == y[: -len(t)] for s, t in SUFFIX_SWAPS):
            return True
    return False


def shared_stem(a: str, b: str, length: int = SHARED_STEM) -> bool:
    """The two texts share a run of at least ``length`` characters (case-folded): a compound
    and its head ("doorknob", "door"), a derivation ("Canis", "Canidae"), a prefixed pair."""
    a, b = _norm(a), _norm(b)
    match = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size >= length


RULES: dict[str, Callable[[str, str], bool]] = {"negating_prefix": negating_prefix, "shared_stem": shared_stem}


def is_word_pair_task(examples: Sequence[Example]) -> bool:
    return bool(examples) and all(
        e.text_pair is not None and len(e.text.split()) <= MAX_WORDS and len(e.text_pair.split()) <= MAX_WORDS
        for e in examples
    )


def rule_accuracy(rule: Callable[[str, str], bool], pool: Sequence[Example], test: Sequence[Example]) -> float:
    """The rule's test accuracy with its direction fitted on the pool (fires -> 1, or fires -> 0)."""
    fired_pool = np.array([rule(e.text, e.text_pair) for e in pool])
    y_pool = np.array([e.label for e in pool])
    direct = np.mean(fired_pool == y_pool) >= 0.5
    fired = np.array([rule(e.text, e.text_pair) for e in test])
    y = np.array([e.label for e in test])
    return float(np.mean((fired if direct else ~fired) == y))


def shortcut_checks(pool: Sequence[Example], test: Sequence[Example], margin: float, make_check) -> list:
    """One check per rule for a word-pair task (none for other tasks): the rule's test accuracy
    must not beat the majority rate by more than ``margin``. ``make_check(name, passed, value,
    threshold, message)`` builds the audit's Check (passed in: the audit imports this module)."""
    if not is_word_pair_task(pool) or not is_word_pair_task(test):
        return []
    y = np.array([e.label for e in test])
    majority = float(max(y.mean(), 1 - y.mean()))
    checks = []
    for name, rule in RULES.items():
        accuracy = rule_accuracy(rule, pool, test)
        fires = float(np.mean([rule(e.text, e.text_pair) for e in test]))
        checks.append(make_check(
            f"shortcut/{name}", accuracy <= majority + margin, accuracy, majority + margin,
            f"the spelling rule {name} (direction fitted on the pool) scores {accuracy:.3f} on test, "
            f"firing on {fires:.1%} of it; majority rate {majority:.3f}"))
    return checks
