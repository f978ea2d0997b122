"""The fine-tuning regime: rungs fine-tuned end to end (full or LoRA) instead of probed.

``make_finetune_student(rung, seed, config=None) -> FinetuneStudent`` is what the protocol
calls; a FinetuneStudent has the probe Student's interface, so methods run unchanged.
"""

from w2sbench.models.finetune.config import FinetuneConfig
from w2sbench.models.finetune.student import (
    FinetunedModel,
    FinetuneStudent,
    make_finetune_student,
)

__all__ = ["FinetuneConfig", "FinetuneStudent", "FinetunedModel", "make_finetune_student"]
