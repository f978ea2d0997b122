"""The paper's probe analysis ft(weak) + lp(gt) (Burns et al. 2023, section 5.3): does training on
weak labels leave the strong model's representation linearly encoding the true concept?

The other two probes of that section are already here: in the probe regime every student is a
linear probe on frozen features, so lp(weak) is ``naive`` and lp(gt) is the ceiling every record
carries. ft(weak) + lp(gt) needs a representation that weak training changed, so it runs in the
fine-tuning regime only. It reads ground truth, so it is an oracle: marked in its records, never
ranked. Its probe is trained on the validation split's labels, the only ground truth an oracle
context holds (the paper probes with the transfer set's labels; validation is a tenth of the
pool, so the probe here is fitted on fewer examples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from w2sbench.core.errors import MethodError
from w2sbench.methods._common import check_range
from w2sbench.methods.api import Method, OracleContext, register
from w2sbench.methods.finetune_only import finetune_student


@register
@dataclass(frozen=True)
class FtWeakLpGt(Method):
    """ORACLE analysis: fine-tune on weak labels, then a ground-truth linear probe on the result.

    The probe is an L2-regularised logistic regression (inverse strength ``c``) on standardized
    pooled states of the weakly fine-tuned backbone, fitted on the validation split's ground truth.
    """

    name = "ft-weak-lp-gt"
    citation = "Burns et al. 2023, Weak-to-Strong Generalization, arXiv:2312.09390, section 5.3 (ft(weak) + lp(gt))"
    oracle = True
    c: float = 1.0

    def __post_init__(self):
        check_range(self.name, "c", self.c, 1e-6, 1e6)

    def fit(self, ctx: OracleContext):
        student = finetune_student(self.name, ctx.student, causal_lm=False)
        labels = np.asarray(ctx.validation_labels)
        if len(np.unique(labels)) < 2:
            raise MethodError(f"method {self.name}: the validation split has one class only; no probe can be fitted")
        tuned = student.fit(ctx.transfer, ctx.weak_labels)
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=self.c, max_iter=2000))
        probe.fit(tuned.features(ctx.validation), labels.astype(int))
        return lambda inputs: probe.predict_proba(tuned.features(inputs))[:, 1]
