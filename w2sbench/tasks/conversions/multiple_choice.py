"""Multiple-choice questions as binary (question, candidate) pairs: one generic converter.

Each upstream question becomes two examples with the same ``text`` (context and question):
one whose ``text_pair`` is the correct candidate (label 1) and one whose ``text_pair`` is a
wrong candidate drawn with the row's rng (label 0). So every task is balanced by
construction, and both examples share the question's ``group`` and can never sit on two
sides of a split.

Right and wrong candidates are always taken from the same list of choice texts, so they
have the same surface form. (EleutherAI's OpenBookQA formatter showed the answer *letter*
for right answers and the distractor *text* for wrong ones: the label leaked through the
format and every model scored AUC 1.0.)

How the correct choice is named upstream (``answer_is``):

- ``index``: the answer column holds its position, possibly as a string ("0".."3" in
  HellaSwag, "1".."3" in Social IQa): ``label_map`` maps each upstream value to a position
  explicitly; values in ``unlabeled`` ("" or -1 in hidden test splits) skip the row;
- ``key``: the answer column holds a key ("A".."D") found in the list at ``choice_keys``;
- ``text``: the answer column holds the text of the correct choice (DREAM);
- ``first``: the first listed choice column is the correct one (SciQ's correct_answer).
"""

from __future__ import annotations

from typing import Any, Literal

from w2sbench.core.example import Example
from w2sbench.tasks.conversions import converter
from w2sbench.tasks.conversions._fields import (
    get_path,
    group_key,
    map_label,
    normalise,
    render,
)


def _choices(row, choices) -> list[str]:
    if isinstance(choices, str):
        values = get_path(row, choices)
    else:
        values = [row[c] for c in choices]
    return ["" if v is None else str(v).strip() for v in values]


def _correct_index(row, texts, answer_is, answer, label_map, choice_keys, unlabeled):
    if answer_is == "first":
        return 0
    raw = get_path(row, answer)
    if answer_is == "index":
        position = map_label(raw, label_map, unlabeled)
        if position is None:
            return None
        if not isinstance(position, int) or isinstance(position, bool):
            raise ValueError(f"answer {raw!r} is not a position; give a label_map for string labels")
        if not 0 <= position < len(texts):
            raise ValueError(f"answer position {position} is outside the {len(texts)} choices")
        return position
    if answer_is == "key":
        if any(raw == u for u in unlabeled):
            return None
        keys = [str(k).strip() for k in get_path(row, choice_keys)]
        if str(raw).strip() not in keys:
            raise ValueError(f"answer key {raw!r} is not one of the choice keys {keys}")
        return keys.index(str(raw).strip())
    if answer_is == "text":
        wanted = normalise(raw)
        matches = [i for i, t in enumerate(texts) if normalise(t) == wanted]
        if not matches:
            raise ValueError(f"answer text {raw!r} is not one of the choices")
        return matches[0]
    raise ValueError(f"answer_is must be index, key, text or first, not {answer_is!r}")


@converter("multiple_choice")
def multiple_choice(
    row,
    index,
    split,
    rng,
    *,
    text: str,
    choices: str | list[str],
    answer: str | None = None,
    answer_is: Literal["index", "key", "text", "first"] = "index",
    label_map: dict[Any, int] | None = None,
    choice_keys: str | None = None,
    unlabeled: list = (),
    group: str | None = None,
    id: str | None = None,
    exclude_choices_containing: str | None = None,
):
    """One correct and one rng-chosen wrong candidate per question.

    text: template for the context and question; choices: a column (or ``a.b`` path)
    holding the list of choice texts, or a list of columns, one per choice; group:
    template for what questions share (a passage), default the question itself; id:
    template for the row's own id, default its index in the split;
    exclude_choices_containing: drop choices containing this string, and the whole
    question when the correct answer does (CosmosQA's "None of the above choices .",
    which cannot be judged without the other choices).
    """
    texts = _choices(row, choices)
    correct = _correct_index(row, texts, answer_is, answer, label_map, choice_keys, unlabeled)
    if correct is None or not texts[correct]:
        return
    if exclude_choices_containing and exclude_choices_containing in texts[correct]:
        return
    wrong = [
        i
        for i, t in enumerate(texts)
        if i != correct
        and t
        and normalise(t) != normalise(texts[correct])
        and not (exclude_choices_containing and exclude_choices_containing in t)
    ]
    if not wrong:
        return
    distractor = rng.choice(wrong)
    context = render(text, row)
    row_id = render(id, row) if id else str(index)
    shared_by = render(group, row) if group else ""
    shared = group_key(shared_by) if shared_by else f"{split}/{row_id}"  # an empty key would merge every such row
    for k, label in ((correct, 1), (distractor, 0)):
        # the id names the candidate by a hash of its text, never its position: a method sees ids,
        # and SciQ's correct answer is always choice 0 (its ids ended in /0 exactly when label 1)
        yield Example(
            id=f"{split}/{row_id}/{group_key(texts[k])[:8]}",
            text=context,
            text_pair=texts[k],
            label=label,
            group=shared,
        )
