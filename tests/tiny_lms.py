"""Tiny causal language models on CPU: a byte-level BPE tokenizer trained on chess prompts and
randomly initialised Llama models of two sizes, saved as Hub-style folders a rung can load."""

from __future__ import annotations

import pytest
import torch

from w2sbench.models.ladder import Ladder, Rung
from w2sbench.tasks.loading import load_task_data
from w2sbench.tasks.task import get_task


@pytest.fixture(scope="session")
def lm_cache(tmp_path_factory):
    """One weak-label/ceiling cache shared by the generative protocol tests (same task and ladder)."""
    return tmp_path_factory.mktemp("lm-cache")


def chess_prompts(n: int = 200):
    return load_task_data(get_task("chess_first_move")).pool[:n]


def _tokenizer(texts):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=400, special_tokens=["<pad>", "<eos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>")


@pytest.fixture(scope="session")
def tiny_lm_dirs(tmp_path_factory):
    """{name: folder} of two tiny Llama models (hidden 16 and 48) sharing one tokenizer."""
    from transformers import LlamaConfig, LlamaForCausalLM

    examples = chess_prompts()
    tok = _tokenizer([e.prompt + " " + " ".join(e.choices) for e in examples])
    dirs = {}
    for name, hidden in (("tiny-lm-s", 16), ("tiny-lm-l", 48)):
        torch.manual_seed(0)
        config = LlamaConfig(
            vocab_size=len(tok),
            hidden_size=hidden,
            intermediate_size=2 * hidden,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=256,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
        )
        folder = tmp_path_factory.mktemp(name)
        LlamaForCausalLM(config).save_pretrained(folder)
        tok.save_pretrained(folder)
        dirs[name] = str(folder)
    return dirs


def tiny_rung(name: str, folder: str) -> Rung:
    return Rung(
        name=name,
        model=folder,
        unpinned_reason="a test model in a temporary folder",
        kind="causal_lm",
        pooling="last_token",
        max_length=128,
    )


@pytest.fixture(scope="session")
def tiny_lm_ladder(tiny_lm_dirs) -> Ladder:
    return Ladder(
        name="tiny-lm",
        description="two tiny random Llama models (tests)",
        rungs=[tiny_rung(n, d) for n, d in tiny_lm_dirs.items()],
    )
