"""The probe regime's hot paths: feature extraction per rung, head training, the bootstrap CI.

    python -m pytest benchmarks/bench_hot_paths.py
    W2SBENCH_BENCH_RUNGS=minilm-l3,minilm-l6,mpnet-base python -m pytest benchmarks/bench_hot_paths.py -k features

Feature extraction runs the real packaged rungs of the embedded ladder (paraphrase-MiniLM-L3-v2,
all-MiniLM-L6-v2 by default; W2SBENCH_BENCH_RUNGS picks others) over texts of the offline suite,
through w2sbench.models.encoder.Encoder with the model already loaded: texts/s is reported in
extra_info. Head training and the bootstrap run on synthetic data of the offline suite's sizes.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

N_TEXTS = int(os.environ.get("W2SBENCH_BENCH_TEXTS", "512"))
RUNGS = [r for r in os.environ.get("W2SBENCH_BENCH_RUNGS", "minilm-l3,minilm-l6").split(",") if r]


def offline_texts(n: int) -> list[str]:
    """n texts of the offline suite (WordNet), or generated sentences where it is not built."""
    try:
        from w2sbench.tasks.loading import load_task_data
        from w2sbench.tasks.task import suite_tasks

        texts = []
        for task in suite_tasks("offline"):
            data = load_task_data(task)
            texts += [e.text for e in data.test] + [e.text_pair for e in data.test if e.text_pair]
        if len(texts) >= n:
            return sorted(set(texts))[:n]
    except Exception:
        pass
    rng = np.random.default_rng(0)
    words = "the a cat dog runs quickly over lazy bright river bank money tree leaf sense gloss".split()
    return [" ".join(rng.choice(words, rng.integers(4, 16))) for _ in range(n)]


@pytest.mark.parametrize("rung_name", RUNGS)
def test_feature_extraction_throughput(benchmark, rung_name):
    from w2sbench.core.errors import W2SError
    from w2sbench.models.encoder import Encoder
    from w2sbench.models.ladder import get_ladder

    rung = get_ladder("embedded").rung(rung_name)
    encoder = Encoder(rung)
    texts = offline_texts(N_TEXTS)
    try:
        encoder.embed(texts[:8])  # load the model outside the timing
    except W2SError as e:
        pytest.skip(f"{rung_name}: packaged model unavailable: {e}")
    out = benchmark.pedantic(encoder.embed, args=(texts,), rounds=3, warmup_rounds=0, iterations=1)
    assert out.shape[0] == len(texts)
    benchmark.extra_info.update(
        rung=rung_name,
        texts=len(texts),
        parameters=encoder.parameter_count,
        texts_per_s=len(texts) / benchmark.stats.stats.mean,
    )


class _Features:
    """A feature store stand-in holding precomputed vectors (head training only reads them)."""

    def __init__(self, vectors: dict[str, np.ndarray], name: str):
        from w2sbench.models.ladder import Rung

        self.rung = Rung(name=name, model=f"bench/{name}", unpinned_reason="benchmark stand-in")
        self.vectors = vectors

    def get(self, texts):
        return np.stack([self.vectors[t] for t in texts])


@pytest.mark.parametrize("dim,n", [(384, 960), (768, 960), (3072, 960)], ids=["minilm", "mpnet", "mpnet-pair"])
def test_head_training(benchmark, dim, n):
    """One head on a transfer split's size (the offline suite: 2400 pool x 0.4), default TrainConfig."""
    from w2sbench.core.example import Inputs
    from w2sbench.models.probe import ProbeStudent

    rng = np.random.default_rng(0)
    texts = tuple(f"t{i}" for i in range(n))
    latent = rng.normal(size=n)
    x = rng.normal(size=(n, dim)).astype(np.float32)
    x[:, 0] += 2 * latent
    store = _Features(dict(zip(texts, x, strict=False)), "bench")
    targets = 1 / (1 + np.exp(-2 * latent + rng.normal(size=n)))
    inputs = Inputs(ids=texts, texts=texts)
    head = benchmark.pedantic(
        lambda: ProbeStudent(store, 0).fit(inputs, targets), rounds=3, warmup_rounds=1, iterations=1
    )
    assert head(inputs).shape == (n,)
    benchmark.extra_info.update(examples=n, dim=dim, examples_per_s=n / benchmark.stats.stats.mean)


@pytest.mark.parametrize("seeds", [1, 3])
def test_bootstrap_ci(benchmark, seeds):
    """The paired bootstrap of one record (1 seed) and of a seed group (3 seeds), 800 test examples."""
    from w2sbench.core.metrics import N_BOOT, bootstrap_pgr

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 800)
    noisy = lambda scale: np.clip(labels + rng.normal(0, scale, (seeds, 800)), 0, 1)  # noqa: E731
    weak, w2s, ceiling = noisy(0.8), noisy(0.6), noisy(0.4)
    ci = benchmark(bootstrap_pgr, labels, weak, w2s, ceiling)
    assert ci.low is not None
    benchmark.extra_info.update(seeds=seeds, n_test=800, n_boot=N_BOOT)
