"""The ETHICS subsets (Hendrycks et al. 2021) from ``hendrycks/ethics``.

Column meanings in hendrycks/ethics (its dataset card):

- justice: ``label`` (1 = reasonable), ``scenario``;
- deontology: ``label`` (1 = the excuse is reasonable), ``scenario`` (a request or role),
  ``excuse``;
- virtue: ``label`` (1 = the trait fits), ``scenario`` = "sentence [SEP] trait" in one
  string (a separate ``trait`` column, as in EleutherAI/hendrycks_ethics, is used if given);
- utilitarianism: ``baseline`` is the MORE pleasant scenario, ``less_pleasant`` the less
  pleasant one. (EleutherAI/hendrycks_ethics names them ``activity`` and ``baseline``, with
  ``baseline`` the LESS pleasant: the same word means opposite things, hence the column
  names are parameters and the default is hendrycks/ethics'.)

The data comes in contrastive groups: several deontology excuses for one scenario, five
candidate traits for one virtue sentence, justice claims that share their first clause and
differ in the reason. Each converter puts a group in one ``group`` so splits keep it whole.
"""

from __future__ import annotations

import re

from w2sbench.core.example import Example
from w2sbench.tasks.conversions import converter
from w2sbench.tasks.conversions._fields import group_key, map_label

LABELS = {0: 0, 1: 1}
_BECAUSE = re.compile(r"\bbecause\b", re.IGNORECASE)


def _label(row) -> int:
    return map_label(row["label"], LABELS)


@converter("ethics_justice")
def ethics_justice(row, index, split, rng):
    """The scenario; group = its claim before "because" (the variants differ in the reason)."""
    scenario = str(row["scenario"]).strip()
    claim = _BECAUSE.split(scenario, maxsplit=1)[0]
    yield Example(id=f"{split}/{index}", text=scenario, label=_label(row), group=group_key(claim))


@converter("ethics_deontology")
def ethics_deontology(row, index, split, rng):
    """(scenario, excuse) as a pair; group = the scenario its excuses answer."""
    scenario = str(row["scenario"]).strip()
    yield Example(
        id=f"{split}/{index}",
        text=scenario,
        text_pair=str(row["excuse"]).strip(),
        label=_label(row),
        group=group_key(scenario),
    )


@converter("ethics_virtue")
def ethics_virtue(row, index, split, rng):
    """(sentence, trait) as a pair; group = the sentence its candidate traits describe."""
    if row.get("trait") is not None:
        sentence, trait = str(row["scenario"]), str(row["trait"])
    else:
        parts = str(row["scenario"]).split("[SEP]")
        if len(parts) != 2:
            raise ValueError(f"virtue scenario has no single '[SEP]' between sentence and trait: {row['scenario']!r}")
        sentence, trait = parts
    sentence, trait = sentence.strip(), trait.strip()
    yield Example(
        id=opaque_id(split, index), text=sentence, text_pair=trait, label=_label(row), group=group_key(sentence)
    )


def opaque_id(split: str, index: int) -> str:
    """An id that names the row without its number: Virtue's files list each sentence's candidate
    traits in a fixed pattern, so the row number (a method sees ids) told the label."""
    return f"{split}/{group_key(f'{split}/{index}')[:12]}"


@converter("ethics_utilitarianism")
def ethics_utilitarianism(row, index, split, rng, *, more: str = "baseline", less: str = "less_pleasant"):
    """The two scenarios in random order (rng); label 1 when the first (text) is the more pleasant."""
    pleasant, unpleasant = str(row[more]).strip(), str(row[less]).strip()
    if not pleasant or not unpleasant or pleasant == unpleasant:
        return
    first_is_more = rng.random() < 0.5
    first, second = (pleasant, unpleasant) if first_is_more else (unpleasant, pleasant)
    yield Example(
        id=f"{split}/{index}",
        text=first,
        text_pair=second,
        label=int(first_is_more),
        group=group_key(pleasant),
    )
