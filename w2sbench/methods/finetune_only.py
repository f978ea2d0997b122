"""Methods of the fine-tuning regime only: generative fine-tuning and few-shot prompting with
weak labels (Burns et al. 2023, section 5.2). In the probe regime the student is a frozen
encoder, so both stop with a clear error."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from w2sbench.core.errors import MethodError, W2SError
from w2sbench.core.example import Inputs
from w2sbench.methods._common import UsesCode, check_range
from w2sbench.methods.api import MethodContext, register
from w2sbench.models.finetune.fewshot import (
    FewShotPredictor,
    few_shot_predictor,
    pick_demonstrations,
)
from w2sbench.models.finetune.generative import generative_finetune


def finetune_student(method: str, student, causal_lm: bool = True):
    from w2sbench.models.finetune import FinetuneStudent

    if not isinstance(student, FinetuneStudent):
        raise MethodError(
            f"method {method} needs the fine-tuning regime (its student must be fine-tuned, "
            f"not a frozen-feature probe); run it with --regime finetune"
        )
    if causal_lm and student.rung.kind != "causal_lm":
        raise MethodError(
            f"method {method} needs a causal language model as the strong rung; "
            f"{student.name} is an {student.rung.kind}"
        )
    return student


def concat(a: Inputs, b: Inputs) -> Inputs:
    pairs = None
    if a.text_pairs is not None and b.text_pairs is not None:
        pairs = a.text_pairs + b.text_pairs
    elif a.text_pairs is not None or b.text_pairs is not None:
        raise W2SError("cannot mix pair and single-text inputs")
    return Inputs(a.ids + b.ids, a.texts + b.texts, pairs)


@register
@dataclass(frozen=True)
class GenerativeFT(UsesCode):
    """Language-model fine-tuning on the task's unlabelled text, then naive weak-label fine-tuning.

    The text is the transfer and validation inputs (prediction is inductive: the test inputs
    are never in fit); the weak-label phase starts from the adapted weights. epochs and lr
    (None: the regime's size rule) set the LM phase; the rest of its settings are the
    student's FinetuneConfig. Fine-tuning regime, causal LMs only.
    """

    name = "generative-ft"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, section 5.2.2"
    uses = (generative_finetune,)
    epochs: int = 1
    lr: float | None = None

    def __post_init__(self):
        check_range(self.name, "epochs", self.epochs, 1, 1000)
        if self.lr is not None:
            check_range(self.name, "lr", self.lr, 1e-12, 1.0)

    def fit(self, ctx: MethodContext):
        student = finetune_student(self.name, ctx.student)
        inputs = concat(ctx.transfer, ctx.validation)
        config = dataclasses.replace(student.config, epochs=self.epochs, lr=self.lr)
        adapted = generative_finetune(student, student.texts(inputs), config)
        return adapted.fit(ctx.transfer, ctx.weak_labels)


@register
@dataclass(frozen=True)
class FewShotWeak(UsesCode):
    """Few-shot prompting of the strong causal LM with k weakly-labelled transfer examples.

    Each demonstration is answered by its hard weak label (balanced between the two labels,
    drawn with the seed). P(class 1) is
    the softmax over the next-token logits of the two label words after "<input>\\nAnswer:".
    No training. k = 8 and the label words are this harness's defaults, not the paper's.
    """

    name = "few-shot-weak"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, section 5.2.1"
    uses = (few_shot_predictor, pick_demonstrations, FewShotPredictor)
    k: int = 8
    label_words: tuple[str, str] = (" No", " Yes")
    template: str = "{text}\nAnswer:{answer}\n\n"

    def __post_init__(self):
        check_range(self.name, "k", self.k, 0, 1000)
        if len(self.label_words) != 2:
            raise W2SError(f"method {self.name}: label_words must be two words (class 0, class 1)")
        object.__setattr__(self, "label_words", tuple(self.label_words))  # JSON params arrive as lists
        if "{text}" not in self.template or "{answer}" not in self.template:
            raise W2SError(f"method {self.name}: template needs {{text}} and {{answer}}")

    def fit(self, ctx: MethodContext):
        student = finetune_student(self.name, ctx.student)
        return few_shot_predictor(
            student, ctx.transfer, np.asarray(ctx.weak_labels), self.k, self.label_words, self.template, ctx.seed
        )
