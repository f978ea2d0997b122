"""Pretraining is deterministic: the same config writes the same bytes (on a tiny config)."""

import random
import shutil

import numpy as np
import pytest

from w2sbench.core.errors import W2SError
from w2sbench.models.board import positions
from w2sbench.models.board.positions import DataConfig, moves_of, samples, walk
from w2sbench.models.board.pretrain import RungConfig, batches, train, training_set
from w2sbench.models.board.weights import save_weights

TINY = RungConfig(hidden=(8,), samples=64, steps=12, batch_size=16)


def tiny_data() -> dict[str, np.ndarray]:
    """64 real random-walk moves with made-up values (no Stockfish needed)."""
    pairs = list(samples(DataConfig(walks=40)))[:64]
    return {
        "fen": np.array([b.fen() for b, _ in pairs]),
        "move": np.array([m.uci() for _, m in pairs]),
        "pawns": np.linspace(-10, 10, len(pairs)).astype(np.float32),
    }


@pytest.fixture(scope="module")
def data():
    return training_set(tiny_data(), TINY.samples)


def test_same_seed_same_weights_bit_for_bit(data, tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    first = save_weights(train(TINY, *data))
    second = save_weights(train(TINY, *data))
    assert first == second
    assert first[0].read_bytes() == second[0].read_bytes()


def test_another_seed_other_weights(data, tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    assert (
        save_weights(train(TINY, *data))[1] != save_weights(train(RungConfig(**{**TINY.__dict__, "seed": 1}), *data))[1]
    )


def test_training_lowers_the_loss(data):
    import torch

    x, y = data
    net = train(RungConfig(hidden=(32,), samples=64, steps=200, batch_size=16, lr=3e-3), x, y)
    untrained = train(RungConfig(hidden=(32,), samples=64, steps=0, batch_size=16), x, y)
    with torch.no_grad():
        assert ((net(x.float()) - y) ** 2).mean() < 0.5 * ((untrained(x.float()) - y) ** 2).mean()


def test_batches_count_steps_across_epochs():
    import torch

    got = list(
        batches(40, RungConfig(hidden=(4,), samples=40, steps=5, batch_size=16), torch.Generator().manual_seed(0))
    )
    assert len(got) == 5 and all(len(b) == 16 for b in got)  # 2 full batches an epoch, 3 epochs begun


def test_asking_for_more_samples_than_the_data_has():
    with pytest.raises(W2SError, match="asks for 65 pretraining samples"):
        training_set(tiny_data(), 65)


def test_walks_are_seeded():
    first = walk(random.Random("1:0"))
    assert first.fen() == walk(random.Random("1:0")).fen()
    assert {b.fen() for b, _ in samples(DataConfig(seed=1, walks=1))} == {first.fen()}  # the walk's moves


def test_moves_take_up_to_two_captures_and_two_quiet_moves():
    import chess

    board = chess.Board("rnb1kbnr/ppp1pppp/8/3q4/8/2N5/PPPP1PPP/R1BQKBNR w KQkq - 0 3")
    moves = moves_of(board, random.Random(0))
    assert [board.is_capture(m) for m in moves] == [True, False, False]  # Nxd5 is the only capture


needs_stockfish = pytest.mark.skipif(
    not (shutil.which("stockfish") or shutil.which("/usr/games/stockfish")), reason="needs Debian's stockfish"
)


@needs_stockfish
def test_labels_are_cached_by_chunk_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(positions, "CHUNK", 2)
    small = positions.labelled(DataConfig(walks=2, nodes=16))
    assert len(list((tmp_path / "board" / "data").glob("*.npz"))) == 1
    assert np.all(np.abs(small["pawns"]) <= 10) and small["pawns"].dtype == np.float32

    def no_engine(*args):
        raise AssertionError("a cached chunk was labelled again")

    monkeypatch.setattr(positions, "value_after", no_engine)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(small.values(), positions.labelled(DataConfig(walks=2, nodes=16)).values(), strict=False)
    )
    monkeypatch.undo()
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(positions, "CHUNK", 2)
    larger = positions.labelled(DataConfig(walks=4, nodes=16))
    assert np.array_equal(larger["fen"][: len(small["fen"])], small["fen"])  # the smaller set is a prefix
    with pytest.raises(W2SError, match="multiple of 2"):
        positions.labelled(DataConfig(walks=3, nodes=16))


@needs_stockfish
def test_a_mating_move_is_worth_ten_pawns():
    import chess
    import chess.engine

    board = chess.Board("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1")
    with chess.engine.SimpleEngine.popen_uci(positions.engine_path()) as engine:
        assert positions.value_after(engine, board, chess.Move.from_uci("a1a8"), 16) == 10.0
        assert positions.value_after(engine, board, chess.Move.from_uci("a1a2"), 16) < 10.0


def test_rebuild_compares_with_the_pin(tmp_path, monkeypatch, capsys):
    from w2sbench.models.board import pretrain as module
    from w2sbench.models.board.network import BoardNet

    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    monkeypatch.setattr(module, "pretrain", lambda config: BoardNet(config.hidden))  # not the pinned training
    assert module.main(["--rung", "board-s"]) == 1
    assert "DIFFERS from the pin" in capsys.readouterr().out
    assert module.main(["--rung", "no-such-rung"]) == W2SError.exit_code
    assert "unknown rung of ladder chess-board" in capsys.readouterr().err


def test_pretraining_needs_the_puzzles_it_must_skip(tmp_path, monkeypatch):
    from w2sbench.core.errors import DataError

    monkeypatch.setenv("W2SBENCH_TASKS", str(tmp_path))
    positions.puzzle_positions.cache_clear()
    try:
        with pytest.raises(DataError, match="chess_puzzles/train.parquet: board pretraining skips"):
            positions.puzzle_positions()
    finally:
        positions.puzzle_positions.cache_clear()


def test_the_shipped_puzzles_are_skipped():
    skipped = positions.puzzle_positions()
    assert len(skipped) >= 1000
    assert "rnbq1b2/1ppp1kp1/p1r5/1P5p/2QBnp1P/2PPPP2/P5P1/RN2KBNR b" in skipped  # the first training puzzle


def test_the_puzzles_positions_are_dropped_when_the_labels_are_read():
    """Chunks hold every walk's moves; training never sees a position of the shipped puzzles."""
    data = tiny_data()
    first = " ".join(data["fen"][0].split()[:2])
    kept = positions.skip_positions(data, frozenset({first}))
    assert first not in {" ".join(f.split()[:2]) for f in kept["fen"]}
    assert 0 < len(kept["fen"]) < len(data["fen"]) and len(kept["pawns"]) == len(kept["fen"])
    rest = [i for i, f in enumerate(data["fen"]) if " ".join(f.split()[:2]) != first]
    assert list(kept["move"]) == list(data["move"][rest])  # order kept
