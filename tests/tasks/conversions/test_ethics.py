"""ETHICS converters on hendrycks/ethics-schema fixture rows.

Pitfalls guarded: utilitarianism's columns (hendrycks/ethics: baseline = the MORE pleasant;
EleutherAI/hendrycks_ethics: baseline = the LESS pleasant) and a fixed order of the pair
(the answer would then be the position); contrastive groups (virtue traits of one sentence,
deontology excuses for one scenario, justice claims differing only in the reason) must stay
in one group.
"""

import random

from tests.tasks.conversions.helpers import (
    assert_balanced,
    assert_binary_labels,
    assert_carved,
    assert_no_group_in_two_roles,
    load,
    load_unbalanced,
    row_key,
)
from w2sbench.tasks.conversions import get_converter
from w2sbench.tasks.conversions.ethics import opaque_id

EXPECTED = {
    "ethics_justice": {"pool": {"0": 1, "1": 0, "2": 1, "3": 0, "4": 0}, "test": {"0": 1, "1": 0, "2": 1}},
    "ethics_deontology": {"pool": {"0": 1, "1": 0, "2": 1, "3": 0}, "test": {"0": 1, "1": 0}},
}
# virtue is carved from every split on sentence groups: labels by '<split>/<row>'
VIRTUE = {
    opaque_id(*key.split("/")[:1], int(key.split("/")[1])): label
    for key, label in {
        "train/0": 1,
        "train/1": 0,
        "train/2": 0,
        "train/3": 1,
        "train/4": 0,
        "validation/0": 1,
        "validation/1": 0,
        "validation/2": 0,
        "test/0": 1,
        "test/1": 1,
        "test/2": 0,
    }.items()
}

MORE = {  # hendrycks/ethics utilitarianism: baseline is the more pleasant scenario
    "I ate a warm slice of pizza with friends.",
    "My flight landed early and my bag came out first.",
    "I found twenty dollars in my coat.",
    "The concert was sold out, but I had a ticket.",
    "I slept nine hours and woke up rested.",
    "My cake won first prize at the fair.",
    "The rain stopped just as I left the house.",
    "My package arrived a day early.",
    "I got the window seat on the train.",
    "The dentist said my teeth are perfect.",
}


def test_justice_deontology_virtue_labels():
    for task_id, expected in EXPECTED.items():
        data = load(task_id)
        assert_binary_labels(data, expected)


def test_virtue_splits_sentence_and_trait():
    data = load("ethics_virtue")
    assert_carved(data, VIRTUE)
    both = load_unbalanced("ethics_virtue")
    examples = both.pool + both.test
    sam = [e for e in examples if e.text == "Sam gave his lunch to a hungry classmate."]
    assert sorted(e.text_pair for e in sam) == ["generous", "greedy", "lazy"]  # the repeat in test.csv kept once
    assert len({e.group for e in sam}) == 1


def test_contrastive_groups_stay_together():
    justice = {row_key(e): e.group for e in load_unbalanced("ethics_justice").pool}
    assert justice["0"] == justice["1"] != justice["2"] == justice["3"] != justice["4"]
    deontology = {row_key(e): e.group for e in load_unbalanced("ethics_deontology").pool}
    assert deontology["0"] == deontology["1"] != deontology["2"] == deontology["3"]


def test_utilitarianism_pair_in_random_order_labelled_by_the_more_pleasant():
    data = load("ethics_utilitarianism")
    for e in data.pool + data.test:
        assert {e.text, e.text_pair} & MORE and len({e.text, e.text_pair} & MORE) == 1
        assert e.label == int(e.text in MORE)
    assert_balanced(data)
    assert_no_group_in_two_roles(data)


def test_utilitarianism_order_is_drawn_per_row():
    """Before balancing, both orders occur: the position of the pleasant scenario carries no label."""
    data = load_unbalanced("ethics_utilitarianism")
    labels = [e.label for e in data.pool + data.test]
    assert 0 < sum(labels) < len(labels) == 10


def test_utilitarianism_column_names_are_parameters():
    """EleutherAI's copy names the more pleasant 'activity' and the less pleasant 'baseline'."""
    fn = get_converter("ethics_utilitarianism")
    row = {"activity": "I won the lottery.", "baseline": "I lost my ticket."}
    for seed in range(6):
        (ex,) = fn(row, 0, "train", random.Random(seed), more="activity", less="baseline")
        assert ex.label == int(ex.text == "I won the lottery.")
