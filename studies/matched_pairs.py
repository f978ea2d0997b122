"""What the matched-pair construction of the WordNet tasks does to neighbours and principal directions.

    python studies/matched_pairs.py [--tasks wordnet_gloss,wordnet_hypernym,wordnet_wic] [--seed 0]

Every group of an offline task holds as many positives as negatives that share a text (the
word, the sentence, X). In the strong rung's features (MPNet-base, the probe's pair features
as knn-relabel sees them), on seed 0's transfer split, this prints: how often an example's
nearest neighbour is in its own group and has its label; the share of its 50 nearest
neighbours from its own group; the accuracy of knn-relabel's soft labels (50 neighbours' mean
weak label, thresholded at 0.5) against the weak labels themselves; and how much of the first
principal direction's variance lies between groups, with its accuracy either way round.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from w2sbench.core.example import Inputs, labels_of
from w2sbench.core.paths import use_cache
from w2sbench.methods.refinement import knn_labels
from w2sbench.models.ladder import get_ladder
from w2sbench.protocol.workspace import Workspace
from w2sbench.tasks.task import get_task

K = 50


def measure(ws: Workspace, task_id: str, seed: int) -> dict:
    task = get_task(task_id)
    ladder = get_ladder("embedded")
    splits = ws.splits(task, seed)
    examples = splits.transfer
    x = np.asarray(ws.student(ladder.rung("mpnet-base"), seed).features(Inputs.of(examples)), dtype=np.float64)
    labels = labels_of(examples)
    groups = np.array([e.group for e in examples])
    d = torch.cdist(torch.from_numpy(x), torch.from_numpy(x)).numpy()  # Euclidean, as knn-relabel
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1)
    first = order[:, 0]
    near = order[:, :K]
    weak = ws.weak_labels(task, ladder.rung("minilm-l3"), seed, splits)["transfer"]
    relabelled = knn_labels(x, weak, K)
    centred = x - x.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt[0]
    by_group = {g: proj[groups == g].mean() for g in set(groups)}
    between = np.var([by_group[g] for g in groups])
    above = proj > np.median(proj)
    return {
        "task": task_id,
        "n": len(examples),
        "nn same group": float(np.mean(groups[first] == groups)),
        "nn same label": float(np.mean(labels[first] == labels)),
        f"{K}-nn from own group": float(np.mean(groups[near] == groups[:, None])),
        "knn label = weak label": float(np.mean((relabelled > 0.5) == (weak > 0.5))),
        "knn label accuracy": float(np.mean((relabelled > 0.5) == labels)),
        "weak accuracy": float(np.mean((weak > 0.5) == labels)),
        "knn labels in [0.4, 0.6]": float(np.mean(np.abs(relabelled - 0.5) <= 0.1)),
        "PC1 variance between groups": float(between / np.var(proj)),
        "PC1 accuracy (either sign)": float(max(np.mean(above == labels), np.mean(above != labels))),
    }


def main(argv=None) -> None:
    from tabulate import tabulate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="wordnet_gloss,wordnet_hypernym,wordnet_wic")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    root = use_cache(None)
    ws = Workspace(root, root / "matched-pairs-results")
    rows = [measure(ws, t, args.seed) for t in args.tasks.split(",")]
    print(
        tabulate(
            [{k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
            headers="keys",
            tablefmt="github",
            disable_numparse=True,
        )
    )


if __name__ == "__main__":
    main()
