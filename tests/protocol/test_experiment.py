"""An experiment's content key: it names everything that decides the record, and nothing else."""

from __future__ import annotations

from tests.conftest import FakeEncoder, fake_ladder
from w2sbench.core.result import config_key
from w2sbench.core.splits import FRACTIONS
from w2sbench.methods.api import make_method
from w2sbench.protocol.experiment import PROTOCOL_VERSION, Experiment, experiment_key
from w2sbench.protocol.workspace import Workspace
from w2sbench.tasks.task import get_task

TASK_KEY = {"id": "toy", "version": 1, "data": "rev"}
TRAINING = {"regime": "probe", "train": {"epochs": 1}}


def experiment(seed=0, **params) -> Experiment:
    ladder = fake_ladder()
    return Experiment(
        get_task("toy"), ladder, ladder.rungs[0], ladder.rungs[2], make_method("naive", params or None), seed
    )


def test_the_key_is_the_hash_of_the_named_configuration(tasks_env):
    exp = experiment()
    expected = config_key(
        {
            "protocol": PROTOCOL_VERSION,
            "task": TASK_KEY,
            "ladder": exp.ladder.name,
            "weak": exp.weak.key(),
            "strong": exp.strong.key(),
            "method": exp.method.identity(),
            "seed": 0,
            "fractions": FRACTIONS,
            **TRAINING,
        }
    )
    assert experiment_key(exp, TASK_KEY, TRAINING) == expected


def test_seed_parameters_data_training_and_weak_labels_each_change_the_key(tasks_env):
    base = experiment_key(experiment(), TASK_KEY, TRAINING)
    others = [
        experiment_key(experiment(seed=1), TASK_KEY, TRAINING),
        experiment_key(experiment(hard=True), TASK_KEY, TRAINING),
        experiment_key(experiment(), {**TASK_KEY, "data": "other"}, TRAINING),
        experiment_key(experiment(), TASK_KEY, {**TRAINING, "train": {"epochs": 2}}),
        experiment_key(experiment(), TASK_KEY, TRAINING, weak_labels=[{"repo": "x"}]),
    ]
    assert len({base, *others}) == 6


def test_the_workspace_keys_with_its_own_task_data_and_training(tasks_env, tmp_path):
    ws = Workspace(tmp_path / "cache", tmp_path / "results", encoder_factory=FakeEncoder)
    exp = experiment()
    assert ws.experiment_key(exp) == experiment_key(exp, ws.task_key(exp.task), ws.training_identity(exp.task))
