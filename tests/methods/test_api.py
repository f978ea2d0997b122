"""The method API's identity: a method's code hash covers the code it declares and the helpers it calls."""

import importlib.util
import sys

from w2sbench.methods.api import bases_of, helpers_of, source_hash

MODULE = """
from dataclasses import dataclass

from w2sbench.core.losses import soft_cross_entropy
from w2sbench.methods._common import UsesCode, check_range
from w2sbench.methods.api import Method


def helper(x):
    return inner(x) + {offset}


def inner(x):
    return x


@dataclass(frozen=True)
class Probe(Method):
    name = "probe-test"

    def fit(self, ctx):
        check_range(self.name, "x", 1, 0, 2)
        return helper


@dataclass(frozen=True)
class WithLoss(UsesCode):
    name = "probe-loss-test"
    uses = (soft_cross_entropy,)

    def fit(self, ctx):
        return helper
"""


def load_module(tmp_path, offset: int, tag: str):
    """A method module under w2sbench.methods (where builtins live), its helper's body varied."""
    path = tmp_path / f"m{tag}.py"
    path.write_text(MODULE.format(offset=offset))
    name = f"w2sbench.methods.helper_probe_{tag}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load(tmp_path, offset: int, tag: str):
    return load_module(tmp_path, offset, tag).Probe


def test_the_code_hash_follows_helpers_through_their_sources(tmp_path):
    probe = load(tmp_path, 1, "a")
    assert [h.__name__ for h in helpers_of(probe)] == ["helper", "inner"]  # not Method, not check_range
    assert probe.code_hash() == source_hash(probe, *helpers_of(probe)) != source_hash(probe)


def test_editing_only_a_helper_changes_the_code_hash(tmp_path):
    assert load(tmp_path, 1, "b").code_hash() != load(tmp_path, 2, "c").code_hash()


def test_knn_relabels_neighbour_search_is_part_of_its_identity():
    """knn-relabel's records once outlived a change of its neighbour search (knn_labels)."""
    from w2sbench.methods.refinement import KnnRelabel, knn_labels

    assert knn_labels in helpers_of(KnnRelabel)


def test_declared_code_and_helpers_are_hashed_by_one_mechanism(tmp_path):
    """A method whose loss lives outside w2sbench.methods (``uses``) also hashes the helpers it
    calls there: few-shot-weak's and generative-ft's once left out finetune_student."""
    from w2sbench.core.losses import soft_cross_entropy

    one, two = load_module(tmp_path, 1, "d").WithLoss, load_module(tmp_path, 2, "e").WithLoss
    assert one.code_hash() == source_hash(one, *bases_of(one), soft_cross_entropy, *helpers_of(one))
    assert one.code_hash() != two.code_hash()  # only the helper differs


def test_generative_methods_hash_the_fine_tuning_they_call():
    from w2sbench.methods.finetune_only import FewShotWeak, GenerativeFT

    for cls in (FewShotWeak, GenerativeFT):
        assert "finetune_student" in [h.__name__ for h in helpers_of(cls)]
        assert cls.code_hash() == source_hash(cls, *bases_of(cls), *cls.uses, *helpers_of(cls))


def test_a_shared_fit_in_a_base_is_part_of_every_subclass_identity():
    """The loss-only methods share LossMethod.fit: editing it must invalidate their records."""
    from w2sbench.methods._common import LossMethod, UsesCode
    from w2sbench.methods.confidence import AuxConf
    from w2sbench.methods.targets import ProductLoss

    for cls in (AuxConf, ProductLoss):
        assert bases_of(cls) == (LossMethod, UsesCode)
        assert cls.code_hash() == source_hash(cls, LossMethod, UsesCode, *cls.uses, *helpers_of(cls))
