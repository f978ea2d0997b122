"""A position and a candidate move as input planes, seen from the side to move.

The board is mirrored when Black moves, so a network learns one set of patterns for both
colours (as chess networks do). 26 planes of 8x8: the 12 piece planes (the mover's six piece
types, then the opponent's) before the move, the same 12 after it, and the move's from- and
to-squares. The network sees what the move does to the board, not whether it is good: that
is what pretraining has to teach it.
"""

from __future__ import annotations

import chess
import numpy as np

from w2sbench.core.errors import DataError, W2SError
from w2sbench.models.chess_engine import parse

PLANES = 26
PIECE_PLANES = 12


def _pieces(board: chess.Board, mover: chess.Color, out: np.ndarray) -> None:
    for square, piece in board.piece_map().items():
        if mover == chess.BLACK:
            square = chess.square_mirror(square)
        out[(piece.piece_type - 1) + (0 if piece.color == mover else 6), square] = 1.0


def planes(board: chess.Board, move: chess.Move) -> np.ndarray:
    """float32 [26, 64] planes of ``move`` played in ``board`` (square a1 = 0), mover's view."""
    mover = board.turn
    out = np.zeros((PLANES, 64), dtype=np.float32)
    _pieces(board, mover, out[:PIECE_PLANES])
    after = board.copy(stack=False)
    after.push(move)
    _pieces(after, mover, out[PIECE_PLANES : 2 * PIECE_PLANES])
    mirror = chess.square_mirror if mover == chess.BLACK else (lambda s: s)
    out[24, mirror(move.from_square)] = 1.0
    out[25, mirror(move.to_square)] = 1.0
    return out


def example_planes(text: str) -> np.ndarray:
    """Planes of an inline chess example ("... FEN: ... Candidate move: Rxe7").

    A position or move python-chess cannot read is a DataError that quotes the example.
    """
    try:
        board, move = parse(text)
    except W2SError as e:
        raise DataError(f"board rung: {e}") from None
    except ValueError as e:  # chess.Board or parse_san: an invalid FEN, an illegal or ambiguous move
        raise DataError(f"board rung: python-chess cannot read the example {text!r}: {e}") from None
    return planes(board, move)
