"""Steps 2-5 of the protocol on a generative task (w2sbench.protocol.run runs step 1 and writes the record).

2. the weak language model is fine-tuned on supervisor_train's answers; its distributions over
the choices of transfer, validation and test are the weak labels (their argmax is the paper's
temperature-0 label); 3. the strong one is fine-tuned on transfer's answers: the ceiling;
4. the method trains the strong student from the weak labels; 5. each model's answer is its
most likely choice, and accuracy is exact match. The records hold, per test prompt, whether
each model was right (see result.Predictions), so every aggregate works as for binary tasks.
"""

from __future__ import annotations

import numpy as np

from w2sbench.core.errors import MethodError
from w2sbench.core.metrics import accuracy, agreement_of, bootstrap_pgr, group_index, pgr
from w2sbench.core.prompt import Prompt, Prompts, answers_of
from w2sbench.core.result import Predictions, Scores
from w2sbench.core.splits import WEAK_LABELLED_ROLES, Splits
from w2sbench.methods.api import GenerativeContext
from w2sbench.models.ladder import Rung
from w2sbench.models.language_model import LanguageModel
from w2sbench.protocol.blind import opaque, predict_shuffled
from w2sbench.protocol.scoring import ids_sha256
from w2sbench.protocol.trainer import Trainer


def language_model(trainer: Trainer, rung: Rung, seed: int) -> LanguageModel:
    from w2sbench.models.finetune import FinetuneConfig

    return LanguageModel(rung, seed, trainer.finetune_config or FinetuneConfig())


def padded(distributions: list[np.ndarray]) -> np.ndarray:
    """Ragged per-prompt distributions as one (n, most choices) array, NaN-padded (for the cache)."""
    out = np.full((len(distributions), max(len(d) for d in distributions)), np.nan)
    for i, d in enumerate(distributions):
        out[i, : len(d)] = d
    return out


def unpadded(matrix: np.ndarray, examples: list[Prompt]) -> list[np.ndarray]:
    return [matrix[i, : len(e.choices)] for i, e in enumerate(examples)]


def check_distributions(raw, prompts: Prompts, method: str) -> list[np.ndarray]:
    """A method's test predictions: one probability distribution over each prompt's choices."""
    try:
        rows = [np.asarray(r, dtype=np.float64) for r in raw]
    except (TypeError, ValueError):
        raise MethodError(
            f"method {method}: predictor returned {type(raw).__name__}, expected one array of probabilities per prompt"
        ) from None
    if len(rows) != len(prompts):
        raise MethodError(f"method {method}: predictor returned {len(rows)} distributions for {len(prompts)} prompts")
    for i, (row, choices) in enumerate(zip(rows, prompts.choices, strict=False)):
        if row.shape != (len(choices),):
            raise MethodError(
                f"method {method}: prompt {prompts.ids[i]}: distribution of shape {row.shape}, "
                f"expected ({len(choices)},), one probability per choice"
            )
        if not np.all(np.isfinite(row)) or row.min() < 0 or abs(row.sum() - 1) > 1e-3:
            raise MethodError(
                f"method {method}: prompt {prompts.ids[i]}: not a probability distribution "
                f"(NaN, negative or summing to {row.sum():.4g})"
            )
    return rows


class GenerativeFraming:
    """The generative counterpart of protocol.BinaryFraming: language models, and per prompt a
    distribution over its choices (stored NaN-padded, so the workspace caches and averages
    them as it does binary predictions)."""

    name = "generative"
    default_method = "sft-naive"
    standard_labels = False

    @staticmethod
    def training_identity(trainer: Trainer) -> dict:
        """A generative task always fine-tunes its language models (there is no probe of a generation):
        the finetune regime, and the framing named beside it."""
        from dataclasses import asdict

        from w2sbench.models.finetune import FinetuneConfig

        return {
            "regime": "finetune",
            "framing": "generative",
            "train": asdict(trainer.finetune_config or FinetuneConfig()),
        }

    @staticmethod
    def texts(examples) -> list[str]:
        """None: the language models read the prompts themselves; there is no feature cache."""
        return []

    @staticmethod
    def train_weak(trainer: Trainer, weak: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        model = language_model(trainer, weak, seed).fit(
            Prompts.of(splits.supervisor_train), answers_of(splits.supervisor_train)
        )
        return {role: padded(model(Prompts.of(getattr(splits, role)))) for role in WEAK_LABELLED_ROLES}

    @staticmethod
    def train_ceiling(trainer: Trainer, strong: Rung, seed: int, splits: Splits) -> dict[str, np.ndarray]:
        model = language_model(trainer, strong, seed).fit(Prompts.of(splits.transfer), answers_of(splits.transfer))
        return {"test": padded(model(Prompts.of(splits.test)))}

    read = staticmethod(unpadded)

    @staticmethod
    def context(trainer: Trainer, exp, splits: Splits, weak: dict[str, list[np.ndarray]]) -> GenerativeContext:
        if exp.method.oracle:
            raise MethodError(f"method {exp.method.name}: oracle methods are not defined for generative tasks")
        return GenerativeContext(
            student=language_model(trainer, exp.strong, exp.seed),
            transfer=opaque(Prompts.of(splits.transfer)),
            weak_labels=tuple(weak["transfer"]),
            validation=opaque(Prompts.of(splits.validation)),
            validation_weak_labels=tuple(weak["validation"]),
            intermediates=tuple(language_model(trainer, r, exp.seed) for r in exp.ladder.between(exp.weak, exp.strong)),
            seed=exp.seed,
        )

    @staticmethod
    def predict(predictor, splits: Splits, method: str) -> list:
        return predict_shuffled(predictor, Prompts.of(splits.test), method)

    @staticmethod
    def score(exp, splits: Splits, weak_test, raw, ceiling) -> tuple[Scores, Predictions]:
        w2s = check_distributions(raw, Prompts.of(splits.test), exp.method.name)
        answers = answers_of(splits.test)
        chosen = {
            name: np.array([int(np.argmax(d)) for d in dists])
            for name, dists in (("weak", weak_test), ("w2s", w2s), ("ceiling", ceiling))
        }
        right = {name: (c == answers).astype(np.float64) for name, c in chosen.items()}
        ones = np.ones(len(answers), dtype=np.int64)
        acc = {name: accuracy(r, ones) for name, r in right.items()}
        groups = group_index([p.group for p in splits.test])
        ci = bootstrap_pgr(ones, right["weak"], right["w2s"], right["ceiling"], groups=groups)
        scores = Scores(
            acc_weak=acc["weak"],
            acc_w2s=acc["w2s"],
            acc_ceiling=acc["ceiling"],
            auroc_weak=None,
            auroc_w2s=None,
            auroc_ceiling=None,
            pgr=pgr(acc["w2s"], acc["weak"], acc["ceiling"]),
            pgr_ci=(ci.low, ci.high),
            pgr_auroc=None,
            agreement=agreement_of(chosen["w2s"] == chosen["weak"], right["weak"] == 1),
        )
        predictions = Predictions(
            ids_sha256=ids_sha256(splits.test),
            labels=ones.tolist(),
            **{name: r.tolist() for name, r in right.items()},
            groups=None if groups is None else groups.tolist(),
        )
        return scores, predictions
