"""Pretraining data for board rungs: moves in seeded random-walk positions, valued by Stockfish.

Why this target: a puzzle asks whether a candidate is the best move, and the skill behind it
is judging what a move does (wins a hanging piece, drops a defended one, mates). Stockfish's
evaluation after a move teaches exactly that judgement on many positions without ever seeing
a puzzle's label: it values every move, not just best ones, and never says which move of a
position is best. Positions come from the same kind of random walk the puzzles were built
from (8-40 random plies from the start, w2sbench.tasks.builders.chess_puzzles), under a
different seed, and any position that is a puzzle of ``chess_puzzles`` is skipped. Each
position gives up to two captures and two quiet moves, so both the puzzles' best moves
(mostly captures) and their matched distractors have look-alikes here.

Labels: Stockfish at a small node budget (Threads=1, Hash=16, a fresh state per search,
as the engine rungs), the evaluation after the move from the mover's side in pawns, mate
+/-10, clipped to +/-10. The labelled set is cached by content (generator version, seed,
size, budget and the engine's name) under ``cache_dir()/board/data``. A chunk holds every
walk's moves; the puzzles' positions are dropped when the set is read, so rebuilt puzzle files
never relabel the chunks and never reuse a chunk that skipped other positions.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import chess
import chess.engine
import numpy as np
import pyarrow.parquet as pq

from w2sbench.core.errors import DataError, W2SError
from w2sbench.core.paths import cache_dir, tasks_dir
from w2sbench.core.store import load_arrays, save_arrays
from w2sbench.models.chess_engine import MATE_PAWNS, engine_path, pawns

GENERATOR = "random-walk moves v2"  # bump when the positions or labels change (v2: chunks keep puzzle positions)
CHUNK = 2_000  # walks labelled and cached together
PUZZLE_FILES = ("data/chess_puzzles/train.parquet", "data/chess_puzzles/test.parquet")


@dataclass(frozen=True)
class DataConfig:
    """One labelled set; rungs train on prefixes of it, so it is labelled once."""

    seed: int = 1_000_003  # not the puzzles' builder seed (0)
    walks: int = 12_000
    nodes: int = 256


@lru_cache(maxsize=1)
def puzzle_positions() -> frozenset[str]:
    """Board and side to move of every shipped puzzle (what pretraining must not see)."""
    seen = set()
    for name in PUZZLE_FILES:
        path = tasks_dir() / name
        if not path.exists():
            raise DataError(f"{path}: board pretraining skips the shipped puzzles' positions and needs this file")
        for fen in pq.read_table(path, columns=["FEN"]).column("FEN").to_pylist():
            seen.add(" ".join(fen.split()[:2]))
    return frozenset(seen)


def walk(rng: random.Random) -> chess.Board | None:
    """A position 8-40 random plies from the start, or None if the game ended first."""
    board = chess.Board()
    for _ in range(rng.randint(8, 40)):
        moves = list(board.legal_moves)
        if not moves:
            return None
        board.push(rng.choice(moves))
    return None if board.is_game_over() else board


def moves_of(board: chess.Board, rng: random.Random) -> list[chess.Move]:
    """Up to two captures and two quiet moves of the position, chosen at random."""
    legal = list(board.legal_moves)
    captures = [m for m in legal if board.is_capture(m)]
    quiet = [m for m in legal if not board.is_capture(m)]
    return rng.sample(captures, min(2, len(captures))) + rng.sample(quiet, min(2, len(quiet)))


def samples(config: DataConfig, first: int = 0) -> Iterator[tuple[chess.Board, chess.Move]]:
    """The moves of walks first..config.walks-1 (each walk seeded by its index alone)."""
    for i in range(first, config.walks):
        rng = random.Random(f"{config.seed}:{i}")
        board = walk(rng)
        if board is None:
            continue
        for move in moves_of(board, rng):
            yield board, move


def value_after(engine: chess.engine.SimpleEngine, board: chess.Board, move: chess.Move, nodes: int) -> float:
    """Stockfish's evaluation after ``move``, in pawns for the side that played it."""
    after = board.copy(stack=False)
    after.push(move)
    if after.is_checkmate():
        return MATE_PAWNS
    if after.is_game_over():
        return 0.0
    return pawns(engine.analyse(after, chess.engine.Limit(nodes=nodes), game=object())["score"], board.turn)


def _key(config: DataConfig, engine_name: str, first: int) -> str:
    ident = {"generator": GENERATOR, "engine": engine_name, **asdict(config), "walks": [first, first + CHUNK]}
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:32]


def _label_chunk(engine: chess.engine.SimpleEngine, config: DataConfig, first: int) -> dict[str, np.ndarray]:
    chunk = DataConfig(seed=config.seed, walks=min(first + CHUNK, config.walks), nodes=config.nodes)
    fens, moves, values = [], [], []
    for board, move in samples(chunk, first):
        fens.append(board.fen())
        moves.append(move.uci())
        values.append(value_after(engine, board, move, config.nodes))
    return {"fen": np.array(fens), "move": np.array(moves), "pawns": np.array(values, dtype=np.float32)}


def labelled(config: DataConfig = DataConfig()) -> dict[str, np.ndarray]:
    """{"fen", "move" (UCI), "pawns"}: the labelled set, chunk by chunk from the cache or labelled now.

    Chunks of CHUNK walks are cached separately, so a larger set reuses a smaller one's
    labels and a killed labelling run loses at most one chunk.
    """
    if config.walks % CHUNK:
        raise W2SError(f"{config}: walks must be a multiple of {CHUNK} (labels are cached by chunk)")
    parts = []
    with chess.engine.SimpleEngine.popen_uci(engine_path()) as engine:
        engine.configure({"Threads": 1, "Hash": 16})
        name = engine.id.get("name", "")
        for first in range(0, config.walks, CHUNK):
            path = Path(cache_dir()) / "board" / "data" / f"{_key(config, name, first)}.npz"
            part = load_arrays(path)
            if part is None:
                part = _label_chunk(engine, config, first)
                save_arrays(path, part)
            parts.append(part)
    return skip_positions(
        {k: np.concatenate([p[k] for p in parts]) for k in ("fen", "move", "pawns")}, puzzle_positions()
    )


def skip_positions(data: dict[str, np.ndarray], excluded: frozenset[str]) -> dict[str, np.ndarray]:
    """The samples whose position (board and side to move) is not excluded, in order."""
    keep = np.array([" ".join(fen.split()[:2]) not in excluded for fen in data["fen"]], dtype=bool)
    return {k: v[keep] for k, v in data.items()}
