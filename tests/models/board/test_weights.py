"""Weights are stored by content; a missing or corrupted file is an error naming it and the rebuild."""

import hashlib

import pytest
import torch

from w2sbench.core.errors import CacheError
from w2sbench.models.board.network import BoardNet
from w2sbench.models.board.weights import load_weights, save_weights


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    return save_weights(BoardNet((4,)))


def test_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    torch.manual_seed(0)
    net = BoardNet((4,))
    path, digest = save_weights(net)
    assert path.name == f"{digest}.safetensors" and hashlib.sha256(path.read_bytes()).hexdigest() == digest
    loaded = load_weights("board-s", digest, (4,))
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), loaded.state_dict().values(), strict=False))


def test_missing_file_names_it_and_the_rebuild(tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    with pytest.raises(
        CacheError,
        match=r"weight file .*/board/weights/0{64}\.safetensors is missing; "
        r"rebuild it with: python -m w2sbench.models.board.pretrain --rung board-s",
    ):
        load_weights("board-s", "0" * 64, (4,))


def test_corrupted_file_is_never_loaded(saved):
    path, digest = saved
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CacheError, match=rf"{path.name} is corrupted .*--rung board-s"):
        load_weights("board-s", digest, (4,))


def test_weights_of_other_widths(saved):
    with pytest.raises(CacheError, match=r"does not fit widths \(5,\)"):
        load_weights("board-s", saved[1], (5,))


def test_every_pinned_rung_ships_its_weights(tmp_path, monkeypatch):
    """The chess-board ladder runs from a fresh install: each pinned file is in the package, intact."""
    from w2sbench.models.board.encoder import BoardEncoder  # noqa: F401  (the rung kind's encoder)
    from w2sbench.models.board.weights import find_weights
    from w2sbench.models.ladder import get_ladder

    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))  # an empty cache: nothing rebuilt
    for rung in get_ladder("chess-board").rungs:
        path = find_weights(rung.weights)
        assert path.exists() and "shipped" in path.parts, rung.name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == rung.weights
