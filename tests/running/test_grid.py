"""The grid: names from the command line become experiments, and every bad name is a user error."""

import pytest

from w2sbench.core.errors import W2SError
from w2sbench.running.grid import build_grid


def test_a_grid_is_the_product_of_tasks_pairs_methods_and_seeds():
    g = build_grid(
        "offline",
        ["wordnet_gloss", "wordnet_wic"],
        "embedded",
        ["minilm-l3:mpnet-base"],
        ["naive", "bootstrap"],
        [0, 1, 2],
    )
    exps = g.experiments()
    assert len(exps) == 2 * 1 * 2 * 3
    assert {(e.task.id, e.weak.name, e.strong.name, e.method.name, e.seed) for e in exps} == {
        (t, "minilm-l3", "mpnet-base", m, s)
        for t in ("wordnet_gloss", "wordnet_wic")
        for m in ("naive", "bootstrap")
        for s in (0, 1, 2)
    }
    assert [r.name for r in g.rungs()] == ["minilm-l3", "mpnet-base"]  # in ladder order


def test_without_pairs_every_pair_of_the_ladder_and_the_framings_default_method():
    g = build_grid("offline", ["wordnet_gloss"], "embedded", None, None, [0])
    assert [(w.name, s.name) for w, s in g.pairs] == [
        ("minilm-l3", "minilm-l6"),
        ("minilm-l3", "mpnet-base"),
        ("minilm-l6", "mpnet-base"),
    ]
    assert [m.name for m in g.methods] == ["naive"]


def test_an_ensemble_supervisor_brings_its_members_rungs():
    g = build_grid("offline", ["wordnet_gloss"], "embedded", ["minilm-l3+minilm-l6:mpnet-base"], None, [0])
    assert [r.name for r in g.rungs()] == ["minilm-l3", "minilm-l6", "mpnet-base"]


@pytest.mark.parametrize(
    "pairs, seeds, match",
    [
        (["minilm-l3-mpnet-base"], [0], "is not weak:strong"),
        (["mpnet-base:minilm-l3"], [0], "mpnet-base is not below minilm-l3 on ladder embedded"),
        (["minilm-l3:no-such-rung"], [0], "no-such-rung"),
        (None, [], "give at least one seed"),
    ],
)
def test_bad_names_are_user_errors_naming_the_option(pairs, seeds, match):
    with pytest.raises(W2SError, match=match):
        build_grid("offline", ["wordnet_gloss"], "embedded", pairs, None, seeds)
