"""Why the chess ladder is not Stockfish at growing node budgets: how often Stockfish's own best
move at N nodes is the candidate's label, on the first examples of chess_puzzles' pool.

    python studies/chess_ladder_probe.py                 # 300 examples, budgets 1 .. 5000
    python studies/chess_ladder_probe.py --n 100 --nodes 1,1000

Needs Debian's stockfish. Prints one line per budget: the accuracy of "the candidate is
Stockfish's best move" (feature 3 of an engine rung) as a predictor of the label.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import chess.engine
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from w2sbench.models.chess_engine import engine_path, parse, stockfish_features
    from w2sbench.tasks.loading import load_task_data
    from w2sbench.tasks.task import get_task

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="pool examples to probe")
    ap.add_argument("--nodes", default="1,3,10,30,100,300,1000,5000", help="comma-separated node budgets")
    args = ap.parse_args()
    examples = load_task_data(get_task("chess_puzzles")).pool[: args.n]
    labels = np.array([e.label for e in examples])
    with chess.engine.SimpleEngine.popen_uci(engine_path()) as engine:
        engine.configure({"Threads": 1, "Hash": 16})
        for nodes in (int(x) for x in args.nodes.split(",")):
            is_best = np.array([stockfish_features(engine, *parse(e.text), nodes)[2] for e in examples])
            print(
                f"nodes {nodes:>5}: 'candidate is Stockfish's best move' matches the label on "
                f"{(is_best == labels).mean():.3f} of {len(examples)} examples"
            )


if __name__ == "__main__":
    main()
