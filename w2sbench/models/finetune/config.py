"""Settings of the fine-tuning regime, defaulting to the paper's (openai/weak-to-strong) recipe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FinetuneConfig:
    """How a FinetuneStudent trains; part of every cache key that depends on training.

    Defaults follow openai/weak-to-strong: Adam without weight decay,
    batch 32, 2 epochs, cosine decay to 0 with no warm-up, dropout off during training (openai
    trains in eval mode; here the rates are zeroed, so gradient checkpointing still works), a
    bias-free linear head initialised at zero on the final hidden state, full fine-tuning.
    lr=None picks the learning rate by model size: 5e-5 under 500M parameters (gpt2,
    gpt2-medium), else 1e-5 (gpt2-large and up); with LoRA, EleutherAI/w2s's 5e-4 under 2B
    parameters (their Qwen1.5-0.5B), else 8e-5 (their Llama-3-8B).

    minibatch_size bounds activation memory: the loss always sees the whole batch (the adaptive
    threshold of aux-conf is a batch statistic), computed from a no-grad pass over the
    minibatches, then each minibatch is re-run and back-propagated with its slice of the
    batch loss's gradient. That is exact (the RNG state is replayed, so dropout masks match)
    and holds one minibatch's graph at a time, for one extra forward pass; openai's loop holds
    every minibatch's graph instead. Texts are truncated at max_length tokens (openai drops
    over-long examples instead); None uses the rung's max_length.
    """

    epochs: int = 2
    batch_size: int = 32
    minibatch_size: int = 8
    lr: float | None = None
    lr_schedule: Literal["cosine", "constant"] = "cosine"
    warmup_steps: int = 0
    optimizer: Literal["adam", "adamw"] = "adam"
    weight_decay: float = 0.0
    max_length: int | None = None
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 8
    lora_dropout: float = 0.0
    dtype: Literal["float32", "bfloat16"] = "float32"
    train_dropout: bool = False
    gradient_checkpointing: bool = False
    select_every: int = 0  # with a select: score every N optimizer steps; 0 = at the end of each epoch
    eval_batch_size: int = 32

    def __post_init__(self):
        for name in ("epochs", "batch_size", "minibatch_size", "lora_r", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"FinetuneConfig.{name} must be at least 1")
        if self.lr is not None and self.lr <= 0:
            raise ValueError("FinetuneConfig.lr must be positive")

    def learning_rate(self, parameters: int) -> float:
        if self.lr is not None:
            return self.lr
        if self.lora:
            return 5e-4 if parameters < 2_000_000_000 else 8e-5
        return 5e-5 if parameters < 500_000_000 else 1e-5
