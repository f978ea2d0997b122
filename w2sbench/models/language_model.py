"""A causal-LM rung as a generative student: fine-tuned to write a prompt's completion, it
predicts by scoring each of the prompt's choices.

Prediction is the paper's temperature-0 answer restricted to the admissible completions: each
choice's log-likelihood after the prompt (its tokens plus the end-of-text token, so a choice
that is a prefix of another is not favoured), softmaxed over the choices. The prompt is run
once and its key/value cache is shared by every choice.
"""

from __future__ import annotations

import numpy as np
import torch

from w2sbench.core.errors import W2SError
from w2sbench.core.prompt import Prompts
from w2sbench.models.finetune.config import FinetuneConfig
from w2sbench.models.finetune.generative import IGNORE, train_next_tokens
from w2sbench.models.finetune.student import FinetuneStudent, prepare_for_training
from w2sbench.models.ladder import Rung

RESERVED = 16  # tokens kept free for the completion when a long prompt is truncated (from the left)


class FittedLanguageModel:
    """A (fine-tuned) language model: the predictor, Prompts -> a distribution over each prompt's choices."""

    def __init__(self, student: LanguageModel, lm: torch.nn.Module):
        self.student, self.lm = student, lm.eval()

    @torch.no_grad()
    def log_likelihoods(self, prompts: Prompts) -> list[np.ndarray]:
        """Per prompt, the summed log-probability of each choice's tokens after the prompt."""
        out = []
        device = self.student.device
        pad = self.student.tokenizer.pad_token_id
        for prompt, choices in zip(prompts.prompts, prompts.choices, strict=False):
            ids = torch.tensor([self.student.prompt_ids(prompt)], device=device)
            targets = [self.student.completion_ids(c) for c in choices]
            first = self.lm(input_ids=ids, use_cache=True)
            head = first.logits[0, -1].float().log_softmax(-1)
            cache = first.past_key_values
            cache.batch_repeat_interleave(len(choices))
            width = max(len(t) for t in targets)
            tokens = torch.full((len(choices), width), pad, dtype=torch.long, device=device)
            mask = torch.zeros((len(choices), width), dtype=torch.long, device=device)
            for j, t in enumerate(targets):
                tokens[j, : len(t)] = torch.tensor(t)
                mask[j, : len(t)] = 1
            attention = torch.cat([torch.ones((len(choices), ids.shape[1]), dtype=torch.long, device=device), mask], 1)
            logp = (
                self.lm(input_ids=tokens, attention_mask=attention, past_key_values=cache)
                .logits.float()
                .log_softmax(-1)
            )
            # token t of a choice is predicted at position t-1 (t = 0: by the prompt's last position)
            later = logp[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0] * mask[:, 1:]
            out.append((head[tokens[:, 0]] + later.sum(-1)).cpu().numpy().astype(np.float64))
        return out

    def __call__(self, prompts: Prompts) -> list[np.ndarray]:
        return [np.exp(s - s.max()) / np.exp(s - s.max()).sum() for s in self.log_likelihoods(prompts)]


class LanguageModel:
    """A rung as a generative student. Every fit starts from the pretrained weights (loading,
    tokenizer and training settings are the fine-tuning regime's: FinetuneStudent, FinetuneConfig)."""

    def __init__(
        self,
        rung: Rung,
        seed: int,
        config: FinetuneConfig = FinetuneConfig(),
        *,
        device: str | None = None,
        source: str | None = None,
    ):
        if rung.kind != "causal_lm":
            raise W2SError(
                f"rung {rung.name} is an {rung.kind}: a generative task needs causal language models "
                "(a ladder such as gpt2)"
            )
        self.base = FinetuneStudent(rung, seed, config, device=device, source=source)
        self.rung, self.name, self.seed, self.config = rung, rung.name, seed, config
        self.device = self.base.device

    @property
    def tokenizer(self):
        return self.base.tokenizer

    def prompt_ids(self, prompt: str) -> list[int]:
        ids = self.tokenizer(prompt)["input_ids"]
        keep = (self.config.max_length or self.rung.max_length) - RESERVED
        return ids[-keep:] if len(ids) > keep else ids

    def completion_ids(self, choice: str) -> list[int]:
        ids = self.tokenizer(" " + choice, add_special_tokens=False)["input_ids"]
        eos = self.tokenizer.eos_token_id
        return ids + ([eos] if eos is not None else [])

    def pretrained(self) -> FittedLanguageModel:
        """The rung as it ships, untrained on the task (zero-shot)."""
        return FittedLanguageModel(self, self.base.load_causal_lm())

    def fit(
        self, prompts: Prompts, targets: np.ndarray, *, config: FinetuneConfig | None = None
    ) -> FittedLanguageModel:
        """Fine-tune a fresh copy to write choice ``targets[i]`` after prompt i (cross-entropy on
        the completion's tokens only; the prompt is context, not a target)."""
        config = config or self.config
        targets = np.asarray(targets)
        if targets.shape != (len(prompts),) or not np.issubdtype(targets.dtype, np.integer):
            raise ValueError(
                f"targets must be {len(prompts)} choice indices, got shape {targets.shape} {targets.dtype}"
            )
        if any(not 0 <= t < len(c) for t, c in zip(targets, prompts.choices, strict=False)):
            raise ValueError("a target is not an index into its prompt's choices")
        lm = prepare_for_training(self.base.load_causal_lm(config), config)
        rows = []
        for prompt, choices, t in zip(prompts.prompts, prompts.choices, targets, strict=False):
            context, answer = self.prompt_ids(prompt), self.completion_ids(choices[t])
            rows.append((context + answer, [IGNORE] * len(context) + answer))
        size = sum(p.numel() for p in lm.base_model.parameters())  # the learning-rate rule's size, as loaded
        lm = train_next_tokens(lm, rows, self.tokenizer.pad_token_id, size, config, self.seed, self.device)
        return FittedLanguageModel(self, lm)
