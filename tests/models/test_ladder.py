"""Ladders are data: they validate, pairs go weak to strong, names are checked."""

import pytest

from w2sbench.core.errors import W2SError
from w2sbench.models.ladder import Rung, all_ladders, get_ladder, members_of


def test_every_shipped_ladder_validates_and_is_pinned_or_packaged():
    ladders = all_ladders()
    assert {"embedded", "gpt2", "chess-engine"} <= set(ladders)
    for ladder in ladders.values():
        for rung in ladder.rungs:
            if rung.kind == "engine":  # no weights to pin: a search, defined by its budget
                assert rung.unpinned_reason and (rung.nodes or rung.plies), f"{ladder.name}/{rung.name}"
                continue
            assert rung.packaged or rung.revision or rung.weights, (
                f"{ladder.name}/{rung.name} is neither packaged nor pinned"
            )


def test_embedded_ladder_has_mpnet_on_top_and_three_pairs():
    ladder = get_ladder("embedded")
    assert [r.name for r in ladder.rungs][-1] == "mpnet-base" and len(ladder.rungs) >= 3
    pairs = [(w.name, s.name) for w, s in ladder.pairs()]
    assert ("minilm-l3", "mpnet-base") in pairs and ("mpnet-base", "minilm-l3") not in pairs
    assert [r.name for r in ladder.between(ladder.rungs[0], ladder.rungs[2])] == ["minilm-l6"]


def test_unknown_ladder_and_rung_suggest_close_names():
    with pytest.raises(W2SError, match="Did you mean: embedded"):
        get_ladder("embeded")
    with pytest.raises(W2SError, match="Did you mean: minilm-l6"):
        get_ladder("embedded").rung("minilm-l7")


def test_hub_rung_needs_a_real_revision():
    with pytest.raises(ValueError, match="40-hex"):
        Rung(name="x", model="a/b", revision="main")
    with pytest.raises(ValueError, match="unpinned_reason"):
        Rung(name="x", model="a/b")


def test_an_ensemble_of_weak_rungs_is_named_ordered_and_placed_at_its_strongest_member():
    ladder = get_ladder("embedded")
    ens = ladder.supervisor("minilm-l6+minilm-l3")
    assert ens.name == "minilm-l3+minilm-l6"  # ladder order, whatever order it was given in
    assert [m.name for m in members_of(ens)] == ["minilm-l3", "minilm-l6"]
    assert ladder.position(ens) == ladder.position(ladder.rung("minilm-l6")) == 1
    assert ladder.between(ens, ladder.rung("mpnet-base")) == []
    assert ens.key() != ladder.supervisor("minilm-l3+mpnet-base").key()
    assert members_of(ladder.rung("minilm-l3")) == (ladder.rung("minilm-l3"),)
    with pytest.raises(W2SError, match="once"):
        ladder.supervisor("minilm-l3+minilm-l3")
    with pytest.raises(W2SError, match="Did you mean: minilm-l6"):
        ladder.supervisor("minilm-l3+minilm-l7")
