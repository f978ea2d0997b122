"""Few-shot prompting with weak labels (Burns et al. 2023, section 5.2.1): the strong causal LM
answers each input after k weakly-labelled demonstrations; no weights change."""

from __future__ import annotations

import numpy as np
import torch

from w2sbench.core.errors import W2SError
from w2sbench.core.example import Inputs
from w2sbench.models.encoder import pool
from w2sbench.models.finetune.student import FinetuneStudent


def pick_demonstrations(weak: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k transfer indices, half with weak label 1 and half 0 where possible, in random order."""
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(weak > 0.5), np.flatnonzero(weak <= 0.5)
    half = k // 2 + (int(rng.integers(2)) if k % 2 else 0)
    n_pos = min(len(pos), half)
    n_neg = min(len(neg), k - n_pos)
    n_pos = min(len(pos), k - n_neg)  # top up from the positives if the negatives ran short
    chosen = np.concatenate([rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)])
    return rng.permutation(chosen).astype(int)


class FewShotPredictor:
    """P(class 1) = softmax over the next-token logits of the two label words, after the prompt."""

    def __init__(
        self, student: FinetuneStudent, prefix: str, label_words: tuple[str, str], template: str, batch_size: int = 8
    ):
        self.student, self.prefix, self.template, self.batch_size = student, prefix, template, batch_size
        tok = student.tokenizer
        ids = [tok(w, add_special_tokens=False)["input_ids"] for w in label_words]
        if any(len(i) == 0 for i in ids) or ids[0][0] == ids[1][0]:
            raise W2SError(f"few-shot: label words {label_words!r} must start with two different tokens")
        self.label_ids = [ids[0][0], ids[1][0]]
        self._lm = None

    @property
    def lm(self):
        if self._lm is None:
            self._lm = self.student.load_causal_lm().eval()
        return self._lm

    def prompts(self, inputs: Inputs) -> list[str]:
        return [self.prefix + self.template.format(text=t, answer="").rstrip() for t in self.student.texts(inputs)]

    @torch.no_grad()
    def __call__(self, inputs: Inputs) -> np.ndarray:
        tok = self.student.tokenizer
        limit = getattr(self.lm.config, "max_position_embeddings", None) or 2048
        rows = []
        for p in self.prompts(inputs):
            ids = tok(p)["input_ids"][-limit:]  # keep the end: the query and its answer slot
            rows.append({"input_ids": ids, "attention_mask": [1] * len(ids)})
        out = np.zeros(len(rows), dtype=np.float64)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]["input_ids"]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            batch = self.student.collate([rows[i] for i in idx])
            hidden = self.lm.base_model(**batch).last_hidden_state
            last = pool(hidden, batch["attention_mask"], "last_token")
            logits = self.lm.get_output_embeddings()(last).float()[:, self.label_ids]
            out[idx] = torch.softmax(logits, -1)[:, 1].cpu().numpy()
        return out


def few_shot_predictor(
    student: FinetuneStudent,
    transfer: Inputs,
    weak: np.ndarray,
    k: int,
    label_words: tuple[str, str],
    template: str,
    seed: int,
) -> FewShotPredictor:
    """A predictor prompting with k demonstrations from transfer, each answered by its hard weak label."""
    if student.rung.kind != "causal_lm":
        raise W2SError(
            f"few-shot prompting needs a causal language model; rung {student.name} is an {student.rung.kind}"
        )
    idx = pick_demonstrations(np.asarray(weak), k, seed)
    texts = student.texts(transfer.subset(idx))
    prefix = "".join(
        template.format(text=t, answer=label_words[int(weak[i] > 0.5)]) for t, i in zip(texts, idx, strict=False)
    )
    return FewShotPredictor(student, prefix, label_words, template)
