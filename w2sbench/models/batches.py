"""Canonical batches: the shape a text is embedded in depends on the text alone.

An encoder's output for one text moves in the last bits with the padded length of its batch
(measured on the shipped rungs: MiniLM-L6 fp32 by 3.4e-7 between 40 and 64 positions, bf16 by
far more), while the batch's size, the text's position in it and its companions' values move
nothing once the length is fixed (tests/models/test_batches.py and test_encoder.py check both on the real
rungs). So every text is padded to a length that is a function of its own token count, the
next multiple of BUCKET (capped at the rung's max_length), and texts of one length share
batches in any order: two caches filled in any order hold bit-identical features.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

BUCKET = 16  # padding wasted per text is under BUCKET tokens; any fixed width is exact


def canonical_length(tokens: int, max_length: int) -> int:
    """The padded length of a text of ``tokens`` tokens."""
    if tokens < 1:
        raise ValueError(f"a tokenized text has at least one token, got {tokens}")
    return min(-(-tokens // BUCKET) * BUCKET, max_length)


def canonical_batches(lengths: Sequence[int], batch_size: int, max_length: int) -> Iterator[tuple[int, list[int]]]:
    """(padded length, indices) for batches of at most ``batch_size`` texts of one canonical length,
    shortest first, each batch's indices in the order given."""
    groups: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        groups.setdefault(canonical_length(n, max_length), []).append(i)
    for length in sorted(groups):
        members = groups[length]
        for start in range(0, len(members), batch_size):
            yield length, members[start : start + batch_size]
