"""Canonical batches: a text's padded length is a function of its own token count."""

import random

import pytest

from w2sbench.models.batches import BUCKET, canonical_batches, canonical_length


def test_canonical_length_rounds_up_to_the_bucket_and_caps_at_max_length():
    assert BUCKET == 16
    assert [canonical_length(n, 128) for n in (1, 16, 17, 32, 33, 113, 128)] == [16, 16, 32, 32, 48, 128, 128]
    assert canonical_length(7, 10) == 10  # a max_length off the bucket grid caps the last bucket
    with pytest.raises(ValueError, match="at least one token"):
        canonical_length(0, 128)


def test_batches_group_by_length_keep_the_given_order_and_respect_the_size():
    lengths = [3, 20, 5, 40, 17, 2, 4]
    assert list(canonical_batches(lengths, 2, 128)) == [(16, [0, 2]), (16, [5, 6]), (32, [1, 4]), (48, [3])]


def test_a_texts_padded_length_does_not_depend_on_its_companions():
    """The property that makes features order-independent: whatever set a text is embedded with,
    and in whatever order, it is padded to the same length."""
    rng = random.Random(0)
    lengths = [rng.randint(1, 140) for _ in range(300)]
    alone = {i: canonical_length(n, 128) for i, n in enumerate(lengths)}
    for _ in range(20):
        subset = rng.sample(range(len(lengths)), rng.randint(1, 300))
        seen = []
        for length, idx in canonical_batches([lengths[i] for i in subset], rng.randint(1, 64), 128):
            seen += idx
            assert all(alone[subset[i]] == length for i in idx)
        assert sorted(seen) == list(range(len(subset)))  # every text once
