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

import re
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


WordPair = Callable[[Example], "tuple[str, str] | None"]


def text_and_pair(e: Example) -> tuple[str, str] | None:
    """The word pair of a pair task's example: its two texts."""
    return None if e.text_pair is None else (e.text, e.text_pair)


def question_pairs(template: str) -> WordPair:
    """The word pair of a one-text question built from ``template`` ("Is {x} part of {y}?", with
    {a} for an article): X and Y read back out of the question, so the spelling rules probe a
    question task as they probe its word-pair form."""
    pattern = re.escape(template)
    for field, group in (("x", "(?P<x>.+?)"), ("y", "(?P<y>.+)"), ("a", "(?:a|an)")):
        pattern = pattern.replace(re.escape("{" + field + "}"), group)
    compiled = re.compile(pattern)

    def read(e: Example) -> tuple[str, str] | None:
        m = compiled.fullmatch(e.text) if e.text_pair is None else None
        return (m["x"], m["y"]) if m else None

    return read


def is_word_pair_task(examples: Sequence[Example], pair_of: WordPair = text_and_pair) -> bool:
    pairs = [pair_of(e) for e in examples]
    return bool(examples) and all(
        p is not None and len(p[0].split()) <= MAX_WORDS and len(p[1].split()) <= MAX_WORDS for p in pairs
    )


def _fired(rule: Callable[[str, str], bool], examples: Sequence[Example], pair_of: WordPair) -> np.ndarray:
    return np.array([rule(*pair_of(e)) for e in examples])


def rule_accuracy(
    rule: Callable[[str, str], bool],
    pool: Sequence[Example],
    test: Sequence[Example],
    pair_of: WordPair = text_and_pair,
) -> float:
    """The rule's test accuracy with its direction fitted on the pool (fires -> 1, or fires -> 0)."""
    y_pool = np.array([e.label for e in pool])
    direct = np.mean(_fired(rule, pool, pair_of) == y_pool) >= 0.5
    fired = _fired(rule, test, pair_of)
    y = np.array([e.label for e in test])
    return float(np.mean((fired if direct else ~fired) == y))


def shortcut_checks(
    pool: Sequence[Example], test: Sequence[Example], margin: float, make_check, pair_of: WordPair = text_and_pair
) -> list:
    """One check per rule for a word-pair task, or a question task whose ``pair_of`` reads the
    pair back (none for other tasks): the rule's test accuracy must not beat the majority rate by
    more than ``margin``. ``make_check(name, passed, value, threshold, message)`` builds the
    audit's Check (passed in: the audit imports this module)."""
    if not is_word_pair_task(pool, pair_of) or not is_word_pair_task(test, pair_of):
        return []
    y = np.array([e.label for e in test])
    majority = float(max(y.mean(), 1 - y.mean()))
    checks = []
    for name, rule in RULES.items():
        accuracy = rule_accuracy(rule, pool, test, pair_of)
        fires = float(np.mean(_fired(rule, test, pair_of)))
        checks.append(
            make_check(
                f"shortcut/{name}",
                accuracy <= majority + margin,
                accuracy,
                majority + margin,
                f"the spelling rule {name} (direction fitted on the pool) scores {accuracy:.3f} on test, "
                f"firing on {fires:.1%} of it; majority rate {majority:.3f}",
            )
        )
    return checks
