"""The generic binary converter on the natively binary tasks' fixture rows.

Labels go through explicit maps (ANLI 0/1/2 -> entailment or not, BoolQ true/false,
ClassLabel ints); rows sharing a source (MultiRC paragraph, MC-TACO question, ANLI premise,
WiC word) share a group so no split separates them; the loader balances to 50/50.
"""

import random

import pytest

from tests.tasks.conversions.helpers import (
    assert_binary_labels,
    assert_carved,
    load,
    row_key,
    split_row,
)
from w2sbench.tasks.conversions import get_converter

# role -> row id -> label, computed by hand from the fixture rows
EXPECTED = {
    "boolq": {"pool": {"0": 1, "1": 0, "2": 1, "3": 0, "4": 1}, "test": {"0": 1, "1": 0, "2": 1, "3": 0}},
    # ANLI: only upstream 0 (entailment) is positive; neutral (1) and contradiction (2) are not
    "anli_r2": {"pool": {"a1": 1, "a2": 0, "a3": 0, "a4": 1, "a5": 0}, "test": {"t1": 1, "t2": 0, "t3": 1, "t4": 0}},
    "glue_cola": {"pool": {"0": 1, "1": 0, "2": 1, "3": 0, "4": 1}, "test": {"0": 1, "1": 0, "2": 1}},
    "glue_sst2": {"pool": {"0": 1, "1": 0, "2": 1, "3": 0}, "test": {"0": 1, "1": 0, "2": 0}},
    # MC-TACO's pool is its upstream test split (ids 'test/<index>'), its test role validation
    "mc_taco": {"pool": {"0": 1, "1": 0, "2": 0, "3": 1, "4": 0}, "test": {"0": 1, "1": 0, "2": 1}},
    "paws": {"pool": {"1": 1, "2": 0, "3": 0, "4": 1, "5": 0}, "test": {"1": 0, "2": 1}},
    # match_candidates 1.25: "In May" (6 chars) is not kept beside "In August" (9), which pairs
    # with "In winter" (9); the bridge question has no wrong candidate to pair with
    "superglue_multirc": {
        "pool": {"0-0-0": 1, "0-0-1": 0, "0-1-2": 1, "0-1-4": 0},
        "test": {"0-0-0": 1, "0-0-1": 0},
    },
    "twitter_sentiment": {"pool": {"0": 1, "1": 0, "2": 1, "3": 0, "4": 0}, "test": {"0": 1, "1": 0}},
}


@pytest.mark.parametrize("task_id", sorted(EXPECTED))
def test_fixture_labels_balance_and_groups(task_id):
    data = load(task_id)
    assert_binary_labels(data, EXPECTED[task_id])


def test_rows_sharing_a_source_share_a_group():
    """MultiRC: one paragraph; MC-TACO: one (sentence, question); ANLI: one premise; WiC: one word."""
    for task_id, together in [
        ("superglue_multirc", {"0-0-0", "0-0-1", "0-1-2", "0-1-3", "0-1-4"}),
        ("mc_taco", {"0", "1", "2"}),
        ("anli_r2", {"a1", "a2", "a3"}),
    ]:
        data = load(task_id)
        inside = {e.group for e in data.pool if row_key(e) in together}
        outside = {e.group for e in data.pool if row_key(e) not in together}
        assert len(inside) == 1 and not inside & outside, task_id


def test_wic_is_carved_from_train_and_validation_on_words():
    """Grouping by word cannot coexist with WiC's official split: pool and test are carved from
    both splits, each word's rows on one side."""
    data = load("superglue_wic")
    assert_carved(data, {"train/0": 0, "train/1": 1, "train/2": 0, "train/3": 1, "validation/0": 1, "validation/1": 0})
    words = {e.text.split(":")[0]: e.group for e in data.pool + data.test}
    assert len(words) == 3 and len(set(words.values())) == 3


def test_pair_tasks_keep_both_sides():
    wic = load("superglue_wic")
    ex = next(e for e in wic.pool + wic.test if split_row(e) == "train/1")
    assert (ex.text, ex.text_pair) == ("bank: She deposited cash at the bank.", "bank: The bank closes at five.")
    ex = next(e for e in load("superglue_multirc").pool if row_key(e) == "0-1-2")
    assert ex.text.startswith("When did Sara pick the tomatoes?\n\nSara planted") and ex.text_pair == "In August"


def test_unmapped_label_fails_loudly():
    """Twitter's coding is unverified (Sentiment140 uses 0/4): an unknown value must not become a label."""
    fn = get_converter("binary")
    with pytest.raises(ValueError, match="not in the task's label_map"):
        list(
            fn(
                {"text": "hi", "label": 4},
                0,
                "train",
                random.Random(0),
                text="{text}",
                label="label",
                label_map={0: 0, 1: 1},
            )
        )


def test_hidden_glue_labels_skip_the_row():
    fn = get_converter("binary")
    out = list(
        fn(
            {"sentence": "x", "label": -1, "idx": 3},
            3,
            "test",
            random.Random(0),
            text="{sentence}",
            label="label",
            label_map={0: 0, 1: 1},
            unlabeled=[-1],
        )
    )
    assert out == []


def test_bool_labels_do_not_match_int_keys():
    """BoolQ's answer is a bool: the map must say true/false, so an int-keyed map cannot misfire."""
    fn = get_converter("binary")
    with pytest.raises(ValueError, match="label_map"):
        list(
            fn(
                {"q": "x", "answer": True},
                0,
                "train",
                random.Random(0),
                text="{q}",
                label="answer",
                label_map={0: 0, 1: 1},
            )
        )
