"""Chess engines as rungs: searches of increasing strength, read through their evaluations.

Text encoders do not play chess (measured: on board notation they learn surface rules), so
the chess track's ladder is made of searches of increasing strength, as encoders grow in
parameters. A rung of kind ``engine`` reads the same example text as any rung (the chess task
with ``candidate: inline``: side to move, FEN and the candidate move in SAN) and turns it into
three features, from the mover's point of view. Two engines:

- ``plies: N``, a material-only minimax over the N plies that start with the candidate move
  (pieces 1/3/3/5/9, mate +/-100): [material change after the search, material change of the
  candidate alone, 1 if it mates], changes clipped to +/-10 pawns like Stockfish's. Weak on
  purpose: it sees captures, not positions.
- ``nodes: N``, Stockfish limited to N nodes: [evaluation after the candidate in pawns (mate
  = +/-10, clipped there), how much worse that is than Stockfish's own root evaluation, 1 if
  the candidate is Stockfish's best move at this budget]. Stockfish's budget is a poor ladder
  by itself on these puzzles: even 1 node picks the best move 98.7% of the time (on 300 pool
  examples: studies/chess_ladder_probe.py), as most puzzles are one capture deep.

Every search is deterministic (Stockfish: Threads=1, Hash=16, a fresh engine state per search,
a node limit rather than a time limit), so features are cached by text like an encoder's.
Stockfish's name and version are checked against the rung's ``model``: another build could
score differently, and its features would be cached under the wrong key.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import chess
import chess.engine
import numpy as np

from w2sbench.core.errors import W2SError
from w2sbench.tasks.conversions.chess import CANDIDATE

MATE_PAWNS = 10.0
PIECE_VALUES = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9, chess.KING: 0}
# The model name of a plies rung, and so part of its cache key: bump it when the features change.
MATERIAL = "material minimax v2"
_FEN = re.compile(r"FEN: (\S+ [wb] \S+ \S+ \d+ \d+)")


def engine_path() -> str:
    path = shutil.which("stockfish") or ("/usr/games/stockfish" if Path("/usr/games/stockfish").exists() else None)
    if path is None:
        raise W2SError("engine rungs need Stockfish: apt-get install stockfish (Debian), or put it on PATH")
    return path


def parse(text: str) -> tuple[chess.Board, chess.Move]:
    """The position and candidate of an inline chess example text."""
    fen = _FEN.search(text)
    at = text.rfind(CANDIDATE)
    if fen is None or at < 0:
        raise W2SError(
            f"engine rung: expected a chess example with 'FEN: ...' and '{CANDIDATE}...' "
            f"(task conversion chess_binary with candidate: inline), got {text[:80]!r}"
        )
    board = chess.Board(fen.group(1))
    return board, board.parse_san(text[at + len(CANDIDATE) :].strip().rstrip("."))


def pawns(score: chess.engine.PovScore, color: chess.Color) -> float:
    value = score.pov(color).score(mate_score=100_000) / 100
    return float(np.clip(value, -MATE_PAWNS, MATE_PAWNS))


def material(board: chess.Board, color: chess.Color) -> int:
    return sum(PIECE_VALUES[p.piece_type] * (1 if p.color == color else -1) for p in board.piece_map().values())


def minimax(board: chess.Board, plies: int, color: chess.Color) -> int:
    """Material for ``color`` after best play by both sides over ``plies`` more plies."""
    if board.is_checkmate():
        return -100 if board.turn == color else 100
    if plies == 0 or board.is_game_over():
        return material(board, color)
    values = []
    for move in board.legal_moves:
        board.push(move)
        values.append(minimax(board, plies - 1, color))
        board.pop()
    return max(values) if board.turn == color else min(values)


def material_features(board: chess.Board, move: chess.Move, plies: int) -> list[float]:
    mover, before = board.turn, material(board, board.turn)
    after = board.copy()
    after.push(move)
    searched = np.clip(minimax(after, plies - 1, mover) - before, -MATE_PAWNS, MATE_PAWNS)
    return [float(searched), material(after, mover) - before, float(after.is_checkmate())]


def stockfish_features(
    engine: chess.engine.SimpleEngine, board: chess.Board, move: chess.Move, nodes: int
) -> list[float]:
    limit = chess.engine.Limit(nodes=nodes)
    root = engine.analyse(board, limit, game=object())
    mover = board.turn
    after = board.copy()
    after.push(move)
    if after.is_checkmate():
        candidate = MATE_PAWNS
    elif after.is_game_over():
        candidate = 0.0
    else:
        candidate = pawns(engine.analyse(after, limit, game=object())["score"], mover)
    best = root.get("pv", [None])[0]
    return [candidate, pawns(root["score"], mover) - candidate, float(move == best)]


class EngineEncoder:
    """The Encoder interface (embed texts to rows of features) over engine searches."""

    def __init__(self, rung):
        if (rung.nodes is None) == (rung.plies is None):
            raise W2SError(f"rung {rung.name}: an engine rung needs nodes or plies (its search budget)")
        self.rung = rung
        self.parameter_count = None  # an engine has no parameters; its size is its search budget

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        with contextlib.ExitStack() as stack:
            features = self._material() if self.rung.plies is not None else self._stockfish(stack)
            rows = []
            for text in texts:
                rows.append(features(*parse(text)))
                if progress:
                    progress(1)
        return np.array(rows, dtype=np.float32).reshape(len(texts), 3)

    def _material(self) -> Callable[[chess.Board, chess.Move], list[float]]:
        if self.rung.model != MATERIAL:
            raise W2SError(
                f"rung {self.rung.name} was defined with {self.rung.model!r}; this w2sbench's "
                f"material search is {MATERIAL!r}: its features would differ"
            )
        return lambda board, move: material_features(board, move, self.rung.plies)

    def _stockfish(self, stack: contextlib.ExitStack) -> Callable[[chess.Board, chess.Move], list[float]]:
        engine = stack.enter_context(chess.engine.SimpleEngine.popen_uci(engine_path()))
        name = engine.id.get("name", "")
        if name != self.rung.model:
            raise W2SError(
                f"rung {self.rung.name} was defined with {self.rung.model!r}, this machine's "
                f"engine is {name!r}: its evaluations would differ"
            )
        engine.configure({"Threads": 1, "Hash": 16})
        return lambda board, move: stockfish_features(engine, board, move, self.rung.nodes)
