"""The causal-LM student on tiny random Llama models: choice scoring against a plain forward
pass (known answer), training that learns, and the errors of bad targets and wrong rungs."""

import numpy as np
import pytest
import torch

from tests.tiny_lms import chess_prompts, tiny_rung
from w2sbench.core.errors import W2SError
from w2sbench.core.prompt import Prompts, answers_of
from w2sbench.models.finetune import FinetuneConfig
from w2sbench.models.ladder import get_ladder
from w2sbench.models.language_model import LanguageModel

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny language models: one torch thread


@pytest.fixture
def small(tiny_lm_dirs):
    return LanguageModel(
        tiny_rung("tiny-lm-s", tiny_lm_dirs["tiny-lm-s"]), 0, FinetuneConfig(epochs=1, batch_size=8, minibatch_size=4)
    )


def test_cached_choice_scores_equal_a_full_forward_pass(small):
    prompts = Prompts.of(chess_prompts(3))
    model = small.pretrained()
    scores = model.log_likelihoods(prompts)
    for prompt, choices, got in zip(prompts.prompts, prompts.choices, scores, strict=False):
        context = small.prompt_ids(prompt)
        expected = []
        for choice in choices:
            target = small.completion_ids(choice)
            with torch.no_grad():
                logp = model.lm(input_ids=torch.tensor([context + target])).logits[0].log_softmax(-1)
            expected.append(sum(float(logp[len(context) - 1 + k, t]) for k, t in enumerate(target)))
        np.testing.assert_allclose(got, expected, atol=1e-4)
    for dist in model(prompts):
        assert dist.min() >= 0 and abs(dist.sum() - 1) < 1e-9


def test_completions_end_with_the_end_of_text_token(small):
    ids = small.completion_ids("Nf3")
    assert ids[-1] == small.tokenizer.eos_token_id
    assert small.tokenizer.decode(ids[:-1]) == " Nf3"


def test_fitting_teaches_the_targets(tiny_lm_dirs):
    """Trained hard on 12 prompts, the larger tiny model picks their targets far above chance."""
    examples = chess_prompts(12)
    prompts, answers = Prompts.of(examples), answers_of(examples)
    large = LanguageModel(
        tiny_rung("tiny-lm-l", tiny_lm_dirs["tiny-lm-l"]),
        0,
        FinetuneConfig(epochs=40, batch_size=12, minibatch_size=12, lr=3e-3),
    )
    before = np.mean([d.argmax() == a for d, a in zip(large.pretrained()(prompts), answers, strict=False)])
    after = np.mean([d.argmax() == a for d, a in zip(large.fit(prompts, answers)(prompts), answers, strict=False)])
    assert after >= 0.5 > before + 0.2


def test_targets_must_be_choice_indices(small):
    prompts = Prompts.of(chess_prompts(2))
    with pytest.raises(ValueError, match="choice indices"):
        small.fit(prompts, np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="not an index"):
        small.fit(prompts, np.array([0, 999]))


def test_an_encoder_rung_is_refused():
    with pytest.raises(W2SError, match="causal language models"):
        LanguageModel(get_ladder("embedded").rung("minilm-l3"), 0)
