"""Workspaces that share Caches load a task's data once, and never share a feature store across
numeric settings (the store is keyed by the rung's key, which holds the setting)."""

from tests.conftest import FakeEncoder, fake_ladder
from w2sbench.models import numerics
from w2sbench.protocol import workspace as workspace_module
from w2sbench.protocol.workspace import Caches, Workspace
from w2sbench.tasks.task import get_task


def test_shared_caches_load_task_data_once(tasks_env, tmp_path, monkeypatch):
    loads = []
    real = workspace_module.load_task_data
    monkeypatch.setattr(
        workspace_module, "load_task_data", lambda task, local=None: loads.append(task.id) or real(task, local)
    )
    shared = Caches()
    first = Workspace(tmp_path / "cache", tmp_path / "a", encoder_factory=FakeEncoder, caches=shared)
    second = Workspace(tmp_path / "cache", tmp_path / "b", encoder_factory=FakeEncoder, caches=shared)
    task = get_task("toy")
    assert first.task_data(task) is second.task_data(task)
    assert loads == ["toy"]
    alone = Workspace(tmp_path / "cache", tmp_path / "c", encoder_factory=FakeEncoder)
    alone.task_data(task)
    assert loads == ["toy", "toy"]  # no Caches given: its own


def test_a_shared_store_is_per_numeric_setting(tasks_env, tmp_path):
    shared = Caches()
    rung = fake_ladder().rungs[0]
    with numerics.using("fp32"):
        fp32 = Workspace(tmp_path / "cache", tmp_path / "a", encoder_factory=FakeEncoder, caches=shared).features(rung)
    with numerics.using("bf16"):
        bf16 = Workspace(tmp_path / "cache", tmp_path / "b", encoder_factory=FakeEncoder, caches=shared).features(rung)
    assert fp32 is not bf16 and fp32.folder != bf16.folder
