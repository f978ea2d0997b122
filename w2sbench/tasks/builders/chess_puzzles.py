"""Generate chess puzzles offline with Stockfish: deterministic, resumable, Lichess-like output.

    python -m w2sbench.tasks.builders.chess_puzzles --n 2000 --seed 0 --out tasks/data/chess_puzzles

Recipe (measured when the task was built):

1. Attempt k plays a random number (8-40) of uniformly random legal plies from the start
   position, with a ``random.Random`` seeded by (seed, k) alone.
2. Prefilter: MultiPV 2 at 3,000 nodes; keep if best - second >= 120 cp.
3. Confirm: MultiPV 2 at 50,000 nodes (about depth 12); keep if best - second >= 250 cp,
   second <= +100 cp and best >= +150 cp (scores for the side to move; a mate counts as
   10,000 cp minus its distance).

Engine: Threads=1, Hash=16, node limits only (never time), and ``ucinewgame`` before every
search so no hash or history carries over between positions. Each search is then a pure
function of (position, node limit, engine build), attempts are merged in attempt order, and the
output does not depend on how many worker processes ran or how they were scheduled.

Difficulty: while confirming, the info line of every completed depth is recorded;
``FoundDepth`` is the first depth from which the principal variation starts with the final best
move at every later depth, ``FoundNodes`` the nodes searched then. Random-walk puzzles are mostly
settled at depth 1 (a hanging piece), so ``Rating``, a Lichess-like number, is made from the
nodes, which still separate them: ``400 + 150 * log2(FoundNodes / 8)``, at least 400. It orders
puzzles by the search the engine needed; it is not a Glicko rating from human play.
``MaterialGreedy`` says whether a two-ply material count (the move, then the reply worst for
the mover) already picks the best move as its unique choice: a second, engine-free axis for
easy-to-hard splits.

Output: ``train.parquet`` and ``test.parquet`` (a puzzle is in test when a hash of its id is
not 0 mod 3, about two thirds: a board's power rests on its test split, and the pool needs
fewer puzzles than a ranking does), with the Lichess columns that make sense here
(``PuzzleId``, ``FEN``, ``Moves``, ``Rating``, ``Themes``) and the engine's numbers. Unlike
Lichess, ``FEN`` is the puzzle position itself (the solver is to move) and ``Moves`` starts
with the solution: the best move, then the engine's reply when it has one. Files are
byte-identical on rebuild (no timestamps; only the generator's parameters and the engine's
name in the metadata).

``--cache FILE.jsonl`` records every attempt's outcome, so a killed run resumes, and a run
with a smaller ``--n`` and the same cache writes the first n puzzles of a longer run instantly
(the same bytes as generating them from scratch).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass
from pathlib import Path

import chess
import chess.engine
import pyarrow as pa
import pyarrow.parquet as pq

from w2sbench.core.paths import tasks_dir

STOCKFISH = "/usr/games/stockfish"
MATE = 10_000
RATING_FLOOR, RATING_SCALE, RATING_NODES0 = 400, 150, 8
PIECE_VALUES = {chess.PAWN: 1, chess.KNIGHT: 3, chess.BISHOP: 3, chess.ROOK: 5, chess.QUEEN: 9, chess.KING: 0}
TEST_MODULUS = 3  # hash(id) % 3 != 0 -> test: about a third train, two thirds test

SCHEMA = pa.schema(
    [
        ("PuzzleId", pa.string()),
        ("FEN", pa.string()),
        ("Moves", pa.string()),
        ("Rating", pa.int64()),
        ("Themes", pa.string()),
        ("BestSan", pa.string()),
        ("BestCp", pa.int64()),
        ("SecondCp", pa.int64()),
        ("GapCp", pa.int64()),
        ("FoundDepth", pa.int64()),
        ("FoundNodes", pa.int64()),
        ("Depth", pa.int64()),
        ("MaterialGreedy", pa.bool_()),
        ("WalkPlies", pa.int64()),
        ("Attempt", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Params:
    """Everything that decides which puzzles come out (with the engine build)."""

    seed: int = 0
    min_plies: int = 8
    max_plies: int = 40
    prefilter_nodes: int = 3_000
    prefilter_gap: int = 120
    confirm_nodes: int = 50_000
    min_gap: int = 250
    max_second: int = 100
    min_best: int = 150
    threads: int = 1
    hash_mb: int = 16


def walk(params: Params, attempt: int) -> chess.Board | None:
    """The position after the attempt's random walk; None if the game ended on the way."""
    rng = random.Random(f"w2sbench-chess/{params.seed}/{attempt}")
    board = chess.Board()
    for _ in range(rng.randint(params.min_plies, params.max_plies)):
        moves = sorted(board.legal_moves, key=lambda m: m.uci())
        if not moves:
            return None
        board.push(rng.choice(moves))
    if board.is_game_over(claim_draw=True):
        return None
    return board


def _cp(info: dict, turn: chess.Color) -> int:
    return int(info["score"].pov(turn).score(mate_score=MATE))


class Analyst:
    """One Stockfish process, configured for reproducible fixed-node searches."""

    def __init__(self, params: Params, engine_path: str = STOCKFISH):
        self.engine = chess.engine.SimpleEngine.popen_uci(engine_path)
        try:
            self.engine.configure({"Threads": params.threads, "Hash": params.hash_mb})
        except BaseException:
            self.engine.quit()
            raise
        self.name = self.engine.id.get("name", "unknown engine")

    def close(self) -> None:
        self.engine.quit()

    def search(self, board: chess.Board, nodes: int) -> tuple[list[dict], list[tuple[int, int, str]]]:
        """MultiPV-2 search from a fresh engine state.

        Returns the final info of each line (best first) and, for the first line, the
        (depth, nodes, first move) of every reported depth, in order.
        """
        history: list[tuple[int, int, str]] = []
        # game=object(): a new game each time, so python-chess sends ucinewgame (clears hash).
        with self.engine.analysis(board, chess.engine.Limit(nodes=nodes), multipv=2, game=object()) as analysis:
            for info in analysis:
                if info.get("multipv", 1) == 1 and info.get("pv") and "depth" in info:
                    history.append((int(info["depth"]), int(info.get("nodes", 0)), info["pv"][0].uci()))
            lines = [dict(i) for i in analysis.multipv if i.get("pv")]
        return lines, history


def found_at(history: list[tuple[int, int, str]], best: str) -> tuple[int, int]:
    """First (depth, nodes) from which every reported depth's best move is ``best``."""
    depth, nodes = history[-1][0], history[-1][1]
    for d, n, move in reversed(history):
        if move != best:
            break
        depth, nodes = d, n
    return depth, nodes


def try_attempt(analyst: Analyst, params: Params, attempt: int) -> dict | None:
    """The puzzle of one attempt, or None if its position is not one."""
    board = walk(params, attempt)
    if board is None or board.legal_moves.count() < 2:
        return None
    pre, _ = analyst.search(board, params.prefilter_nodes)
    if len(pre) < 2 or _cp(pre[0], board.turn) - _cp(pre[1], board.turn) < params.prefilter_gap:
        return None
    lines, history = analyst.search(board, params.confirm_nodes)
    if len(lines) < 2:
        return None
    best, second = _cp(lines[0], board.turn), _cp(lines[1], board.turn)
    if best - second < params.min_gap or second > params.max_second or best < params.min_best:
        return None
    pv = lines[0]["pv"]
    depth, nodes = found_at(history, pv[0].uci())
    mate = lines[0]["score"].pov(board.turn).mate()
    return {
        "attempt": attempt,
        "fen": board.fen(),
        "plies": len(board.move_stack),
        "pv": [m.uci() for m in pv[:2]],
        "best_san": board.san(pv[0]),
        "best_cp": best,
        "second_cp": second,
        "found_depth": depth,
        "found_nodes": nodes,
        "depth": int(lines[0].get("depth", 0)),
        "mate": mate,
    }


# --- worker processes -------------------------------------------------------------------------

_WORKER: tuple[Analyst, Params] | None = None


def _init_worker(params: Params, engine_path: str) -> None:
    global _WORKER
    _WORKER = (Analyst(params, engine_path), params)


def _run_chunk(attempts: list[int]) -> list[tuple[int, dict | None]]:
    analyst, params = _WORKER
    return [(k, try_attempt(analyst, params, k)) for k in attempts]


# --- the driver -------------------------------------------------------------------------------


def _position_key(fen: str) -> str:
    return " ".join(fen.split()[:4])  # board, turn, castling, en passant: not the move counters


def _open_cache(cache: Path | None, header: dict) -> dict[int, dict | None]:
    """Attempt outcomes from an earlier run with the same parameters and engine."""
    if cache is None:
        return {}
    if cache.exists() and cache.stat().st_size:
        lines = cache.read_text().splitlines()
        if json.loads(lines[0]) != header:
            raise SystemExit(f"{cache}: made with other parameters or engine; delete it or pass another --cache")
        done = {}
        for line in lines[1:]:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a kill
                break
            done[row["attempt"]] = row["puzzle"]
        return done
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(header) + "\n")
    return {}


def generate(
    n: int,
    params: Params = Params(),
    workers: int = 1,
    engine_path: str = STOCKFISH,
    cache: Path | None = None,
    chunk: int = 8,
    log=None,
) -> list[dict]:
    """The first n distinct puzzles in attempt order (the same for any number of workers)."""
    probe = Analyst(params, engine_path)  # closed in every case: its thread would keep Python alive
    sink = pool = None
    try:
        header = {"generator": "w2sbench.tasks.builders.chess_puzzles", "engine": probe.name, "params": asdict(params)}
        done = _open_cache(cache, header)
        sink = open(cache, "a") if cache is not None else None

        puzzles: list[dict] = []
        seen: set[str] = set()
        start = time.monotonic()

        def accept(k: int, puzzle: dict | None, fresh: bool) -> None:
            if fresh and sink is not None:
                sink.write(json.dumps({"attempt": k, "puzzle": puzzle}) + "\n")
            if puzzle is None or len(puzzles) >= n:
                return
            key = _position_key(puzzle["fen"])
            if key not in seen:
                seen.add(key)
                puzzles.append(puzzle)
                if log and len(puzzles) % 50 == 0:
                    log(f"{len(puzzles)}/{n} puzzles after {k + 1} attempts, {time.monotonic() - start:.0f} s")

        k = 0
        while k in done and len(puzzles) < n:  # replay the cache, in order
            accept(k, done[k], fresh=False)
            k += 1

        if len(puzzles) < n and workers <= 1:
            while len(puzzles) < n:
                accept(k, try_attempt(probe, params, k), fresh=True)
                k += 1
                if sink is not None and k % chunk == 0:
                    sink.flush()
        elif len(puzzles) < n:
            import multiprocessing as mp

            # Pool.terminate kills the workers: their engines' threads would block a clean exit.
            pool = mp.get_context("spawn").Pool(workers, _init_worker, (params, engine_path))
            pending: deque = deque()
            while len(puzzles) < n:
                while len(pending) < 2 * workers:
                    pending.append(pool.apply_async(_run_chunk, (list(range(k, k + chunk)),)))
                    k += chunk
                for attempt, puzzle in pending.popleft().get():  # in attempt order, whoever ran it
                    accept(attempt, puzzle, fresh=True)
                if sink is not None:
                    sink.flush()
        return puzzles[:n]
    finally:
        if pool is not None:
            pool.terminate()
        if sink is not None:
            sink.close()
        probe.close()


def engine_name(params: Params, engine_path: str = STOCKFISH) -> str:
    analyst = Analyst(params, engine_path)
    try:
        return analyst.name
    finally:
        analyst.close()


# --- output -----------------------------------------------------------------------------------


def rating(found_nodes: int) -> int:
    return max(RATING_FLOOR, round(RATING_FLOOR + RATING_SCALE * math.log2(max(found_nodes, 1) / RATING_NODES0)))


def _gain(board: chess.Board, move: chess.Move) -> int:
    """Material the mover wins with this move: the captured piece and any promotion."""
    if board.is_en_passant(move):
        won = PIECE_VALUES[chess.PAWN]
    else:
        victim = board.piece_type_at(move.to_square)
        won = PIECE_VALUES[victim] if victim else 0
    return won + (PIECE_VALUES[move.promotion] - PIECE_VALUES[chess.PAWN] if move.promotion else 0)


def material_greedy_finds(fen: str, best_uci: str) -> bool:
    """Does a two-ply material count (move, then the reply worst for the mover) pick best uniquely?

    Checkmate counts as more than any material, for either side.
    """
    board = chess.Board(fen)
    scores = {}
    for move in board.legal_moves:
        gain = _gain(board, move)
        board.push(move)
        if board.is_check() and board.is_checkmate():
            value = 1_000
        else:
            value = gain
            for reply in board.legal_moves:
                if board.gives_check(reply):
                    board.push(reply)
                    mated = board.is_checkmate()
                    board.pop()
                    if mated:
                        value = -1_000
                        break
                value = min(value, gain - _gain(board, reply))
        board.pop()
        scores[move.uci()] = value
    top = max(scores.values())
    return scores[best_uci] == top and sum(v == top for v in scores.values()) == 1


def puzzle_id(fen: str) -> str:
    return "w" + hashlib.sha256(_position_key(fen).encode()).hexdigest()[:10]


def split_of(pid: str) -> str:
    return "test" if int(hashlib.sha256(f"split/{pid}".encode()).hexdigest()[:8], 16) % TEST_MODULUS else "train"


def to_row(p: dict) -> dict:
    themes = (
        ["mate", f"mateIn{p['mate']}"]
        if p["mate"] and p["mate"] > 0
        else (["crushing"] if p["best_cp"] >= 500 else ["advantage"])
    )
    return {
        "PuzzleId": puzzle_id(p["fen"]),
        "FEN": p["fen"],
        "Moves": " ".join(p["pv"]),
        "Rating": rating(p["found_nodes"]),
        "Themes": " ".join(themes),
        "BestSan": p["best_san"],
        "BestCp": p["best_cp"],
        "SecondCp": p["second_cp"],
        "GapCp": p["best_cp"] - p["second_cp"],
        "FoundDepth": p["found_depth"],
        "FoundNodes": p["found_nodes"],
        "Depth": p["depth"],
        "MaterialGreedy": material_greedy_finds(p["fen"], p["pv"][0]),
        "WalkPlies": p["plies"],
        "Attempt": p["attempt"],
    }


def write_split_files(puzzles: list[dict], out: Path, metadata: dict | None = None) -> dict[str, Path]:
    """train.parquet and test.parquet under out, byte-identical for the same puzzles."""
    out.mkdir(parents=True, exist_ok=True)
    rows = [to_row(p) for p in puzzles]
    schema = SCHEMA.with_metadata({"w2sbench": json.dumps(metadata or {}, sort_keys=True)})
    paths = {}
    for split in ("train", "test"):
        table = pa.Table.from_pylist([r for r in rows if split_of(r["PuzzleId"]) == split], schema=schema)
        paths[split] = out / f"{split}.parquet"
        pq.write_table(table, paths[split], compression="zstd", compression_level=9)
    return paths


def draw_private(n: int, seed: int, shipped: list[pa.Table], workers: int | None = None) -> pa.Table:
    """n puzzles of the random walks of ``seed``, none at a position of the shipped files: a
    private test split's rows (w2sbench.tasks.private), every one of them test. The space of
    positions is unbounded, so no table carried in a submission covers a draw it has not seen."""
    taken = {_position_key(fen) for table in shipped for fen in table.column("FEN").to_pylist()}
    workers = workers or min(4, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="w2sbench-private-") as tmp:
        attempts, want = Path(tmp) / "attempts.jsonl", n
        while True:  # a walk that reaches a shipped position is replaced by the next puzzle
            fresh = [
                p
                for p in generate(want, Params(seed=seed), workers, cache=attempts)
                if _position_key(p["fen"]) not in taken
            ]
            if len(fresh) >= n:
                break
            want += n - len(fresh)
    return pa.Table.from_pylist([to_row(p) for p in fresh[:n]], schema=SCHEMA)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=2000, help="number of puzzles")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=tasks_dir() / "data" / "chess_puzzles")
    ap.add_argument("--workers", type=int, default=1, help="worker processes, one engine each")
    ap.add_argument("--engine", default=STOCKFISH)
    ap.add_argument("--cache", type=Path, help="jsonl of attempt outcomes, to resume or to cut a longer run")
    ap.add_argument("--prefilter-nodes", type=int, default=Params.prefilter_nodes)
    ap.add_argument("--confirm-nodes", type=int, default=Params.confirm_nodes)
    args = ap.parse_args(argv)
    params = Params(seed=args.seed, prefilter_nodes=args.prefilter_nodes, confirm_nodes=args.confirm_nodes)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.monotonic()
    puzzles = generate(args.n, params, workers=args.workers, engine_path=args.engine, cache=args.cache, log=log)
    meta = {
        "generator": "w2sbench.tasks.builders.chess_puzzles",
        "engine": engine_name(params, args.engine),
        "params": asdict(params),
        "n": len(puzzles),
    }
    paths = write_split_files(puzzles, args.out, meta)
    log(f"{len(puzzles)} puzzles in {time.monotonic() - t0:.0f} s")
    for split, path in paths.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{split}: {path} ({pq.read_metadata(path).num_rows} puzzles) sha256 {digest}")


if __name__ == "__main__":
    main()
