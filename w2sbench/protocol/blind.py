"""What a method sees of a split, and how its predictor is asked for test predictions.

Ids are opaque: a salted hash drawn afresh for every view, so an id carries no split, row or
choice position (multiple-choice ids end in the choice's position, and on a task whose answer
is always listed first that position is the label). Test inputs never reach ``fit``; after it
returns, the predictor is called on shuffled batches of them, so neither the order of the test
split (whose public rows give each position's label) nor a whole group of matched examples at
once is in view. The shuffle is fixed per test set (seeded by a hash of its ids): a linear
layer's output for a row moves in the last bits with the rows batched beside it, so a fresh
order each run would make honest records irreproducible (a resumed run, or validate's re-run,
would differ from the first). A predictor should answer each example on
its own: one that keeps state between calls cannot be reproduced by validate.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets

import numpy as np

from w2sbench.core.errors import MethodError

BATCH = 32  # test inputs per predictor call


def opaque(view):
    """The view (Inputs or Prompts) with each id replaced by a hash salted afresh."""
    salt = secrets.token_bytes(16)
    return dataclasses.replace(view, ids=tuple(hashlib.sha256(salt + i.encode()).hexdigest()[:16] for i in view.ids))


def predict_shuffled(predictor, view, method: str, batch: int = BATCH) -> list:
    """The predictor's answers for every item of view, asked in shuffled batches, in view's order."""
    order_seed = int.from_bytes(hashlib.sha256("\n".join(view.ids).encode()).digest()[:8], "big")
    view = opaque(view)
    order = np.random.default_rng(order_seed).permutation(len(view))
    answers: list = [None] * len(view)
    for start in range(0, len(view), batch):
        idx = order[start : start + batch]
        try:
            got = list(predictor(view.subset(idx)))
        except TypeError:
            raise MethodError(f"method {method}: predictor returned no sequence of predictions") from None
        if len(got) != len(idx):
            raise MethodError(f"method {method}: predictor returned {len(got)} predictions for a batch of {len(idx)}")
        for i, answer in zip(idx, got, strict=False):
            answers[i] = answer
    return answers
