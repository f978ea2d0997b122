"""Planes of known positions, from the mover's side, and a clear error for unreadable examples."""

import chess
import numpy as np
import pytest

from w2sbench.core.errors import DataError
from w2sbench.models.board.planes import PLANES, example_planes, planes


def squares(plane: np.ndarray) -> list[str]:
    return [chess.square_name(int(s)) for s in np.flatnonzero(plane)]


def test_white_move_from_the_start():
    x = planes(chess.Board(), chess.Move.from_uci("e2e4"))
    assert x.shape == (PLANES, 64) and x.dtype == np.float32
    assert squares(x[0]) == ["a2", "b2", "c2", "d2", "e2", "f2", "g2", "h2"]  # mover's pawns before
    assert squares(x[12]) == ["a2", "b2", "c2", "d2", "f2", "g2", "h2", "e4"]  # and after
    assert squares(x[5]) == ["e1"] and squares(x[11]) == ["e8"]  # kings: mover's, then opponent's
    assert squares(x[24]) == ["e2"] and squares(x[25]) == ["e4"]
    assert x.sum() == 32 + 32 + 2


def test_black_is_mirrored_to_the_movers_side():
    board = chess.Board()
    board.push_san("e4")
    x = planes(board, chess.Move.from_uci("e7e5"))
    assert squares(x[0]) == ["a2", "b2", "c2", "d2", "e2", "f2", "g2", "h2"]  # black's pawns, mirrored
    assert "e5" in squares(x[6])  # white's e4 pawn, seen from black
    assert squares(x[24]) == ["e2"] and squares(x[25]) == ["e4"]


def test_a_capture_removes_the_captured_piece():
    board = chess.Board("rnb1kbnr/ppp1pppp/8/3q4/8/2N5/PPPP1PPP/R1BQKBNR w KQkq - 0 3")
    x = planes(board, chess.Move.from_uci("c3d5"))
    assert squares(x[4 + 6]) == ["d5"] and squares(x[12 + 4 + 6]) == []  # black's queen, then gone
    assert squares(x[12 + 1]) == ["g1", "d5"]  # white's knights after Nxd5


def test_example_text_reads_like_the_engine_rungs():
    text = "White to move. FEN: rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1 Candidate move: e4"
    assert np.array_equal(example_planes(text), planes(chess.Board(), chess.Move.from_uci("e2e4")))


@pytest.mark.parametrize(
    "text",
    [
        "White to move. FEN: rnbqkbnr/pppppppp/9/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1 Candidate move: e4",
        "White to move. FEN: rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1 Candidate move: e5",
        "a sentence about chess",
    ],
)
def test_unreadable_example_names_it(text):
    with pytest.raises(DataError, match="board rung") as e:
        example_planes(text)
    assert text[:40] in str(e.value)
