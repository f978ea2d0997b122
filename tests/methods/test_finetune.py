"""The fine-tuning regime on CPU: tiny random transformers (fast) and the smallest packaged
encoder on a tiny task. Methods run on a FinetuneStudent unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.methods.conftest import RecordingStudent, context
from w2sbench.core.errors import W2SError
from w2sbench.core.example import Inputs
from w2sbench.core.losses import AuxConfidence
from w2sbench.methods.api import MethodContext, make_method
from w2sbench.models.finetune import (
    FinetuneConfig,
    FinetuneStudent,
    make_finetune_student,
)
from w2sbench.models.finetune.fewshot import pick_demonstrations
from w2sbench.models.finetune.generative import generative_finetune
from w2sbench.models.ladder import Rung

GOOD = ["great", "wonderful", "excellent", "lovely", "superb", "delightful", "fantastic", "pleasant"]
BAD = ["terrible", "awful", "horrible", "dreadful", "nasty", "miserable", "atrocious", "unpleasant"]
FAST = FinetuneConfig(epochs=2, batch_size=8, minibatch_size=4, lr=1e-3, max_length=16)


def sentiment(n: int, seed: int = 0, prefix: str = "x"):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        y = i % 2
        word = (GOOD if y else BAD)[rng.integers(len(GOOD))]
        filler = " very" * int(rng.integers(0, 4))  # lengths differ, so batches are padded
        texts.append(f"the {['film', 'meal', 'trip', 'book'][rng.integers(4)]} was{filler} {word}")
        labels.append(y)
    return Inputs(tuple(f"{prefix}{i}" for i in range(n)), tuple(texts)), np.array(labels, dtype=np.float64)


def _tokenizer_dir():
    """MiniLM's uncased BERT tokenizer, read from its pip package (no preparation needed)."""
    from w2sbench.models.packaged import materialize

    try:
        return materialize("all-MiniLM-L6-v2")
    except W2SError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A randomly initialised 2-layer BERT with MiniLM's tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    torch.manual_seed(0)
    BertModel(
        BertConfig(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=64
        )
    ).save_pretrained(folder)
    AutoTokenizer.from_pretrained(_tokenizer_dir()).save_pretrained(folder)
    rung = Rung(name="tiny-bert", model="test/tiny-bert", unpinned_reason="test double", max_length=32)
    return rung, str(folder)


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory):
    """A randomly initialised 2-layer Llama (a causal LM) with MiniLM's tokenizer."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-llama")
    tok = AutoTokenizer.from_pretrained(_tokenizer_dir())
    torch.manual_seed(0)
    LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tok),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=2,
            intermediate_size=64,
            max_position_embeddings=512,
            pad_token_id=tok.pad_token_id,
        )
    ).save_pretrained(folder)
    tok.save_pretrained(folder)
    rung = Rung(
        name="tiny-llama",
        model="test/tiny-llama",
        unpinned_reason="test double",
        kind="causal_lm",
        pooling="last_token",
        max_length=32,
    )
    return rung, str(folder)


def student_of(fixture, config=FAST, seed=0) -> FinetuneStudent:
    rung, folder = fixture
    return FinetuneStudent(rung, seed, config, device="cpu", source=folder)


def test_defaults_are_the_papers_recipe():
    c = FinetuneConfig()
    assert (c.epochs, c.batch_size, c.optimizer, c.weight_decay, c.lr_schedule, c.warmup_steps) == (
        2,
        32,
        "adam",
        0.0,
        "cosine",
        0,
    )
    assert not c.lora and not c.train_dropout
    assert c.learning_rate(124_000_000) == 5e-5 and c.learning_rate(355_000_000) == 5e-5  # gpt2, gpt2-medium
    assert c.learning_rate(774_000_000) == 1e-5 and c.learning_rate(7_000_000_000) == 1e-5
    lora = FinetuneConfig(lora=True)
    assert lora.learning_rate(500_000_000) == 5e-4 and lora.learning_rate(8_000_000_000) == 8e-5
    assert FinetuneConfig(lr=3e-4).learning_rate(10**10) == 3e-4
    with pytest.raises(ValueError):
        FinetuneConfig(batch_size=0)


def test_factory_builds_a_student_for_a_rung():
    from w2sbench.models.ladder import get_ladder

    rung = get_ladder("embedded").rung("minilm-l6")
    s = make_finetune_student(rung, 3)
    assert (s.name, s.seed, s.config) == ("minilm-l6", 3, FinetuneConfig())


@pytest.mark.parametrize("dropout", [False, True])
def test_minibatched_step_has_the_full_batch_gradient(tiny_encoder, dropout):
    """The loss sees the whole batch (aux-conf's threshold is a batch statistic) while only one
    minibatch's graph is alive; replaying the RNG keeps dropout masks identical."""
    config = FinetuneConfig(batch_size=8, minibatch_size=3, max_length=16, train_dropout=dropout)
    s = student_of(tiny_encoder, config)
    inputs, _ = sentiment(8)
    rows = s.tokenize(inputs)
    y = torch.tensor([0.9, 0.2, 0.7, 0.4, 0.6, 0.1, 0.8, 0.3])
    loss = AuxConfidence(alpha_max=0.75, warmup=0.2)
    model = s.build(config)
    model.train()
    with torch.no_grad():
        model.head.weight.normal_()  # a non-zero head, so every parameter gets a gradient

    torch.manual_seed(1)
    chunks = [rows[i : i + 3] for i in range(0, 8, 3)]
    logits = torch.cat([model(**s.collate(c)).float() for c in chunks])  # keeps every graph (openai's way)
    loss(logits, y, 0.5).backward()
    reference = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    assert "head.weight" in reference and len(reference) > 10  # (BERT's unused pooler gets none)
    model.zero_grad(set_to_none=True)

    torch.manual_seed(1)
    s.train_step(model, rows, y, loss, 0.5, config)
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert grads.keys() == reference.keys()
    for name, g in grads.items():
        assert torch.allclose(g, reference[name], atol=1e-6, rtol=1e-4), name


def gradients(student: FinetuneStudent, config: FinetuneConfig) -> dict[str, torch.Tensor]:
    inputs, _ = sentiment(4)
    model = student.build(config)
    model.train()
    with torch.no_grad():
        model.head.weight.copy_(torch.linspace(-1, 1, model.head.weight.numel()).view_as(model.head.weight))
    student.train_step(
        model, student.tokenize(inputs, config), torch.tensor([0.9, 0.2, 0.7, 0.4]), AuxConfidence(), 0.5, config
    )
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("lora", [False, True])
def test_dropout_is_off_and_gradient_checkpointing_changes_nothing(tiny_encoder, lora):
    base = dict(batch_size=4, minibatch_size=2, max_length=16, lora=lora)
    s = student_of(tiny_encoder, FinetuneConfig(**base))
    plain = gradients(s, FinetuneConfig(**base))
    assert plain.keys() == gradients(s, FinetuneConfig(**base)).keys()
    again = gradients(s, FinetuneConfig(**base))
    assert all(torch.equal(plain[k], again[k]) for k in plain)  # training mode, yet deterministic
    checkpointed = gradients(s, FinetuneConfig(**base, gradient_checkpointing=True))
    assert checkpointed.keys() == plain.keys()
    for k in plain:
        assert torch.allclose(checkpointed[k], plain[k], atol=1e-6, rtol=1e-4), k
    if lora:
        assert all("lora_" in k or k == "head.weight" for k in plain)


def test_predictions_do_not_depend_on_batch_padding(tiny_llama):
    """Last-token pooling by the attention mask: padding a short text to a long one's length
    does not change its prediction (openai/weak-to-strong's pad-id pooling bug)."""
    s = student_of(tiny_llama)
    inputs, labels = sentiment(8)
    model = s.fit(inputs, labels)
    alone = [model(inputs.subset([i]))[0] for i in range(len(inputs))]
    assert np.allclose(model(inputs), alone, atol=1e-5)


def test_lora_trains_adapters_and_head_only(tiny_encoder):
    s = student_of(tiny_encoder, FinetuneConfig(epochs=1, batch_size=8, minibatch_size=8, lr=1e-2, lora=True))
    inputs, labels = sentiment(16)
    before = s.load_backbone().state_dict()
    model = s.fit(inputs, labels)
    trainable = {n for n, p in model.model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n == "head.weight" for n in trainable)
    base = {
        k.replace("backbone.base_model.model.", "").replace(".base_layer", ""): v
        for k, v in model.model.state_dict().items()
        if "lora_" not in k and not k.startswith("head")
    }
    for k, v in before.items():
        assert torch.equal(base[k], v), k


def test_early_stopping_keeps_the_best_epoch(tiny_encoder):
    s = student_of(tiny_encoder, FinetuneConfig(epochs=3, batch_size=8, minibatch_size=8, lr=5e-3, max_length=16))
    inputs, labels = sentiment(16)
    seen = []

    def select(predictor):
        seen.append(predictor(inputs))
        return -len(seen)  # the first epoch scores best

    model = s.fit(inputs, labels, select=select)
    assert len(seen) == 3
    assert not np.allclose(seen[0], seen[2])
    assert np.allclose(model(inputs), seen[0], atol=1e-6)


def test_fit_rejects_bad_targets(tiny_encoder):
    s = student_of(tiny_encoder)
    inputs, _ = sentiment(4)
    with pytest.raises(ValueError, match="probabilities"):
        s.fit(inputs, np.array([0.2, 1.5, 0.0, 1.0]))


def test_features_are_the_frozen_backbone_and_cached(tiny_encoder):
    s = student_of(tiny_encoder)
    inputs, _ = sentiment(6)
    f = s.features(inputs)
    assert f.shape == (6, 32) and np.isfinite(f).all()
    assert np.array_equal(s.features(inputs.subset([3, 1])), f[[3, 1]])
    pairs = Inputs(("p0", "p1"), ("a cat", "a dog"), ("sat down", "ran off"))
    assert s.features(pairs).shape == (2, 32)  # pairs are encoded jointly


@pytest.mark.parametrize(
    "name,params",
    [
        ("naive", {}),
        ("aux-conf", {}),
        ("early-stop", {}),
        ("knn-relabel", {"k": 3}),
        ("unsupervised", {}),
        ("bootstrap", {"folds": 2}),
        ("conf-filter", {}),
    ],
)
def test_methods_run_unchanged_on_a_finetune_student(tiny_encoder, name, params):
    strong = student_of(tiny_encoder, FinetuneConfig(epochs=1, batch_size=8, minibatch_size=4, lr=1e-3))
    mid = student_of(tiny_encoder, FinetuneConfig(epochs=1, batch_size=8, minibatch_size=8, lr=1e-3), seed=1)
    transfer, labels = sentiment(16)
    validation, _ = sentiment(6, seed=1, prefix="v")
    test, _ = sentiment(5, seed=2, prefix="u")
    ctx = MethodContext(
        student=strong,
        transfer=transfer,
        weak_labels=np.clip(labels, 0.2, 0.8),
        validation=validation,
        validation_weak_labels=np.full(6, 0.6),
        intermediates=(mid,),
        seed=0,
    )
    p = make_method(name, params).fit(ctx)(test)
    assert p.shape == (5,) and np.all((p >= 0) & (p <= 1))


@pytest.mark.slow
def test_the_smallest_packaged_encoder_learns_a_tiny_task():
    """all-MiniLM-L6-v2 (22.7M parameters), fully fine-tuned on 48 sentences, 2 epochs."""
    from w2sbench.models.ladder import get_ladder

    rung = get_ladder("embedded").rung("minilm-l6")
    s = make_finetune_student(rung, 0, FinetuneConfig(batch_size=16, minibatch_size=8, lr=1e-4, max_length=16))
    s.device = "cpu"
    train, labels = sentiment(48)
    test, test_labels = sentiment(32, seed=5, prefix="t")
    model = s.fit(train, labels)
    assert s.parameter_count() == 22_713_216
    assert ((model(test) > 0.5) == test_labels).mean() >= 0.9


# --- generative fine-tuning and few-shot prompting ------------------------------------------


def lm_loss(student: FinetuneStudent, texts: list[str]) -> float:
    lm = student.load_causal_lm().eval()
    tok = student.tokenizer
    total, count = 0.0, 0
    with torch.no_grad():
        for t in texts:
            ids = torch.tensor([tok(t)["input_ids"]])
            logits = lm(input_ids=ids).logits
            total += torch.nn.functional.cross_entropy(logits[0, :-1], ids[0, 1:], reduction="sum").item()
            count += ids.shape[1] - 1
    return total / count


def test_generative_finetuning_adapts_the_backbone_to_the_task_text(tiny_llama):
    s = student_of(tiny_llama)
    inputs, _ = sentiment(16)
    texts = s.texts(inputs)
    adapted = generative_finetune(s, texts, FinetuneConfig(epochs=10, batch_size=8, minibatch_size=4, lr=1e-2))
    assert adapted.init_state is not None and adapted.name == s.name
    before, after = lm_loss(s, texts), lm_loss(adapted, texts)
    assert after < before - 1.0, (before, after)
    # the classifier now starts from the adapted backbone
    a, b = adapted.load_backbone().state_dict(), s.load_backbone().state_dict()
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_generative_ft_method_end_to_end(tiny_llama):
    s = student_of(tiny_llama)
    transfer, labels = sentiment(16)
    test, _ = sentiment(5, seed=2, prefix="u")
    ctx = MethodContext(
        student=s,
        transfer=transfer,
        weak_labels=np.clip(labels, 0.2, 0.8),
        validation=test,
        validation_weak_labels=np.full(5, 0.5),
        intermediates=(),
        seed=0,
    )
    p = make_method("generative-ft", {"lr": 1e-3}).fit(ctx)(test)
    assert p.shape == (5,) and np.all((p >= 0) & (p <= 1))


def test_demonstrations_are_balanced_by_weak_label():
    weak = np.array([0.9, 0.8, 0.7, 0.6, 0.1, 0.2, 0.3, 0.4, 0.45, 0.35])
    idx = pick_demonstrations(weak, 6, seed=0)
    assert len(set(idx.tolist())) == 6 and (weak[idx] > 0.5).sum() == 3
    few_pos = np.array([0.9, 0.1, 0.2, 0.3])
    assert (few_pos[pick_demonstrations(few_pos, 4, 0)] > 0.5).sum() == 1  # too few positives: negatives fill in


def test_few_shot_weak_prompts_with_hard_weak_labels(tiny_llama):
    s = student_of(tiny_llama)
    transfer, labels = sentiment(12)
    weak = np.where(labels == 1, 0.7, 0.2)
    test, _ = sentiment(5, seed=2, prefix="u")
    ctx = MethodContext(
        student=s,
        transfer=transfer,
        weak_labels=weak,
        validation=test,
        validation_weak_labels=np.full(5, 0.5),
        intermediates=(),
        seed=0,
    )
    predictor = make_method("few-shot-weak", {"k": 4}).fit(ctx)
    prompt = predictor.prompts(test.subset([0]))[0]
    assert prompt.count("\nAnswer: Yes\n\n") == 2 and prompt.count("\nAnswer: No\n\n") == 2
    assert prompt.endswith(f"{test.texts[0]}\nAnswer:")
    p = predictor(test)
    assert p.shape == (5,) and np.all((p > 0) & (p < 1))
    # probabilities are the softmax of the two label words' next-token logits
    lm = s.load_causal_lm().eval()
    ids = torch.tensor([s.tokenizer(predictor.prompts(test.subset([0]))[0])["input_ids"]])
    with torch.no_grad():
        last = lm(input_ids=ids).logits[0, -1]
    assert p[0] == pytest.approx(torch.softmax(last[predictor.label_ids], -1)[1].item(), abs=1e-5)


@pytest.mark.parametrize("name", ["generative-ft", "few-shot-weak"])
def test_finetune_only_methods_refuse_the_probe_regime_and_encoders(tiny_encoder, name):
    with pytest.raises(W2SError, match="fine-tuning regime"):
        make_method(name).fit(context(RecordingStudent(), [0.9, 0.1]))
    encoder = student_of(tiny_encoder)
    transfer, labels = sentiment(4)
    ctx = MethodContext(
        student=encoder,
        transfer=transfer,
        weak_labels=labels,
        validation=transfer,
        validation_weak_labels=labels,
        intermediates=(),
        seed=0,
    )
    with pytest.raises(W2SError, match="causal language model"):
        make_method(name).fit(ctx)


def test_loss_value_is_logged_by_the_step(tiny_encoder):
    s = student_of(tiny_encoder, FinetuneConfig(batch_size=4, minibatch_size=2, max_length=16))
    inputs, _ = sentiment(4)
    model = s.build(s.config)
    value = s.train_step(
        model,
        s.tokenize(inputs),
        torch.tensor([0.5, 0.5, 0.5, 0.5]),
        lambda logits, y, progress: logits.sum() * 0 + math.log(2),
        0.0,
        s.config,
    )
    assert value == pytest.approx(math.log(2))


def test_ft_weak_lp_gt_probes_the_weakly_tuned_backbone_with_validation_ground_truth(tiny_encoder):
    from w2sbench.methods.api import OracleContext

    strong = student_of(tiny_encoder, FinetuneConfig(epochs=1, batch_size=8, minibatch_size=8, lr=1e-2))
    transfer, labels = sentiment(16)
    validation, truth = sentiment(12, seed=1, prefix="v")
    test, _ = sentiment(6, seed=2, prefix="u")

    def ctx(validation_labels):
        return OracleContext(
            student=strong,
            transfer=transfer,
            weak_labels=np.clip(labels, 0.2, 0.8),
            validation=validation,
            validation_weak_labels=np.full(12, 0.6),
            intermediates=(),
            seed=0,
            validation_labels=validation_labels,
        )

    method = make_method("ft-weak-lp-gt")
    assert method.oracle
    probs = method.fit(ctx(truth))(test)
    assert probs.shape == (6,) and np.all((probs >= 0) & (probs <= 1))
    # the probe reads the validation ground truth: flipping it flips the probe (same tuned backbone)
    flipped = method.fit(ctx(1 - truth))(test)
    np.testing.assert_allclose(flipped, 1 - probs, atol=1e-3)
    with pytest.raises(W2SError, match="one class"):
        method.fit(ctx(np.ones(12)))


def test_tuned_features_are_the_fine_tuned_backbones_pooled_states(tiny_encoder):
    s = student_of(tiny_encoder, FinetuneConfig(epochs=2, batch_size=8, minibatch_size=8, lr=1e-2, max_length=16))
    inputs, labels = sentiment(16)
    tuned = s.fit(inputs, labels)
    features = tuned.features(inputs)
    assert features.shape == (16, 32)
    logits = features @ tuned.model.head.weight.detach().numpy().T
    np.testing.assert_allclose(logits, tuned.logits_of(inputs), atol=1e-4)  # the head reads exactly these
    assert not np.allclose(features, s.features(inputs), atol=1e-3)  # training changed the representation


def test_ft_weak_lp_gt_needs_the_finetune_regime():
    from tests.methods.conftest import context

    with pytest.raises(W2SError, match="fine-tuning regime"):
        make_method("ft-weak-lp-gt").fit(context(RecordingStudent(), [0.3, 0.7], validation_labels=[0, 1]))
