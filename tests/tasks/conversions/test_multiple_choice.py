"""The generic multiple-choice converter on every multiple-choice task's fixture rows.

Each question must give one correct and one wrong (question, candidate) pair, labelled from
the hand-computed answers below, sharing text and group; right and wrong candidates come from
the same choice texts (the openbookqa letter-versus-text leak of EleutherAI/w2s's formatter);
string labels (HellaSwag "0".."3", Social IQa "1".."3") go through explicit maps.
"""

import random

import pytest

from tests.tasks.conversions.helpers import (
    assert_multiple_choice,
    assert_same_surface,
    load,
)
from w2sbench.core.example import Example
from w2sbench.tasks.conversions import get_converter

# role -> row id -> (correct candidate, allowed wrong candidates), computed by hand from the fixtures
EXPECTED = {
    "cosmos_qa": {
        "pool": {
            "c1": (
                "She walked through the rain without cover.",
                {"She had gone swimming before work.", "She spilled her coffee."},
            ),
            "c2": (
                "She will check the weather and take an umbrella.",
                {"She will quit her job.", "She will sell her car.", "She will move abroad."},
            ),
            "c3": ("It is popular in the neighbourhood.", {"It closed for good.", "It sells only cakes."}),
            # c4: the correct answer is "None of the above choices ." -> dropped
        },
        "test": {
            "v1": (
                "Her phone had no power left.",
                {"She had no friends.", "Her home had no phone line.", "She was asleep."},
            ),
            "v2": ("Proud of their effort.", {"Bored.", "Angry at the coach."}),
        },
    },
    "dream": {
        "pool": {
            "0": ("Finish her report.", {"Go to the cinema.", "Visit her parents."}),
            "1": ("To the cinema.", {"To the office.", "To the library."}),
            "2": ("At nine.", {"At eight.", "At ten."}),
        },
        "test": {
            "0": ("It is too salty.", {"It is cold.", "It is sweet."}),
            "1": ("On Sunday.", {"On Monday.", "On Saturday."}),
        },
    },
    "hellaswag": {
        "pool": {
            "10": (
                "whisks them with a fork.",
                {"throws the bowl at a wall.", "paints the eggs blue.", "sings to the ceiling."},
            ),
            "11": (
                "pours them into a hot pan.",
                {"drives the bowl to work.", "feeds it to a horse.", "buries the fork."},
            ),
            "12": (
                "rolls paint onto the wall.",
                {"eats the roller.", "plants it in the garden.", "mails it to a friend."},
            ),
        },
        "test": {
            "20": (
                "flies past the goalkeeper into the net.",
                {"turns into a bird.", "melts on the grass.", "speaks to the crowd."},
            ),
            "21": (
                "starts reading the first page.",
                {"swallows the book.", "throws it into the sea.", "builds a house with it."},
            ),
        },
    },
    "openbookqa": {
        "pool": {
            "7-1": (
                "a steel spoon in a cafeteria",
                {"a new pair of jeans", "a cotton candy", "a calvin klein cotton hat"},
            ),
            "7-2": ("an iron nail", {"a wooden spoon", "a glass jar", "a plastic cup"}),
            "7-3": ("sunlight", {"darkness", "sand", "noise"}),
        },
        "test": {
            "8-1": ("ice", {"rocks at room temperature", "clouds", "shadows"}),
            "8-2": ("trout", {"camel", "hawk", "lizard"}),
        },
    },
    "quail": {
        "pool": {
            "f001_1": ("Along the beach", {"In the city park", "not enough information", "On a treadmill"}),
            "f001_2": ("She goes to work", {"She moves inland", "She sells her dog", "not enough information"}),
            "f002_1": ("Two days", {"Two hours", "not enough information", "Two weeks"}),
        },
        "test": {
            "n010_1": ("On Friday", {"On Monday", "Last year", "not enough information"}),
            "n010_2": ("The mayor", {"A teacher", "not enough information", "The governor"}),
        },
    },
    "piqa": {
        "pool": {
            "0": ("store it in a sealed bag.", {"leave it in the sun."}),
            "1": ("run the lid under hot water.", {"put the jar in the freezer overnight."}),
            "2": ("stuff them with newspaper.", {"fill them with water."}),
        },
        "test": {
            "0": ("stir it in a wide bowl.", {"cover it with a blanket."}),
            "1": ("use clean tweezers.", {"use a hammer."}),
        },
    },
    "quartz": {
        "pool": {"q1": ("go down", {"go up"}), "q2": ("more", {"less"}), "q3": ("longer", {"shorter"})},
        "test": {"t1": ("smaller", {"greater"}), "t2": ("higher", {"lower"})},
    },
    "sciq": {
        "pool": {
            "0": ("carbon dioxide", {"oxygen", "nitrogen", "helium"}),
            "1": ("mitochondria", {"ribosome", "membrane", "nucleus"}),
            "2": ("100 degrees Celsius", {"0 degrees Celsius", "150 degrees Celsius", "50 degrees Celsius"}),
        },
        "test": {
            "0": ("gravity", {"friction", "tension", "magnetism"}),
            "1": ("mars", {"jupiter", "saturn", "venus"}),
        },
    },
    "social_iqa": {
        "pool": {
            "0": ("grateful to Jordan", {"angry at Jordan", "bored of the apartment"}),
            "1": ("clear the weekend", {"buy the apartment", "sell a car"}),
            "2": ("apologize to Riley", {"laugh at Riley", "spill more juice"}),
        },
        "test": {
            "0": ("proud", {"ashamed", "sleepy"}),
            "1": ("say sorry to Sam", {"forget it again", "hide from Sam"}),
        },
    },
}


@pytest.mark.parametrize("task_id", sorted(EXPECTED))
def test_fixture_converts_to_labelled_pairs(task_id):
    assert_multiple_choice(load(task_id), EXPECTED[task_id])


def test_questions_sharing_a_passage_share_a_group():
    """Cosmos c1/c2 share a context, QuAIL f001_* a context_id, DREAM 0/1 a dialogue, HellaSwag 10/11 a video."""
    for task_id, keys in [
        ("cosmos_qa", ["c1", "c2"]),
        ("quail", ["f001_1", "f001_2"]),
        ("dream", ["0", "1"]),
        ("hellaswag", ["10", "11"]),
        ("quartz", ["q1", "q2"]),
    ]:
        pool = load(task_id).pool
        groups = {e.group for e in pool if e.id.split("/")[1] in keys}
        others = {e.group for e in pool if e.id.split("/")[1] not in keys}
        assert len(groups) == 1 and not groups & others, task_id


def test_none_of_the_above_is_never_a_candidate():
    pool = load("cosmos_qa").pool + load("cosmos_qa").test
    assert not [e for e in pool if "None of the above" in e.text_pair]


def test_wrong_candidate_comes_from_the_row_rng():
    """Same row, same rng seed: same distractor; the choice is drawn, not fixed."""
    fn = get_converter("multiple_choice")
    row = {"q": "Pick the animal", "c": ["cat", "rock", "cloud", "spoon", "chair"], "a": 0}
    params = dict(text="{q}", choices="c", answer="a", label_map={0: 0, 1: 1, 2: 2, 3: 3, 4: 4})
    drawn = {list(fn(row, 0, "train", random.Random(seed), **params))[1].text_pair for seed in range(40)}
    assert drawn == {"rock", "cloud", "spoon", "chair"}
    again = list(fn(row, 0, "train", random.Random(7), **params))
    assert again == list(fn(row, 0, "train", random.Random(7), **params))


def test_string_labels_need_an_explicit_map():
    fn = get_converter("multiple_choice")
    row = {"ctx": "A man", "endings": ["a", "b", "c", "d"], "label": "2"}
    with pytest.raises(ValueError, match="not a position"):
        list(fn(row, 0, "train", random.Random(0), text="{ctx}", choices="endings", answer="label"))
    with pytest.raises(ValueError, match="not in the task's label_map"):
        list(
            fn(
                dict(row, label="7"),
                0,
                "train",
                random.Random(0),
                text="{ctx}",
                choices="endings",
                answer="label",
                label_map={"0": 0, "1": 1, "2": 2, "3": 3},
            )
        )


def test_hidden_labels_skip_the_row():
    fn = get_converter("multiple_choice")
    row = {"ctx": "A man", "endings": ["a", "b", "c", "d"], "label": ""}
    out = list(
        fn(
            row,
            0,
            "test",
            random.Random(0),
            text="{ctx}",
            choices="endings",
            answer="label",
            label_map={"0": 0, "1": 1, "2": 2, "3": 3},
            unlabeled=[""],
        )
    )
    assert out == []


def test_answer_key_must_name_a_choice():
    fn = get_converter("multiple_choice")
    row = {"q": "?", "choices": {"text": ["x", "y"], "label": ["A", "B"]}, "answerKey": "C"}
    with pytest.raises(ValueError, match="not one of the choice keys"):
        list(
            fn(
                row,
                0,
                "train",
                random.Random(0),
                text="{q}",
                choices="choices.text",
                answer="answerKey",
                answer_is="key",
                choice_keys="choices.label",
            )
        )


def test_surface_check_catches_the_openbookqa_letter_leak():
    """The check the fixtures pass fails on EleutherAI's openbookqa format: letter vs text."""
    leaky = [Example(id=f"{i}p", text="Q", text_pair=k, label=1) for i, k in enumerate("ABCD")]
    leaky += [Example(id=f"{i}n", text="Q", text_pair=t, label=0) for i, t in enumerate(["ice", "sand", "a cloud"])]
    with pytest.raises(AssertionError, match="bare choice letters"):
        assert_same_surface(leaky)
    prefixed = [Example(id=f"{i}p", text="Q", text_pair=f"Answer: {t}", label=1) for i, t in enumerate(["x", "y"])]
    prefixed += [Example(id=f"{i}n", text="Q", text_pair=t, label=0) for i, t in enumerate(["z", "w"])]
    with pytest.raises(AssertionError, match="share prefix"):
        assert_same_surface(prefixed)


def test_ids_name_candidates_by_text_never_by_position():
    """A method sees ids: SciQ's right answer is always choice 0, so '<row>/0' would be its label."""
    from w2sbench.tasks.conversions._fields import group_key

    data = load("sciq")
    for e in data.pool + data.test:
        assert e.id.rsplit("/", 1)[1] == group_key(e.text_pair)[:8]
