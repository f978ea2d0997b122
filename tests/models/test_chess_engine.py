"""The engine rung: Stockfish at a node budget, read from the chess task's inline text."""

import random
import shutil

import chess
import chess.engine
import numpy as np
import pytest

from w2sbench.core.errors import W2SError
from w2sbench.models.chess_engine import (
    EngineEncoder,
    engine_path,
    material_features,
    parse,
    stockfish_features,
)
from w2sbench.models.ladder import Rung, get_ladder
from w2sbench.tasks.conversions import get_converter

pytestmark = pytest.mark.skipif(
    not (shutil.which("stockfish") or shutil.which("/usr/games/stockfish")),
    reason="needs Debian's stockfish (installed by .ci/run)",
)

# Black's queen on d5 is attacked by the knight on c3 and defended by nothing: Nxd5 wins it.
HANGING_QUEEN = "rnb1kbnr/ppp1pppp/8/3q4/8/2N5/PPPP1PPP/R1BQKBNR w KQkq - 0 3"


def inline_examples(fen: str, best_uci: str):
    row = {"PuzzleId": "t1", "FEN": fen, "Moves": best_uci, "Rating": 1000, "Themes": ""}
    convert = get_converter("chess_binary")
    return list(convert(row, 0, "train", random.Random(0), candidate="inline", require_match="none"))


def test_parse_reads_back_what_the_converter_wrote():
    best, distractor = inline_examples(HANGING_QUEEN, "c3d5")
    board, move = parse(best.text)
    assert board.fen() == HANGING_QUEEN and move == chess.Move.from_uci("c3d5")
    assert parse(distractor.text)[1] != move
    with pytest.raises(W2SError, match="candidate: inline"):
        parse("White to move. FEN: 8/8/8/8/8/8/8/K6k w - - 0 1")


def test_features_score_the_winning_capture_above_a_quiet_move():
    board = chess.Board(HANGING_QUEEN)
    with chess.engine.SimpleEngine.popen_uci(engine_path()) as engine:
        engine.configure({"Threads": 1, "Hash": 16})
        win = stockfish_features(engine, board, chess.Move.from_uci("c3d5"), 2000)
        quiet = stockfish_features(engine, board, chess.Move.from_uci("a2a3"), 2000)
    assert win[2] == 1.0 and quiet[2] == 0.0  # the engine's best move at this budget
    assert win[0] > 5 and quiet[0] < 2  # a queen up, or about level: Black saves the queen (pawns, mover's view)
    assert win[1] == pytest.approx(0, abs=1.0) and quiet[1] > 4  # loss against the root's best


def test_material_search_sees_a_recapture_only_with_two_plies():
    # White's queen can take a pawn on d5 that the e6 pawn defends: +1 at one ply, -8 at two.
    board = chess.Board("4k3/8/4p3/3p4/8/8/3Q4/4K3 w - - 0 1")
    grab = chess.Move.from_uci("d2d5")
    assert material_features(board, grab, 1) == [1, 1, 0.0]
    assert material_features(board, grab, 2) == [1 - 9, 1, 0.0]
    mate = chess.Board("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1")  # back-rank mate: Ra8#
    assert material_features(mate, chess.Move.from_uci("a1a8"), 2) == [10, 0, 1.0]  # mate, clipped to 10 pawns


def test_encoder_is_deterministic_and_checks_the_engine_version():
    rung = get_ladder("chess-engine").rungs[-1]
    texts = [e.text for e in inline_examples(HANGING_QUEEN, "c3d5")]
    first, again = EngineEncoder(rung).embed(texts), EngineEncoder(rung).embed(texts)
    assert first.shape == (2, 3) and np.array_equal(first, again)
    other = rung.model_copy(update={"model": "Stockfish 99"})
    with pytest.raises(W2SError, match="Stockfish 99"):
        EngineEncoder(other).embed(texts)


def test_engine_rungs_need_a_node_budget_and_only_they_have_one():
    with pytest.raises(ValueError, match="nodes"):
        Rung(name="e", model="Stockfish 15.1", kind="engine", unpinned_reason="test")
    with pytest.raises(ValueError, match="nodes"):
        Rung(name="m", model="a/b", nodes=10, unpinned_reason="test")
