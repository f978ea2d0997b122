"""Deterministic pretraining of board rungs, and the rebuild command that reproduces their weights.

    python -m w2sbench.models.board.pretrain --rung board-s     # one rung of the chess-board ladder
    python -m w2sbench.models.board.pretrain --all

Each rung's network regresses tanh(pawns / 2) of Stockfish's evaluation after a move
(w2sbench.models.board.positions) with Adam and mean squared error. Determinism: fixed seeds
for initialisation and batch order, one torch thread and torch's deterministic algorithms, so
the same torch build on the same kind of CPU writes the same bytes; the ladder pins their sha256.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import chess
import numpy as np
import torch

from w2sbench.core.errors import TaskDefinitionError, W2SError
from w2sbench.models.board.network import BoardNet
from w2sbench.models.board.planes import planes
from w2sbench.models.board.positions import DataConfig, labelled
from w2sbench.models.board.weights import save_weights

PAWN_SCALE = 2.0  # target = tanh(pawns / PAWN_SCALE): one pawn up is 0.46, a piece up 0.91


@dataclass(frozen=True)
class RungConfig:
    """What makes one rung: capacity (hidden widths), pretraining data (a prefix) and steps."""

    hidden: tuple[int, ...]
    samples: int
    steps: int
    batch_size: int = 256
    lr: float = 1e-3
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)


# Keyed by a rung's ``model``: change a config only together with its name (and the ladder's pin).
CONFIGS: dict[str, RungConfig] = {
    "board-mlp-xs v1": RungConfig(hidden=(8,), samples=500, steps=100),
    "board-mlp-s v1": RungConfig(hidden=(16,), samples=2_000, steps=300),
    "board-mlp-m v1": RungConfig(hidden=(64, 32), samples=12_000, steps=1_500),
    "board-mlp-l v2": RungConfig(hidden=(256, 128), samples=88_000, steps=6_000, data=DataConfig(walks=24_000)),
}


def config_of(model: str) -> RungConfig:
    if model not in CONFIGS:
        raise TaskDefinitionError(
            f"board rung model {model!r} has no pretraining config in "
            f"w2sbench.models.board.pretrain.CONFIGS (known: {', '.join(sorted(CONFIGS))})"
        )
    return CONFIGS[model]


def training_set(data: dict[str, np.ndarray], n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Planes (uint8, to keep tens of thousands in memory) and targets of the first n samples."""
    if n > len(data["pawns"]):
        raise W2SError(f"a board rung asks for {n} pretraining samples; its data config yields {len(data['pawns'])}")
    x = np.stack(
        [
            planes(chess.Board(fen), chess.Move.from_uci(uci)).astype(np.uint8)
            for fen, uci in zip(data["fen"][:n], data["move"][:n], strict=False)
        ]
    )
    y = np.tanh(data["pawns"][:n] / PAWN_SCALE).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


@contextlib.contextmanager
def deterministic() -> Iterator[None]:
    """One thread and deterministic kernels for the duration (restored afterwards)."""
    threads, strict = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(strict)


def batches(n: int, config: RungConfig, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """config.steps index batches, each epoch a fresh seeded permutation."""
    done = 0
    while done < config.steps:
        order = torch.randperm(n, generator=generator)
        for start in range(0, n - config.batch_size + 1, config.batch_size):
            if done == config.steps:
                return
            yield order[start : start + config.batch_size]
            done += 1


def train(config: RungConfig, x: torch.Tensor, y: torch.Tensor) -> BoardNet:
    with deterministic():
        torch.manual_seed(config.seed)
        net = BoardNet(config.hidden)
        generator = torch.Generator().manual_seed(config.seed)
        optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
        for idx in batches(len(y), config, generator):
            loss = torch.nn.functional.mse_loss(net(x[idx].float()), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net.eval()


def pretrain(config: RungConfig) -> BoardNet:
    """The rung's network, trained from its config alone (labelling the data if not cached)."""
    x, y = training_set(labelled(config.data), config.samples)
    return train(config, x, y)


def rebuild(ladder_name: str, rung_names: list[str]) -> int:
    from w2sbench.models.ladder import get_ladder

    ladder = get_ladder(ladder_name)
    rungs = [r for r in ladder.rungs if r.kind == "board"] if not rung_names else [ladder.rung(n) for n in rung_names]
    failed = 0
    for rung in rungs:
        if rung.kind != "board":
            raise TaskDefinitionError(f"rung {rung.name} of ladder {ladder_name} is of kind {rung.kind}, not board")
        start = time.perf_counter()
        path, digest = save_weights(pretrain(config_of(rung.model)))
        seconds = time.perf_counter() - start
        same = digest == rung.weights
        failed += not same
        print(
            f"{rung.name}: {seconds:.1f} s, {path}\n  sha256 {digest} "
            f"{'matches the pin' if same else f'DIFFERS from the pin {rung.weights}'}"
        )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ladder", default="chess-board")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--rung", action="append", help="a rung name (repeatable)")
    which.add_argument("--all", action="store_true", help="every board rung of the ladder")
    args = parser.parse_args(argv)
    try:
        return rebuild(args.ladder, [] if args.all else args.rung)
    except W2SError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code


if __name__ == "__main__":
    sys.exit(main())
