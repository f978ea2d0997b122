"""The offline puzzle generator: deterministic, independent of scheduling, and its shipped output sound.

Pitfalls guarded: a generator whose output depends on time limits, engine hash left over from the
previous position, or which worker ran an attempt (DESIGN: caches and data keyed by content);
shipped files that drift from the checksums in their task file; answers that are not legal moves.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import chess
import pyarrow.parquet as pq
import pytest

from w2sbench.tasks.builders import chess_puzzles as gen
from w2sbench.tasks.loading import sha256_file
from w2sbench.tasks.task import FilesSource, load_task_file

TASKS = Path(__file__).resolve().parents[3] / "tasks"
TINY = gen.Params(seed=0, prefilter_nodes=500, confirm_nodes=3_000)  # seconds, not minutes

needs_stockfish = pytest.mark.skipif(
    shutil.which(gen.STOCKFISH) is None and not Path(gen.STOCKFISH).exists(), reason="Debian stockfish not installed"
)


@needs_stockfish
def test_same_seed_same_puzzles_and_same_bytes(tmp_path):
    first = gen.generate(3, TINY)
    assert len(first) == 3
    assert gen.generate(3, TINY) == first
    a = gen.write_split_files(first, tmp_path / "a", {"n": 3})
    b = gen.write_split_files(gen.generate(3, TINY), tmp_path / "b", {"n": 3})
    for split in ("train", "test"):
        assert a[split].read_bytes() == b[split].read_bytes()


@needs_stockfish
def test_two_workers_give_the_puzzles_of_one(tmp_path):
    assert gen.generate(3, TINY, workers=2, chunk=2) == gen.generate(3, TINY)


@needs_stockfish
def test_cache_resumes_and_cuts_a_longer_run(tmp_path):
    cache = tmp_path / "cache.jsonl"
    three = gen.generate(3, TINY, cache=cache)
    assert gen.generate(2, TINY, cache=cache) == three[:2]  # a shorter run is a prefix
    assert gen.generate(3, TINY, cache=cache) == three  # replayed from the cache
    with pytest.raises(SystemExit, match="other parameters"):
        gen.generate(1, gen.Params(seed=1, prefilter_nodes=500, confirm_nodes=3_000), cache=cache)


@needs_stockfish
def test_cli_writes_files_and_exits_even_on_error(tmp_path):
    """An engine left open keeps Python alive (python-chess runs it in a non-daemon thread)."""
    args = [
        sys.executable,
        "-m",
        "w2sbench.tasks.builders.chess_puzzles",
        "--n",
        "2",
        "--prefilter-nodes",
        "500",
        "--confirm-nodes",
        "3000",
        "--out",
        str(tmp_path / "out"),
        "--cache",
        str(tmp_path / "c.jsonl"),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out/train.parquet").exists() and (tmp_path / "out/test.parquet").exists()
    wrong = subprocess.run(args[:-4] + ["--seed", "1"] + args[-4:], capture_output=True, text=True, timeout=120)
    assert wrong.returncode != 0 and "other parameters" in wrong.stderr


def test_other_seed_other_walks():
    a = [gen.walk(gen.Params(seed=0), k) for k in range(5)]
    b = [gen.walk(gen.Params(seed=1), k) for k in range(5)]
    assert [x and x.fen() for x in a] == [x and x.fen() for x in (gen.walk(gen.Params(seed=0), k) for k in range(5))]
    assert [x and x.fen() for x in a] != [x and x.fen() for x in b]


def test_found_at_is_where_the_best_move_settles():
    history = [(1, 20, "e2e4"), (2, 90, "d2d4"), (3, 300, "e2e4"), (4, 900, "e2e4")]
    assert gen.found_at(history, "e2e4") == (3, 300)
    assert gen.found_at(history[:1], "e2e4") == (1, 20)


# --- the shipped files ------------------------------------------------------------------------


def _shipped():
    task = load_task_file(TASKS / "chess_puzzles.yaml")
    assert isinstance(task.source, FilesSource)
    return task


def test_shipped_files_match_the_task_checksums():
    task = _shipped()
    for split, shipped in task.source.splits.items():
        assert sha256_file(TASKS / shipped.path) == shipped.sha256, f"{split}: rebuild with {task.source.build_command}"


def test_every_shipped_puzzle_is_legal_and_well_formed():
    task = _shipped()
    ids = set()
    total = 0
    for split, shipped in task.source.splits.items():
        rows = pq.read_table(TASKS / shipped.path).to_pylist()
        total += len(rows)
        for r in rows:
            board = chess.Board(r["FEN"])
            assert board.is_valid(), r["PuzzleId"]
            moves = r["Moves"].split()
            best = chess.Move.from_uci(moves[0])
            assert best in board.legal_moves, r["PuzzleId"]
            assert board.san(best) == r["BestSan"]
            board.push(best)
            if len(moves) > 1:
                assert chess.Move.from_uci(moves[1]) in board.legal_moves, r["PuzzleId"]
            assert r["GapCp"] >= 250 and r["SecondCp"] <= 100 and r["BestCp"] >= 150
            assert r["PuzzleId"] == gen.puzzle_id(r["FEN"]) and gen.split_of(r["PuzzleId"]) == split
            assert r["PuzzleId"] not in ids
            ids.add(r["PuzzleId"])
    assert total >= 1000


def test_shipped_metadata_records_the_recipe():
    task = _shipped()
    meta = json.loads(pq.read_schema(TASKS / task.source.splits["train"].path).metadata[b"w2sbench"])
    assert set(meta) == {"generator", "engine", "params", "n"}  # the recipe only: no timestamp
    assert meta["params"]["confirm_nodes"] == 50_000 and meta["engine"].startswith("Stockfish")
