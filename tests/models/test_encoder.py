"""Pooling uses the attention mask, on either padding side (the openai/weak-to-strong pad-id bug)."""

import torch

from w2sbench.models.encoder import pool

HIDDEN = torch.tensor([[[1.0], [3.0], [100.0]], [[2.0], [4.0], [6.0]]])


def test_mean_pooling_ignores_padding():
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert pool(HIDDEN, mask, "mean").squeeze(-1).tolist() == [2.0, 4.0]


def test_last_token_right_and_left_padding():
    right = torch.tensor([[1, 1, 0], [1, 1, 1]])
    assert pool(HIDDEN, right, "last_token").squeeze(-1).tolist() == [3.0, 6.0]
    left = torch.tensor([[0, 1, 1], [1, 1, 1]])
    assert pool(HIDDEN, left, "last_token").squeeze(-1).tolist() == [100.0, 6.0]


# ------------------------------------------------------------------ canonical batches, on the real rungs

import random  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from w2sbench.models import numerics  # noqa: E402
from w2sbench.models.encoder import Encoder  # noqa: E402
from w2sbench.models.ladder import get_ladder  # noqa: E402

WORDS = "the bank of a river holds money and a heron waits by the quiet water at dawn".split()


def sentences(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 70))) for _ in range(n)]


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
@pytest.mark.parametrize("rung", ["minilm-l3", "mpnet-base"])
def test_a_texts_features_do_not_depend_on_its_batch(rung, dtype):
    """Bit-identical features for a text whatever its companions, their order and the batch size:
    the property the feature cache's order independence rests on."""
    texts = sentences(70, 0)
    with numerics.using(dtype):
        encoder = Encoder(get_ladder("embedded").rung(rung), batch_size=16)
        assert encoder.numerics.dtype == dtype
        alone = encoder.embed(texts)
        order = list(range(len(texts)))
        random.Random(1).shuffle(order)
        shuffled = encoder.embed([texts[i] for i in order])
        mixed = encoder.embed(texts[:5] + sentences(40, 2) + texts[5:])  # other companions, other lengths
        encoder.batch_size = 3
        small = encoder.embed(texts)
    assert np.array_equal(shuffled, alone[order])
    assert np.array_equal(np.concatenate([mixed[:5], mixed[45:]]), alone)
    assert np.array_equal(small, alone)


@pytest.mark.slow
def test_padding_to_the_batchs_longest_text_would_move_the_bits():
    """Why lengths are canonical: the same text padded to 40 and to 64 positions differs (so a
    test of order independence over mixed lengths can fail)."""
    encoder = Encoder(get_ladder("embedded").rung("minilm-l6"))
    tokenizer, model = encoder._loaded
    text = " ".join(WORDS * 2)  # 34 tokens
    outs = []
    for length in (40, 64):
        batch = tokenizer([text], padding="max_length", max_length=length, return_tensors="pt")
        with torch.inference_mode():
            outs.append(pool(model(**batch).last_hidden_state, batch["attention_mask"], "mean"))
    assert not torch.equal(outs[0], outs[1])
    assert torch.allclose(outs[0], outs[1], atol=1e-5)  # last bits only


@pytest.mark.slow
def test_the_parameter_count_is_the_loaded_models_without_loading_it():
    encoder = Encoder(get_ladder("embedded").rung("minilm-l6"))
    counted = encoder.parameter_count
    assert "_loaded" not in encoder.__dict__  # no weights read
    assert counted == sum(p.numel() for p in encoder._loaded[1].parameters()) == 22_713_216
