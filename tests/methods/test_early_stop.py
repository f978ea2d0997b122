import numpy as np
import pytest

from tests.methods.conftest import RecordingStudent, context
from w2sbench.core.errors import W2SError
from w2sbench.methods.api import MethodContext, OracleContext, make_method


def head_returning(values):
    return lambda inputs: np.asarray(values, dtype=np.float64)


def test_early_stop_selects_by_agreement_with_weak_validation_labels():
    student = RecordingStudent()
    make_method("early-stop").fit(context(student, [0.9, 0.1], validation_weak=[0.8, 0.3, 0.6, 0.4]))
    [call] = student.calls
    assert call["targets"].tolist() == [0.9, 0.1]
    select = call["select"]
    assert select(head_returning([0.9, 0.1, 0.9, 0.1])) == 1.0
    assert select(head_returning([0.9, 0.9, 0.1, 0.1])) == 0.5
    assert select(head_returning([0.1, 0.9, 0.1, 0.9])) == 0.0


def test_early_stop_soft_ce_prefers_the_head_nearer_the_weak_labels():
    student = RecordingStudent()
    make_method("early-stop", {"metric": "soft_ce"}).fit(context(student, [0.9, 0.1], validation_weak=[0.75, 0.25]))
    select = student.calls[0]["select"]
    # -CE: at p = (.75, .25) it is -H(.75) = .75 ln .75 + .25 ln .25
    assert select(head_returning([0.75, 0.25])) == pytest.approx(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    assert select(head_returning([0.75, 0.25])) > select(head_returning([0.6, 0.4]))


def test_ground_truth_early_stopping_is_an_oracle_using_validation_labels():
    method = make_method("early-stop-gt")
    assert method.oracle and not make_method("early-stop").oracle
    student = RecordingStudent()
    ctx = context(student, [0.9, 0.1], validation_weak=[0.9, 0.9], validation_labels=[0, 1])
    assert isinstance(ctx, OracleContext)
    method.fit(ctx)
    select = student.calls[0]["select"]
    assert select(head_returning([0.1, 0.9])) == 1.0  # scored against the truth, not the weak labels
    assert select(head_returning([0.9, 0.9])) == 0.5


def test_the_fair_method_never_gets_an_oracle_context():
    ctx = context(RecordingStudent(), [0.9, 0.1])
    assert type(ctx) is MethodContext and not hasattr(ctx, "validation_labels")
    with pytest.raises(W2SError, match="metric"):
        make_method("early-stop", {"metric": "accuracy"})
