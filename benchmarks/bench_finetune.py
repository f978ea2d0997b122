"""Throughput of one fine-tuning step (examples/s) and its model FLOPs utilisation (MFU).

Run: ``python -m pytest benchmarks/bench_finetune.py`` (pytest-benchmark), or as a script:
``python benchmarks/bench_finetune.py --peak-tflops 989 --rung minilm-l6``.

MFU = 6 * N * tokens / seconds / peak, N the non-embedding parameters (Kaplan et al.'s
training-FLOPs estimate; attention's own FLOPs are ignored, as usual). It counts useful
FLOPs only: with minibatch_size < batch_size the step also does a no-grad forward pass
(FinetuneConfig's exact full-batch loss), about a third more work that MFU does not credit.

Settings from the environment (pytest) or flags (script): W2SBENCH_PEAK_TFLOPS (the device's
peak, in TFLOP/s, for the dtype used; default 1.0, i.e. MFU reads as TFLOP/s achieved),
W2SBENCH_BENCH_LADDER / W2SBENCH_BENCH_RUNG (default embedded / minilm-l6),
W2SBENCH_BENCH_BATCH (32), W2SBENCH_BENCH_MINIBATCH (8), W2SBENCH_BENCH_TOKENS (64 per example),
W2SBENCH_BENCH_LORA (0/1), W2SBENCH_BENCH_DTYPE (float32).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import torch

from w2sbench.core.losses import soft_cross_entropy
from w2sbench.models.finetune import FinetuneConfig, FinetuneStudent
from w2sbench.models.ladder import get_ladder


def mfu(parameters: int, tokens: int, seconds: float, peak_flops: float) -> float:
    """Model FLOPs utilisation of a training step: 6 * parameters * tokens / seconds / peak."""
    return 6.0 * parameters * tokens / seconds / peak_flops


def non_embedding_parameters(model: torch.nn.Module, backbone: torch.nn.Module) -> int:
    total = sum(p.numel() for p in model.parameters())
    embeddings = backbone.get_input_embeddings()
    return total - sum(p.numel() for p in embeddings.parameters())


@dataclass
class StepBench:
    """One ready-to-run optimiser step on a fixed batch of random token ids."""

    student: FinetuneStudent
    config: FinetuneConfig
    tokens_per_example: int

    def __post_init__(self):
        self.model = self.student.build(self.config)
        self.model.train(self.config.train_dropout)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.Adam(trainable, lr=self.config.learning_rate(self.student.parameter_count()))
        vocab = self.model.backbone.get_input_embeddings().num_embeddings
        gen = torch.Generator().manual_seed(0)
        ids = torch.randint(1000, min(vocab, 20000), (self.config.batch_size, self.tokens_per_example), generator=gen)
        self.rows = [{"input_ids": r.tolist(), "attention_mask": [1] * self.tokens_per_example} for r in ids]
        self.targets = torch.rand(self.config.batch_size, generator=gen).to(self.student.device)
        self.parameters = non_embedding_parameters(self.model, self.model.backbone)

    def step(self) -> None:
        self.student.train_step(self.model, self.rows, self.targets, soft_cross_entropy, 0.5, self.config)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        if self.student.device.startswith("cuda"):
            torch.cuda.synchronize()

    def report(self, seconds: float, peak_tflops: float) -> dict:
        tokens = self.config.batch_size * self.tokens_per_example
        return {
            "rung": self.student.name,
            "device": self.student.device,
            "non_embedding_parameters": self.parameters,
            "batch": self.config.batch_size,
            "minibatch": self.config.minibatch_size,
            "tokens_per_example": self.tokens_per_example,
            "seconds_per_step": seconds,
            "examples_per_s": self.config.batch_size / seconds,
            "tokens_per_s": tokens / seconds,
            "peak_tflops": peak_tflops,
            "mfu": mfu(self.parameters, tokens, seconds, peak_tflops * 1e12),
        }


def make_bench(ladder: str, rung: str, batch: int, minibatch: int, tokens: int, lora: bool, dtype: str) -> StepBench:
    config = FinetuneConfig(batch_size=batch, minibatch_size=minibatch, lora=lora, dtype=dtype, max_length=tokens)
    student = FinetuneStudent(get_ladder(ladder).rung(rung), 0, config)
    return StepBench(student, config, tokens)


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def test_mfu_formula():
    # 100M parameters, 32 x 512 tokens in 0.5 s on a 100 TFLOP/s device: 6e8 * 16384 / 0.5 / 1e14
    assert abs(mfu(100_000_000, 32 * 512, 0.5, 1e14) - 0.196608) < 1e-12


def test_finetune_step_throughput(benchmark):
    peak = float(_env("W2SBENCH_PEAK_TFLOPS", "1.0"))
    bench = make_bench(
        _env("W2SBENCH_BENCH_LADDER", "embedded"),
        _env("W2SBENCH_BENCH_RUNG", "minilm-l6"),
        int(_env("W2SBENCH_BENCH_BATCH", "32")),
        int(_env("W2SBENCH_BENCH_MINIBATCH", "8")),
        int(_env("W2SBENCH_BENCH_TOKENS", "64")),
        _env("W2SBENCH_BENCH_LORA", "0") == "1",
        _env("W2SBENCH_BENCH_DTYPE", "float32"),
    )
    benchmark.pedantic(bench.step, rounds=3, warmup_rounds=1, iterations=1)
    report = bench.report(benchmark.stats.stats.mean, peak)
    benchmark.extra_info.update(report)
    assert report["examples_per_s"] > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ladder", default="embedded")
    parser.add_argument("--rung", default="minilm-l6")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--minibatch", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=64, help="tokens per example")
    parser.add_argument("--lora", action="store_true")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    parser.add_argument("--peak-tflops", type=float, required=True, help="the device's peak TFLOP/s for --dtype")
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    bench = make_bench(args.ladder, args.rung, args.batch, args.minibatch, args.tokens, args.lora, args.dtype)
    bench.step()  # warm-up
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        bench.step()
        times.append(time.perf_counter() - start)
    for key, value in bench.report(sum(times) / len(times), args.peak_tflops).items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
