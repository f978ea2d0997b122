"""The board rung kind: declared in a ladder, loaded by encoder_for, embedding the chess task's text."""

import numpy as np
import pytest
import torch

from w2sbench.core.errors import CacheError
from w2sbench.models.board import pretrain
from w2sbench.models.board.encoder import BoardEncoder
from w2sbench.models.board.network import BoardNet
from w2sbench.models.board.pretrain import RungConfig
from w2sbench.models.board.weights import save_weights
from w2sbench.models.encoder import encoder_for
from w2sbench.models.ladder import Rung, get_ladder

TEXTS = [
    "White to move. FEN: rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1 Candidate move: e4",
    "White to move. FEN: rnb1kbnr/ppp1pppp/8/3q4/8/2N5/PPPP1PPP/R1BQKBNR w KQkq - 0 3 Candidate move: Nxd5",
]


def test_the_chess_board_ladder_pins_every_rung():
    ladder = get_ladder("chess-board")
    assert [r.kind for r in ladder.rungs] == ["board"] * len(ladder.rungs) and len(ladder.rungs) >= 3
    assert all(r.weights and len(r.weights) == 64 for r in ladder.rungs)
    assert all(r.model in pretrain.CONFIGS for r in ladder.rungs)
    assert isinstance(encoder_for(ladder.rungs[0]), BoardEncoder)
    assert len({r.key() for r in ladder.rungs}) == len(ladder.rungs)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "board"}, "needs weights"),
        ({"kind": "encoder", "weights": "a" * 64}, "needs weights"),
        ({"kind": "board", "weights": "not-a-sha"}, "should match pattern"),
    ],
)
def test_board_rungs_are_validated(fields, message):
    with pytest.raises(ValueError, match=message):
        Rung(name="b", model="board-mlp-s v1", **fields)


def test_other_kinds_keep_their_cache_keys():
    """weights is left out of a rung's key when absent, so existing feature caches stay valid."""
    rung = get_ladder("chess-engine").rungs[0]
    assert "weights" not in rung.model_dump(exclude_none=True)
    assert rung.key() == Rung.model_validate(rung.model_dump(exclude={"weights"})).key()


@pytest.fixture
def tiny_rung(tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    monkeypatch.setitem(pretrain.CONFIGS, "tiny v0", RungConfig(hidden=(8, 4), samples=1, steps=1))
    torch.manual_seed(0)
    path, digest = save_weights(BoardNet((8, 4)))
    return Rung(name="tiny", model="tiny v0", kind="board", weights=digest), path


def test_embeds_the_penultimate_layer(tiny_rung):
    rung, _ = tiny_rung
    encoder = encoder_for(rung)
    features = encoder.embed(TEXTS)
    assert features.shape == (2, 4) and features.dtype == np.float32
    assert encoder.parameter_count == 26 * 64 * 8 + 8 + 8 * 4 + 4 + 4 + 1
    assert np.array_equal(features[1], encoder.embed(TEXTS[1:])[0])


def test_a_corrupted_weight_file_stops_the_rung(tiny_rung):
    rung, path = tiny_rung
    path.write_bytes(b"garbage")
    with pytest.raises(CacheError, match="--rung tiny"):
        encoder_for(rung).embed(TEXTS)


def test_an_unknown_model_names_the_configs():
    with pytest.raises(Exception, match="no pretraining config"):
        BoardEncoder(Rung(name="b", model="nope", kind="board", weights="a" * 64))


def test_a_board_rungs_features_do_not_depend_on_their_batch(tmp_path):
    """The shipped board networks, over the shipped puzzles: any order, any batch, the same bits
    (a board rung's key carries no numeric setting because it needs none)."""
    from w2sbench.protocol.workspace import Workspace
    from w2sbench.running.jobs import task_texts
    from w2sbench.tasks.task import get_task

    texts = task_texts(Workspace(tmp_path, tmp_path), get_task("chess_puzzles"))[:700]
    encoder = encoder_for(get_ladder("chess-board").rungs[-1])
    alone = encoder.embed(texts)
    assert np.array_equal(encoder.embed(texts[::-1])[::-1], alone)
    assert np.array_equal(np.concatenate([encoder.embed(texts[i : i + 7]) for i in range(0, 700, 7)]), alone)
