"""Splits are deterministic, disjoint, grouped, and do not depend on row order."""

import random

from w2sbench.core.example import Example
from w2sbench.core.splits import split_pool


def pool(n=1000):
    return [Example(id=f"e{i}", text=f"t{i}", label=i % 2, group=f"g{i // 4}") for i in range(n)]


def ids(xs):
    return [e.id for e in xs]


def test_deterministic_and_order_independent():
    a = split_pool(pool(), [], seed=3)
    shuffled = pool()
    random.Random(0).shuffle(shuffled)
    b = split_pool(shuffled, [], seed=3)
    for role in ("supervisor_train", "transfer", "validation"):
        assert sorted(ids(getattr(a, role))) == sorted(ids(getattr(b, role)))


def test_disjoint_covering_and_grouped():
    s = split_pool(pool(), [], seed=0)
    roles = [s.supervisor_train, s.transfer, s.validation]
    all_ids = [i for r in roles for i in ids(r)]
    assert sorted(all_ids) == sorted(ids(pool())) and len(set(all_ids)) == len(all_ids)
    groups = [{e.group for e in r} for r in roles]
    assert not (groups[0] & groups[1]) and not (groups[0] & groups[2]) and not (groups[1] & groups[2])
    assert 0.4 < len(s.supervisor_train) / 1000 < 0.6 and 0.3 < len(s.transfer) / 1000 < 0.5


def test_seed_changes_the_split():
    assert ids(split_pool(pool(), [], 0).transfer) != ids(split_pool(pool(), [], 1).transfer)
