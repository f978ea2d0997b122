"""Prompt validation and the label-free Prompts view."""

import dataclasses

import pytest

from w2sbench.core.prompt import Prompt, Prompts, answers_of


def test_a_prompt_needs_distinct_choices_and_an_answer_among_them():
    with pytest.raises(ValueError, match="two choices"):
        Prompt("p", "x", ("a",), 0)
    with pytest.raises(ValueError, match="repeat"):
        Prompt("p", "x", ("a", "a"), 0)
    with pytest.raises(ValueError, match="not an index"):
        Prompt("p", "x", ("a", "b"), 2)


def test_prompts_carry_no_answer():
    examples = [Prompt("p1", "x", ("a", "b"), 1, group="g"), Prompt("p2", "y", ("c", "d", "e"), 0)]
    view = Prompts.of(examples)
    assert {f.name for f in dataclasses.fields(view)} == {"ids", "prompts", "choices"}
    assert view.choices == (("a", "b"), ("c", "d", "e")) and len(view) == 2
    assert view.subset([1]) == Prompts(("p2",), ("y",), (("c", "d", "e"),))
    assert answers_of(examples).tolist() == [1, 0]
