"""Preference pairs from Anthropic/hh-rlhf-schema rows.

Pitfall guarded (openai/weak-to-strong issue #34): showing one response
and asking whether it was preferred leaves every model at chance. Both responses must be
shown, in random order, with the label naming the preferred one; equal responses carry no
preference and are dropped.
"""

import random

from tests.tasks.conversions.helpers import (
    assert_balanced,
    assert_no_group_in_two_roles,
    load,
    load_unbalanced,
    row_key,
)
from w2sbench.tasks.conversions import get_converter
from w2sbench.tasks.conversions.preference import split_transcript

CHOSEN = {  # the chosen final response of each fixture row, by hand
    "pool": {
        "0": "Put it in boiling water for about nine minutes, then cool it.",
        "1": "Paris is the capital of France.",
        "2": "Of course! Try: Happy birthday, wishing you a wonderful year.",
        "3": "I can't help with entering someone else's home without permission, but a locksmith can help you "
        "with your own locks.",
        "5": "2 + 2 = 4.",
        "6": "Try 'Cosmos' by Carl Sagan, a classic introduction.",
    },
    "test": {
        "0": "Plants use sunlight, water and carbon dioxide to make sugar by photosynthesis.",
        "1": "'Hello' in Spanish is 'hola'.",
        "2": "No, mixing them releases toxic chloramine gas.",
        "3": "Spiders have eight legs.",
    },
}


def test_pairs_are_labelled_by_the_chosen_response():
    data = load("hh_rlhf_pair")
    for role, examples in {"pool": data.pool, "test": data.test}.items():
        for e in examples:
            chosen = CHOSEN[role][row_key(e)]
            assert e.text.endswith(chosen) != e.text_pair.endswith(chosen)
            assert e.label == int(e.text.endswith(chosen))
    assert_balanced(data)
    assert_no_group_in_two_roles(data)


def test_both_orders_occur_and_equal_responses_are_dropped():
    data = load_unbalanced("hh_rlhf_pair")
    keys = {row_key(e) for e in data.pool}
    assert keys == set(CHOSEN["pool"])  # row 4 has chosen == rejected
    labels = [e.label for e in data.pool + data.test]
    assert 0 < sum(labels) < len(labels)


def test_both_sides_have_the_same_form():
    for e in load_unbalanced("hh_rlhf_pair").pool:
        for side in (e.text, e.text_pair):
            assert side.startswith("Human: ") and "\n\nAssistant: " in side
        assert e.text.split("\n\nAssistant: ")[0] == e.text_pair.split("\n\nAssistant: ")[0]


def test_split_transcript_keeps_the_last_turns():
    transcript = "\n\nHuman: Hi there.\n\nAssistant: Sure.\n\nHuman: Write a card?\n\nAssistant: Happy birthday!"
    prompt, human, response = split_transcript(transcript)
    assert (human, response) == ("Write a card?", "Happy birthday!")
    assert prompt.startswith("Human: Hi there.") and prompt.endswith("Human: Write a card?")


def test_order_comes_from_the_row_rng():
    fn = get_converter("preference_pair")
    row = {"chosen": "\n\nHuman: Q?\n\nAssistant: good", "rejected": "\n\nHuman: Q?\n\nAssistant: bad"}
    labels = {next(iter(fn(row, 0, "train", random.Random(seed)))).label for seed in range(20)}
    assert labels == {0, 1}
