"""Generative fine-tuning (Burns et al. 2023, section 5.2.2): language-model training on the
task's unlabelled text before weak-label training."""

from __future__ import annotations


import numpy as np
import torch

from w2sbench.finetune.config import FinetuneConfig
from w2sbench.finetune.student import FinetuneStudent, optimizer_for, prepare_for_training


def generative_finetune(student: FinetuneStudent, texts: list[str], config: FinetuneConfig) -> FinetuneStudent:
    """Next-token training of the student's causal LM on ``texts``; returns the same rung
    starting from the adapted backbone (LoRA adapters, if used, are merged in).

    Uses config's epochs, batch size, minibatch size, optimiser, schedule and learning rate
    (lr=None: the size rule of FinetuneConfig). Padding is masked out of the loss.
    """
    lm = prepare_for_training(student.load_causal_lm(config), config)
    lm.train()
    tok = student.tokenizer
    max_length = config.max_length or student.rung.max_length
    encoded = [{"input_ids": ids, "attention_mask": [1] * len(ids)}
               for ids in tok(texts, truncation=True, max_length=max_length)["input_ids"]]
    size = sum(p.numel() for p in lm.base_model.parameters())
    opt, sched, steps_per_epoch, _ = optimizer_for(lm, size, len(encoded), config)
    rng = np.random.default_rng(student.seed)
    torch.manual_seed(student.seed)
    for _ in range(config.epochs):
        order = rng.permutation(len(encoded))
        for b in range(steps_per_epoch):
            rows = [encoded[i] for i in order[b * config.batch_size : (b + 1) * config.batch_size]]
            n_tokens = sum(max(0, len(r["input_ids"]) - 1) for r in rows)
            for start in range(0, len(rows), config.minibatch_size):
                batch = student.collate(rows[start : start + config.minibatch_size])
                labels = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)
                logits = lm(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
                # token-summed loss over the minibatch, divided by the batch's token count: the
                # accumulated gradient is the batch's per-token mean, however it is split
                loss = torch.nn.functional.cross_entropy(
                    logits[:, :-1].float().reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                    ignore_index=-100, reduction="sum") / max(1, n_tokens)
                loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
    if config.lora:
        lm = lm.merge_and_unload()
    state = {k: v.detach().to("cpu", copy=True) for k, v in lm.state_dict().items()}
    del lm, opt
    return student.derived(state)
