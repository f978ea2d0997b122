"""Scoring a generative task's choices: the prompt's key/value cache shared by every choice
(w2sbench.models.language_model) against running prompt + choice as one full sequence per
choice (all choices of a prompt in one padded batch), side by side on the same model.

    python -m pytest benchmarks/bench_choice_scoring.py

A random Llama (hidden 256, 4 layers) with the tests' chess tokenizer, 8 prompts of
chess_first_move (about 30 legal moves each). Both give the same log-likelihoods (checked);
extra_info holds the mean seconds per prompt, so the ratio of the two rows is the saving.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.generative.conftest import _tokenizer, chess_prompts, tiny_rung

from w2sbench.core.prompt import Prompts
from w2sbench.models.language_model import LanguageModel

N_PROMPTS = 8


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from transformers import LlamaConfig, LlamaForCausalLM

    examples = chess_prompts()
    tok = _tokenizer([e.prompt + " " + " ".join(e.choices) for e in examples])
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=256,
        intermediate_size=512,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=256,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
    )
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("bench-lm")
    LlamaForCausalLM(config).save_pretrained(folder)
    tok.save_pretrained(folder)
    return LanguageModel(tiny_rung("bench-lm", str(folder)), 0).pretrained()


@torch.no_grad()
def full_sequences(fitted, prompts: Prompts) -> list[np.ndarray]:
    """The uncached baseline: every choice scored as its own prompt + completion sequence."""
    student, out = fitted.student, []
    for prompt, choices in zip(prompts.prompts, prompts.choices, strict=False):
        context = student.prompt_ids(prompt)
        targets = [student.completion_ids(c) for c in choices]
        width = len(context) + max(len(t) for t in targets)
        ids = torch.full((len(choices), width), student.tokenizer.pad_token_id)
        for j, t in enumerate(targets):
            ids[j, : len(context) + len(t)] = torch.tensor(context + t)
        logp = fitted.lm(input_ids=ids).logits.float().log_softmax(-1)
        out.append(
            np.array(
                [
                    sum(float(logp[j, len(context) - 1 + k, tok]) for k, tok in enumerate(t))
                    for j, t in enumerate(targets)
                ]
            )
        )
    return out


PROMPTS = Prompts.of(chess_prompts(N_PROMPTS))


def per_prompt(benchmark) -> None:
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["seconds_per_prompt"] = benchmark.stats.stats.mean / N_PROMPTS


def test_shared_prompt_cache(benchmark, model):
    scores = benchmark(model.log_likelihoods, PROMPTS)
    np.testing.assert_allclose(np.concatenate(scores), np.concatenate(full_sequences(model, PROMPTS)), atol=1e-3)
    per_prompt(benchmark)


def test_full_sequence_per_choice(benchmark, model):
    benchmark(full_sequences, model, PROMPTS)
    per_prompt(benchmark)
