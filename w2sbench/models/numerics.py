"""How a rung's encoder computes: the dtype and attention kernel behind its features.

On a CPU with native bf16 instructions (AVX512-BF16 or AMX) bf16 autocast embeds about three
times faster than fp32 (benchmarks/embedding_paths.py) and moves no score beyond its interval,
so it is the default there; elsewhere the harness says so in one line and runs fp32.

Two things are kept apart, because they answer different questions:
- the *setting* (dtype, attention implementation) is chosen, so it enters the rung's key and
  with it every feature cache folder and every record's experiment key;
- the *kernels* (torch's version and the instruction set its CPU kernels dispatch to) are
  observed, so they enter the feature cache folder and each record's provenance: a re-run on
  other kernels may differ in the last bits, and validate says that instead of "forged".

``W2SBENCH_NUMERICS`` (auto, fp32, bf16) overrides the choice; validate sets it to the setting
of the records it re-runs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from typing import Literal

import torch

from w2sbench.core.errors import W2SError

ENV = "W2SBENCH_NUMERICS"
CHOICES = ("auto", "fp32", "bf16")
# transformers' own choice per architecture (sdpa for the MiniLMs; MPNet has only eager): the
# attention kernels measured side by side moved nothing that eager vs sdpa would justify forcing
ATTENTION = "default"


@dataclass(frozen=True)
class Numerics:
    """A rung's numeric setting: part of its identity (Rung.key)."""

    dtype: Literal["fp32", "bf16"]
    attention: str = ATTENTION

    def identity(self) -> dict:
        return asdict(self)

    def autocast(self, device: str):
        """The context the encoder's forward pass runs in."""
        return torch.autocast(device, dtype=torch.bfloat16, enabled=self.dtype == "bf16")


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Whether this CPU has bf16 instructions (without them bf16 is emulated, and slower than fp32);
    asked once: every rung key reads the setting."""
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


@cache
def _fallback_note() -> None:
    print(
        "w2sbench: this CPU has no native bf16 (AVX512-BF16 or AMX): encoders run in fp32, about 3x "
        f"slower, and their features and records are keyed fp32 (set {ENV}=bf16 to emulate bf16)",
        file=sys.stderr,
    )


def current(device: str | None = None) -> Numerics:
    """The setting in force: the override, else bf16 on a CPU that has it natively, else fp32."""
    choice = os.environ.get(ENV, "auto") or "auto"
    if choice not in CHOICES:
        raise W2SError(f"${ENV}={choice!r}: expected one of {', '.join(CHOICES)}")
    if choice != "auto":
        return Numerics(choice)
    if (device or default_device()) != "cpu":
        return Numerics("fp32")  # the GPU path keeps the precision it was measured with
    if native_bf16():
        return Numerics("bf16")
    _fallback_note()
    return Numerics("fp32")


def kernels(device: str | None = None) -> str:
    """The kernels a setting runs on here: what a bit-exact re-run also needs."""
    device = device or default_device()
    if device != "cpu":
        return f"torch {torch.__version__} {device} {torch.cuda.get_device_name()}"
    isa = [torch.backends.cpu.get_cpu_capability()]
    isa += [
        name
        for name, has in (
            ("avx512_bf16", torch.cpu._is_avx512_bf16_supported()),
            ("amx", torch.cpu._is_amx_tile_supported()),
        )
        if has
    ]
    return f"torch {torch.__version__} cpu {'+'.join(isa)}"


@contextlib.contextmanager
def using(dtype: str) -> Iterator[None]:
    """Run with a given setting (validate re-runs records with the setting they were made with)."""
    before = os.environ.get(ENV)
    os.environ[ENV] = dtype
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
