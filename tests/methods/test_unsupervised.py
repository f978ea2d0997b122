import numpy as np
import pytest

from tests.methods.conftest import RecordingStudent, context, inputs
from w2sbench.core.errors import W2SError
from w2sbench.methods.api import make_method


def latent_features(n=200, seed=0):
    """Dimension 0 carries the label with large variance; dimension 1 is small noise."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 2)  # balanced, as the median threshold assumes
    x = np.stack([(2 * labels - 1) * 3 + rng.normal(size=n) * 0.5, rng.normal(size=n) * 0.3], 1)
    return labels, {f"t{i}": x[i] for i in range(n)}


def test_first_principal_direction_oriented_by_weak_labels():
    labels, feats = latent_features()
    student = RecordingStudent(features=feats)
    weak = np.where(labels == 1, 0.7, 0.3)
    weak[:60] = 1 - weak[:60]  # 30% of the weak labels are wrong: only the sign is taken from them
    probe = make_method("unsupervised").fit(context(student, weak))
    p = probe(inputs(len(labels)))
    assert student.calls == []  # never trains on the weak labels
    assert ((p > 0.5) == labels).mean() > 0.95
    flipped = make_method("unsupervised").fit(context(RecordingStudent(features=feats), 1 - weak))
    assert ((flipped(inputs(len(labels))) > 0.5) == labels).mean() < 0.05  # the sign is all they give


def test_orient_none_ignores_the_weak_labels_entirely():
    labels, feats = latent_features()
    a = make_method("unsupervised", {"orient": "none"}).fit(
        context(RecordingStudent(features=feats), np.full(200, 0.9))
    )
    b = make_method("unsupervised", {"orient": "none"}).fit(
        context(RecordingStudent(features=feats), np.full(200, 0.1))
    )
    pa, pb = a(inputs(200)), b(inputs(200))
    assert np.array_equal(pa, pb)
    assert np.all((pa >= 0) & (pa <= 1))
    assert abs((pa > 0.5).mean() - 0.5) < 0.02  # median threshold: balanced
    with pytest.raises(W2SError, match="orient"):
        make_method("unsupervised", {"orient": "truth"})
