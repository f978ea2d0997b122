"""The fine-tuning regime runs through the same protocol: keys differ from the probe regime's,
and a real packaged rung (MiniLM-L3 -> MiniLM-L6) is fine-tuned end to end on a tiny task."""

import pytest

from tests.conftest import latent_rows, write_rows
from w2sbench.core.errors import W2SError
from w2sbench.methods.api import make_method
from w2sbench.models.finetune import FinetuneConfig
from w2sbench.models.ladder import get_ladder
from w2sbench.protocol.experiment import Experiment
from w2sbench.protocol.run import run_experiment
from w2sbench.protocol.workspace import Workspace
from w2sbench.tasks.task import get_task


def test_unknown_regime_is_a_user_error(tmp_path):
    with pytest.raises(W2SError, match="unknown regime 'lora'"):
        Workspace(tmp_path, tmp_path, regime="lora")


def test_regime_and_its_settings_change_every_key(tasks_env, tmp_path):
    ladder = get_ladder("embedded")
    exp = Experiment(get_task("toy"), ladder, ladder.rungs[0], ladder.rungs[1], make_method("naive"), 0)
    probe = Workspace(tmp_path, tmp_path).experiment_key(exp)
    tuned = Workspace(tmp_path, tmp_path, regime="finetune").experiment_key(exp)
    tuned_lora = Workspace(
        tmp_path, tmp_path, regime="finetune", finetune_config=FinetuneConfig(lora=True)
    ).experiment_key(exp)
    assert len({probe, tuned, tuned_lora}) == 3


@pytest.mark.slow
def test_finetune_regime_end_to_end_on_packaged_rungs(tasks_env, tmp_path, monkeypatch):
    monkeypatch.setenv("W2SBENCH_CACHE", str(tmp_path / "cache"))
    data = tasks_env / "data" / "small"
    write_rows(data / "train.parquet", latent_rows(64, 0, "a"))
    write_rows(data / "test.parquet", latent_rows(32, 1, "b"))
    ws = Workspace(
        tmp_path / "cache",
        tmp_path / "results",
        local_data={"toy": data},
        regime="finetune",
        finetune_config=FinetuneConfig(epochs=1, batch_size=16, minibatch_size=16),
    )
    ladder = get_ladder("embedded")
    exp = Experiment(get_task("toy"), ladder, ladder.rungs[0], ladder.rungs[1], make_method("naive"), 0)
    result = run_experiment(ws, exp)
    assert result.provenance.regime == "finetune"
    # sizes come from the encoders, not a feature cache (none exists in this regime)
    assert (result.weak.parameters, result.strong.parameters) == (17_389_824, 22_713_216)
    assert len(result.predictions.w2s) == result.task.n_test
    assert all(0.0 <= p <= 1.0 for p in result.predictions.w2s)
