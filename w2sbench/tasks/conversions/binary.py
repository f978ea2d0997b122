"""Tasks whose upstream rows already carry a binary (or binarisable) label: one generic converter.

Covers GLUE (CoLA, SST-2), SuperGLUE (MultiRC, WiC), BoolQ, ANLI (entailment vs not),
PAWS, MC-TACO and Twitter sentiment. Every upstream label goes through an explicit
``label_map`` in the task file (ANLI's 0/1/2, BoolQ's true/false, ClassLabel ints), so a
changed coding fails instead of flipping labels; values in ``unlabeled`` (the -1 of hidden
GLUE test labels) skip the row.

Rows that share a source (MultiRC's candidate answers of one paragraph, MC-TACO's answers
to one question, ANLI's hypotheses about one premise) get the same ``group`` from the
``group`` template, so splits keep them together.
"""

from __future__ import annotations

from typing import Any, Literal

from w2sbench.core.example import Example
from w2sbench.tasks.conversions import converter
from w2sbench.tasks.conversions._fields import group_key, map_label, render


@converter("binary")
def binary(
    row,
    index,
    split,
    rng,
    *,
    text: str,
    label: str,
    label_map: dict[Any, Literal[0, 1]],
    text_pair: str | None = None,
    unlabeled: list = (),
    group: str | None = None,
    id: str | None = None,
):
    """One example per row: text (and text_pair) from templates, label through label_map."""
    y = map_label(row[label], label_map, unlabeled)
    if y is None:
        return
    if y not in (0, 1) or isinstance(y, bool):
        raise ValueError(f"label_map must map to 0 or 1, got {y!r} for {row[label]!r}")
    row_id = render(id, row) if id else str(index)
    yield Example(
        id=f"{split}/{row_id}",
        text=render(text, row),
        text_pair=render(text_pair, row) if text_pair else None,
        label=y,
        group=group_key(render(group, row)) if group else None,
    )
