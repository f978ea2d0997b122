"""Choosing the chess-board ladder on the puzzle pool only (never the test split).

For each pretraining config: its pretraining time, then the w2s protocol replayed inside
chess_puzzles' pool with the harness's probe (w2sbench.models.probe.Student, default
TrainConfig): the pool's puzzles are split by group into supervisor_train / transfer / dev
(0.40 / 0.35 / 0.25, hashed like w2sbench.core.splits), a rung trained on supervisor_train's
ground truth gives the weak labels on transfer, and accuracies are read on dev. Prints each
config's dev ceiling (trained on transfer's ground truth) and, for each pair, the naive
student's dev accuracy and PGR, per seed and averaged. Numbers from this script chose the
ladder; the test split is read only by `w2sbench run`.

    python studies/chess_board_ladder.py --configs board-mlp-s\\ v1,board-mlp-m\\ v1 --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import time
from dataclasses import replace

import numpy as np

from w2sbench.core.example import Inputs
from w2sbench.models.board.encoder import BATCH
from w2sbench.models.board.planes import example_planes
from w2sbench.models.board.pretrain import CONFIGS, RungConfig, pretrain
from w2sbench.models.probe import ProbeStudent as Student
from w2sbench.tasks.loading import load_task_data
from w2sbench.tasks.task import get_task

# Variants tried while choosing the ladder (name -> config); CONFIGS holds the chosen ones.
VARIANTS: dict[str, RungConfig] = {
    **CONFIGS,
    "s8-12k": RungConfig(hidden=(8,), samples=12_000, steps=1_000),
    "m-wide": RungConfig(hidden=(128, 64), samples=24_000, steps=2_000),
    "l-deep": RungConfig(hidden=(512, 256, 128), samples=44_000, steps=5_000),
    "board-mlp-l v1": RungConfig(hidden=(256, 128), samples=44_000, steps=3_000),  # the first top rung
}


class _Features:
    """The FeatureStore interface (rung.name, get) over a network held in memory."""

    def __init__(self, name, net):
        self.rung = type("R", (), {"name": name})
        self.net = net
        self.memo: dict[str, np.ndarray] = {}

    def get(self, texts):
        import torch

        todo = [t for t in dict.fromkeys(texts) if t not in self.memo]
        for start in range(0, len(todo), BATCH):
            chunk = todo[start : start + BATCH]
            with torch.inference_mode():
                rows = self.net.features(torch.from_numpy(np.stack([example_planes(t) for t in chunk]))).numpy()
            self.memo.update(zip(chunk, rows, strict=False))
        return np.stack([self.memo[t] for t in texts])


def dev_split(pool, seed):
    roles = ([], [], [])
    for e in pool:
        u = int.from_bytes(hashlib.sha256(f"dev/{seed}/{e.group}".encode()).digest()[:8], "big") / 2**64
        roles[0 if u < 0.40 else 1 if u < 0.75 else 2].append(e)
    return roles


def inputs(examples):
    return Inputs(ids=tuple(e.id for e in examples), texts=tuple(e.text for e in examples))


def accuracy(head, examples):
    return float(np.mean((head(inputs(examples)) > 0.5) == np.array([e.label for e in examples])))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--configs", required=True, help="comma-separated names of VARIANTS, weakest first")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps-scale", type=float, default=1.0)
    args = parser.parse_args()
    names = args.configs.split(",")
    pool = load_task_data(get_task("chess_puzzles")).pool
    stores = {}
    for name in names:
        config = VARIANTS[name]
        config = replace(config, steps=int(config.steps * args.steps_scale))
        start = time.perf_counter()
        stores[name] = _Features(name, pretrain(config))
        print(f"{name}: {config} pretrained in {time.perf_counter() - start:.1f} s", flush=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    ceilings = {n: [] for n in names}
    rows = {p: [] for p in itertools.combinations(names, 2)}
    for seed in seeds:
        train, transfer, dev = dev_split(pool, seed)
        gt_train = np.array([e.label for e in train], dtype=np.float32)
        gt_transfer = np.array([e.label for e in transfer], dtype=np.float32)
        weak_heads = {n: Student(stores[n], seed).fit(inputs(train), gt_train) for n in names}
        for n in names:
            ceilings[n].append(accuracy(Student(stores[n], seed).fit(inputs(transfer), gt_transfer), dev))
        for (weak, strong), out in rows.items():
            soft = weak_heads[weak](inputs(transfer))
            w2s = accuracy(Student(stores[strong], seed).fit(inputs(transfer), soft), dev)
            out.append((accuracy(weak_heads[weak], dev), w2s, ceilings[strong][-1]))
    print(f"dev: {len(dev)} examples (seed {seeds[-1]}); seeds {seeds}")
    for n in names:
        print(f"ceiling {n:>16}: {np.mean(ceilings[n]):.3f} {np.round(ceilings[n], 3).tolist()}")
    for (weak, strong), r in rows.items():
        a = np.array(r)
        pgr = (a[:, 1] - a[:, 0]) / (a[:, 2] - a[:, 0])
        print(
            f"{weak:>16} -> {strong:<16} weak {a[:, 0].mean():.3f} w2s {a[:, 1].mean():.3f} "
            f"ceiling {a[:, 2].mean():.3f} PGR {pgr.mean():.2f} {np.round(pgr, 2).tolist()}"
        )


if __name__ == "__main__":
    main()
