"""Language-model training: generative fine-tuning (Burns et al. 2023, section 5.2.2) on the
task's unlabelled text before weak-label training, and the next-token loop it shares with the
generative framing's students (w2sbench.models.language_model)."""

from __future__ import annotations

import numpy as np
import torch

from w2sbench.models.finetune.config import FinetuneConfig
from w2sbench.models.finetune.student import (
    FinetuneStudent,
    optimizer_for,
    prepare_for_training,
)

IGNORE = -100  # a label position that is context, not a target


def generative_finetune(student: FinetuneStudent, texts: list[str], config: FinetuneConfig) -> FinetuneStudent:
    """Next-token training of the student's causal LM on ``texts``; returns the same rung
    starting from the adapted backbone (LoRA adapters, if used, are merged in).

    Uses config's epochs, batch size, minibatch size, optimiser, schedule and learning rate
    (lr=None: the size rule of FinetuneConfig). Padding is masked out of the loss.
    """
    lm = prepare_for_training(student.load_causal_lm(config), config)
    max_length = config.max_length or student.rung.max_length
    rows = [(ids, ids) for ids in student.tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    size = sum(p.numel() for p in lm.base_model.parameters())
    lm = train_next_tokens(lm, rows, student.tokenizer.pad_token_id, size, config, student.seed, student.device)
    state = {k: v.detach().to("cpu", copy=True) for k, v in lm.state_dict().items()}
    del lm
    return student.derived(state)


def train_next_tokens(
    lm: torch.nn.Module,
    rows: list[tuple[list[int], list[int]]],
    pad_id: int,
    parameters: int,
    config: FinetuneConfig,
    seed: int,
    device: str,
) -> torch.nn.Module:
    """Train ``lm`` (already prepared) with next-token cross-entropy on rows of (token ids,
    labels), a label of IGNORE marking context; returns it in eval mode, LoRA merged in.

    The loss is token-summed over each minibatch and divided by the batch's target tokens, so
    the accumulated gradient is the batch's per-token mean however the batch is split.
    """
    lm.train()
    opt, sched, steps_per_epoch, _ = optimizer_for(lm, parameters, len(rows), config)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    for _ in range(config.epochs):
        order = rng.permutation(len(rows))
        for b in range(steps_per_epoch):
            batch = [rows[i] for i in order[b * config.batch_size : (b + 1) * config.batch_size]]
            n_tokens = sum(sum(1 for y in labels[1:] if y != IGNORE) for _, labels in batch)
            for start in range(0, len(batch), config.minibatch_size):
                ids, labels, mask = _padded(batch[start : start + config.minibatch_size], pad_id, device)
                logits = lm(input_ids=ids, attention_mask=mask).logits
                loss = torch.nn.functional.cross_entropy(
                    logits[:, :-1].float().reshape(-1, logits.shape[-1]),
                    labels[:, 1:].reshape(-1),
                    ignore_index=IGNORE,
                    reduction="sum",
                ) / max(1, n_tokens)
                loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
    del opt
    if config.lora:
        lm = lm.merge_and_unload()
    return lm.eval()


def _padded(rows: list[tuple[list[int], list[int]]], pad_id: int, device: str):
    """Right-padded (ids, labels, attention mask); padding is never a target."""
    width = max(len(ids) for ids, _ in rows)
    ids = torch.tensor([x + [pad_id] * (width - len(x)) for x, _ in rows], device=device)
    labels = torch.tensor([y + [IGNORE] * (width - len(y)) for _, y in rows], device=device)
    mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in rows], device=device)
    return ids, labels, mask
