"""What settings are chosen on: unreported seeds only, and the protocol's reference heads."""

import pytest

from w2sbench.core.errors import W2SError
from w2sbench.models.ladder import get_ladder
from w2sbench.running.held_out import SELECTION_SEEDS, reference_heads, reported_seeds, selection_seeds
from w2sbench.running.tracks import all_tracks


def test_selection_seeds_parse_ranges_and_lists_and_default():
    assert selection_seeds("100-104") == [100, 101, 102, 103, 104]
    assert selection_seeds("7,9") == [7, 9]
    assert selection_seeds(None) == list(SELECTION_SEEDS)
    assert selection_seeds(None, default=[200]) == [200]


def test_every_seed_a_track_reports_is_refused():
    assert reported_seeds() == {s for t in all_tracks().values() for s in t.seeds} >= {0, 1, 2}
    assert not reported_seeds() & set(SELECTION_SEEDS)
    for seed in reported_seeds():
        with pytest.raises(W2SError, match=f"{seed} are seeds a track reports"):
            selection_seeds(f"{seed},100")


def test_malformed_seeds_are_a_user_error():
    with pytest.raises(W2SError, match="--seeds 'a-b'"):
        selection_seeds("a-b")


def test_reference_heads_are_each_weak_rung_once_and_each_strong_rung_once():
    heads = [(h.rung.name, h.role) for h in reference_heads(get_ladder("embedded"))]
    assert heads == [("minilm-l3", "weak"), ("minilm-l6", "weak"), ("minilm-l6", "ceiling"), ("mpnet-base", "ceiling")]
